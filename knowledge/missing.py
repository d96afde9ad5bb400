"""Saying what is missing: a question that names a law (or an article of one) the index does not hold."""

from __future__ import annotations

import re
from collections.abc import Callable

from core.kit.language import is_english
from knowledge.schemas import Missing
from knowledge.splitter import article_number

_QUOTED = re.compile(r"《([^《》]{2,40}?(?:法|条例|办法|规定|细则|法典|民法典))》")
_ARTICLE = re.compile(r"第([零〇一二三四五六七八九十百千0-9]+)条")
_NAMED = re.compile(r"([\u4e00-\u9fff]{2,30}?(?:法|条例|办法|规定|细则|法典))》?\s*(?:的)?\s*$")
# words that often come before a law's name and are not part of it
_LEAD = re.compile(r"^(?:请问|我想问|想问|问一下|根据|按照|依照|依据|违反|关于|对于|就是|那个|这个|查一下|看看|了解)+")


def _name(raw: str) -> str:
    return _LEAD.sub("", raw).strip("《》 ")


def find_missing(
    question: str,
    resolve: Callable[[str], str | None],
    has_article: Callable[[str, int], bool],
    title_of: Callable[[str], str],
) -> Missing | None:
    """The first law or article the question names that is not loaded, or None.

    `resolve(name)`: the doc id of the loaded law a name refers to; `has_article(doc_id, number)`;
    `title_of(doc_id)`: its full title. Only names in 《》 or written right before 第X条 count, so a
    passing 法 in a sentence is not taken for a law.
    """
    named: list[tuple[str, str | None]] = [(m.group(1), None) for m in _QUOTED.finditer(question)]
    for match in _ARTICLE.finditer(question):
        before = _NAMED.search(question[max(0, match.start() - 30) : match.start()])
        if before:
            named.append((before.group(1), match.group(0)))
    for raw, article in named:
        name = _name(raw)
        if len(name) < 2 or name in ("条例", "办法", "规定", "细则"):
            continue
        doc_id = next((d for start in range(0, max(1, len(name) - 2)) if (d := resolve(name[start:]))), None)
        if doc_id is None:
            return Missing(law=name, article=article, staff_hint_zh=_HINT_ZH.format(law=name),
                           staff_hint_en=_HINT_EN.format(law=name))
        if article and not has_article(doc_id, article_number(article)):
            title = title_of(doc_id)
            return Missing(
                law=name, article=article, loaded_title=title,
                staff_hint_zh=f"已载入的《{title}》中没有{article}；如有新版本，请上传新版本的正式文本。",
                staff_hint_en=f"The loaded 《{title}》 has no {article}; if there is a newer version, upload its text.",
            )
    return None


_ASKING = re.compile(
    r"请问|是怎么规定的|怎么规定的?|规定了?什么|说了?什么|讲了?什么|写了?什么|是什么|有什么|内容|条文|原文|全文|"
    r"\b(?:what|does|do|say|says|said|article|of|the|is|in|about|text)\b|[\s\W\d_]", re.I)


def reference_only(question: str) -> bool:
    """The question does no more than name a law's article (`建筑法第九十九条是什么`): with the names, the
    article numbers and the asking words taken away, fewer than four characters are left."""
    rest = _QUOTED.sub("", question)
    for match in reversed(list(_ARTICLE.finditer(rest))):
        before = _NAMED.search(rest[max(0, match.start() - 30) : match.start()])
        start = match.start() - (len(before.group(0)) if before else 0)
        rest = rest[:start] + rest[match.end():]
    return len(_ASKING.sub("", rest)) < 4


def missing_text(missing: Missing, lang: str) -> str:
    """What the asker is told."""
    if missing.loaded_title:
        if is_english(lang):
            return f"The loaded text of 《{missing.loaded_title}》 has no {missing.article}."
        return f"已载入的《{missing.loaded_title}》中没有{missing.article}。"
    if is_english(lang):
        return (f"《{missing.law}》 is not loaded in this knowledge base yet, so its articles cannot be quoted; "
                "staff have been told which law is missing.")
    return f"知识库中还没有载入《{missing.law}》，暂时无法引用它的条文；工作人员可以在问题记录中看到缺少哪部法规。"


_HINT_ZH = ("请在管理后台“知识库”页面上传《{law}》的正式文本（.md .txt .pdf .docx），"
            "或在服务器上运行 civicdesk ingest <文件或目录>。")
_HINT_EN = ("Upload the official text of 《{law}》 on the console's Knowledge page (.md .txt .pdf .docx), "
            "or run `civicdesk ingest <file or folder>` on the server.")
