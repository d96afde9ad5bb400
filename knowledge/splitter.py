"""Law-aware splitting.

A law (a document whose paragraphs start with `第X条`) becomes one chunk per article, carrying the law
title, article number, chapter and section. An article too long for the embedding model is split at
paragraph boundaries into parts that each keep the article's citation. Articles of several paragraphs
also get one `paragraph` chunk per paragraph: a second, finer granularity for vector search (their hits
count for the article they belong to).

Other documents (service guides, notices) are split by Markdown headings, then by paragraphs and
Chinese sentence punctuation with LangChain's text splitters.
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import asdict, dataclass, fields

from knowledge.loaders import LoadedDocument

ARTICLE_RE = re.compile(r"^(第[零〇一二三四五六七八九十百千0-9]+条(?:之[一二三四五六七八九十]+)?)[ \u3000]*")
HEADING_RE = re.compile(r"^(#{1,6})\s+(.+?)\s*$")
# Characters of quoted text per chunk; e5-small reads at most 512 tokens (about 1.3 characters per token
# for Chinese legal text), so a part this long fits with the title and chapter in front of it.
MAX_CHUNK_CHARS = 480
GUIDE_CHUNK_CHARS = 400
GUIDE_OVERLAP = 40
CHINESE_SEPARATORS = ["\n\n", "\n", "。", "！", "？", "；", "，", " ", ""]

_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_UNITS = {"十": 10, "百": 100, "千": 1000}


def chinese_number(text: str) -> int:
    """`一百一十九` -> 119, `十` -> 10, `12` -> 12; 0 when it is not a number."""
    if text.isdigit():
        return int(text)
    total, current = 0, 0
    for char in text:
        if char in _DIGITS:
            current = _DIGITS[char]
        elif char in _UNITS:
            total += (current or 1) * _UNITS[char]
            current = 0
        else:
            return 0
    return total + current


def article_number(label: str) -> int:
    """`第一百一十九条` -> 119."""
    match = re.match(r"第(.+?)条", label)
    return chinese_number(match.group(1)) if match else 0


@dataclass
class Chunk:
    id: str
    doc_id: str
    kind: str  # "article" (a law's article or part of it), "paragraph" (finer vector), "section" (guides)
    text: str  # the text as written, quoted in answers
    law: str  # document title
    article: str = ""  # `第七条` for laws, "" otherwise
    article_no: int = 0
    chapter: str = ""
    section: str = ""
    file: str = ""
    version: str = ""
    part: int = 0  # 1.. when a long article is split, else 0
    ref: str = ""  # the citable unit this chunk belongs to (a law's article, or the chunk itself)

    @property
    def heading(self) -> str:
        return " ".join(part for part in (self.chapter, self.section) if part)

    def embed_text(self) -> str:
        """What the vector is computed from: title and chapter give the context the body lacks."""
        body = ARTICLE_RE.sub("", self.text) if self.article else self.text
        return f"{short_title(self.law)} {self.heading}：{body}".strip()

    def search_text(self) -> str:
        """What BM25 indexes: the body plus title and headings (short, distinctive words)."""
        return f"{self.law} {self.heading} {self.text}"

    def to_dict(self) -> dict[str, object]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: str) -> Chunk:
        """A stored chunk; keys an older or newer version stored and this one lacks are left out."""
        known = {f.name for f in fields(cls)}
        return cls(**{key: value for key, value in json.loads(data).items() if key in known})


def short_title(title: str) -> str:
    return title.removeprefix("中华人民共和国")


def is_law(text: str) -> bool:
    starts = sum(1 for line in text.splitlines() if ARTICLE_RE.match(line.strip()))
    return starts >= 3


def document_id(source: str) -> str:
    return hashlib.sha1(source.encode("utf-8")).hexdigest()[:16]


def split_document(doc: LoadedDocument, doc_id: str | None = None) -> list[Chunk]:
    doc_id = doc_id or document_id(doc.source)
    text = re.sub(r"<!--.*?-->", "", doc.text, flags=re.DOTALL)
    if is_law(text):
        return _split_law(doc, text, doc_id)
    return _split_guide(doc, text, doc_id)


def _split_law(doc: LoadedDocument, text: str, doc_id: str) -> list[Chunk]:
    chapter = section = ""
    articles: list[tuple[str, str, str, list[str]]] = []  # (label, chapter, section, paragraphs)
    for raw in re.split(r"\n\s*\n|\n(?=第[零〇一二三四五六七八九十百千0-9]+条)", text):
        para = raw.strip()
        if not para:
            continue
        heading = HEADING_RE.match(para)
        if heading:
            level, title = len(heading.group(1)), _clean_heading(heading.group(2))
            if level == 2:
                chapter, section = title, ""
            elif level >= 3:
                section = title
            continue
        para = re.sub(r"\s*\n\s*", "", para)  # a paragraph wrapped over lines
        match = ARTICLE_RE.match(para)
        if match:
            articles.append((match.group(1), chapter, section, [para]))
        elif articles:
            articles[-1][3].append(para)
        # text before the first article (enactment notes) is not a citable provision

    chunks: list[Chunk] = []
    for label, chap, sect, paragraphs in articles:
        common = dict(
            doc_id=doc_id, law=doc.title, article=label, article_no=article_number(label), chapter=chap,
            section=sect, file=doc.source, version=doc.version, ref=f"{doc_id}|{label}",
        )
        parts = _pack(paragraphs, MAX_CHUNK_CHARS)
        for index, part in enumerate(parts, start=1):
            chunks.append(Chunk(
                id=f"{doc_id}:{label}:a{index}", kind="article", text=part,
                part=index if len(parts) > 1 else 0, **common,
            ))
        if len(paragraphs) > 1:
            for index, para in enumerate(paragraphs, start=1):
                # later paragraphs lack the article's subject; the first sentence gives it back
                lead = "" if index == 1 else _first_sentence(paragraphs[0]) + " "
                chunks.append(Chunk(
                    id=f"{doc_id}:{label}:p{index}", kind="paragraph",
                    text=(lead + para)[: MAX_CHUNK_CHARS], **common,
                ))
    return chunks


def _clean_heading(title: str) -> str:
    """`第一章　总　　则` -> `第一章 总则`."""
    match = re.match(r"(第[零〇一二三四五六七八九十百千0-9]+[章节编])\s*(.*)$", title.strip())
    if not match:
        return re.sub(r"\s+", " ", title.strip())
    name = re.sub(r"\s+", "", match.group(2))
    return f"{match.group(1)} {name}".strip()


def _first_sentence(text: str) -> str:
    match = re.match(r"(.+?[。；：])", text)
    return (match.group(1) if match else text)[:80]


def _pack(paragraphs: list[str], limit: int) -> list[str]:
    """Join paragraphs into as few parts as possible, each at most `limit` characters where it can be."""
    parts: list[str] = []
    current = ""
    for para in paragraphs:
        pieces = _hard_split(para, limit) if len(para) > limit else [para]
        for piece in pieces:
            if current and len(current) + 1 + len(piece) > limit:
                parts.append(current)
                current = piece
            else:
                current = f"{current}\n{piece}" if current else piece
    if current:
        parts.append(current)
    return parts


def _hard_split(text: str, limit: int) -> list[str]:
    from langchain_text_splitters import RecursiveCharacterTextSplitter

    splitter = RecursiveCharacterTextSplitter(
        chunk_size=limit, chunk_overlap=0, separators=CHINESE_SEPARATORS[2:], keep_separator="end"
    )
    return splitter.split_text(text)


def _split_guide(doc: LoadedDocument, text: str, doc_id: str) -> list[Chunk]:
    from langchain_text_splitters import MarkdownHeaderTextSplitter, RecursiveCharacterTextSplitter

    header_splitter = MarkdownHeaderTextSplitter(
        headers_to_split_on=[("#", "h1"), ("##", "h2"), ("###", "h3")], strip_headers=True
    )
    body_splitter = RecursiveCharacterTextSplitter(
        chunk_size=GUIDE_CHUNK_CHARS, chunk_overlap=GUIDE_OVERLAP, separators=CHINESE_SEPARATORS,
        keep_separator="end",
    )
    chunks: list[Chunk] = []
    for section in header_splitter.split_text(text):
        meta = section.metadata
        chapter, sect = meta.get("h2", ""), meta.get("h3", "")
        for piece in body_splitter.split_text(section.page_content):
            piece = piece.strip()
            if not piece:
                continue
            index = len(chunks) + 1
            chunk_id = f"{doc_id}:s{index}"
            chunks.append(Chunk(
                id=chunk_id, doc_id=doc_id, kind="section", text=piece, law=doc.title, chapter=chapter,
                section=sect, file=doc.source, version=doc.version, ref=chunk_id,
            ))
    return chunks
