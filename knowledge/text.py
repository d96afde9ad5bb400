"""Chinese tokenisation for keyword search, and question expansion with the domain thesaurus."""

from __future__ import annotations

import logging
import re
import threading

from core.kit.language import text_language
from knowledge.thesaurus import ENGLISH, THESAURUS

_STOP = set(
    "的 了 和 与 或 及 是 在 有 对 为 由 把 被 让 给 就 都 也 还 又 而 并 等 之 其 该 本 这 那 这个 那个 这种 "
    "什么 怎么 怎么办 怎样 如何 吗 呢 吧 啊 呀 哪 哪个 哪些 哪里 能 能不能 可以 可不可以 会 会不会 要 要不要 "
    "我 我们 你 你们 他 他们 她 它 咱们 自己 一个 一些 一下 一直 已经 现在 以后 时候 应当 应该 或者 以及 "
    "不 没 没有 没有人 不是 就是 但是 可是 如果 因为 所以 还是 这样 那样 这么 那么 非常 特别 真的 到底 "
    "可能 需要 需不需要 是否 有没有 第 条 款 项 人 说 问 想 知道 听说 请问 规定 按 按照 依照".split()
)
_PUNCT = re.compile(r"^[\W_]+$", re.UNICODE)
_tokenizer = None
_lock = threading.Lock()


def _jieba():  # type: ignore[no-untyped-def]
    global _tokenizer
    if _tokenizer is None:
        with _lock:
            if _tokenizer is None:
                import jieba

                jieba.setLogLevel(logging.WARNING)
                tokenizer = jieba.Tokenizer()
                for words in THESAURUS.values():
                    for word in words.split():
                        tokenizer.add_word(word, freq=20000)
                for word in THESAURUS:
                    if len(word) > 1:
                        tokenizer.add_word(word, freq=20000)
                tokenizer.initialize()
                _tokenizer = tokenizer
    return _tokenizer


def fingerprint() -> str:
    """Changes whenever tokenisation would: stored BM25 tokens made under another one are redone."""
    import hashlib
    import json

    from knowledge.thesaurus import THESAURUS as words

    material = json.dumps([sorted(_STOP), words, "cut_for_search-v1"], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def tokenize(text: str) -> list[str]:
    """Search-mode jieba tokens (words and their sub-words), without stop words and punctuation."""
    tokens = []
    for token in _jieba().cut_for_search(text.lower()):
        token = token.strip()
        if not token or token in _STOP or _PUNCT.match(token):
            continue
        if len(token) == 1 and not re.match(r"[\u4e00-\u9fff]", token):
            continue
        tokens.append(token)
    return tokens


_ENGLISH = [(re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE), legal) for word, legal in ENGLISH.items()]


def expansions(question: str) -> list[str]:
    """Legal terms for the everyday words in `question` (each once, in thesaurus order); an English question
    gets the Chinese terms for its words."""
    found: list[str] = []
    pairs = [(legal for word, legal in THESAURUS.items() if word in question)]
    if text_language(question) == "en":
        pairs.append(legal for pattern, legal in _ENGLISH if pattern.search(question))
    for group in pairs:
        for legal in group:
            for term in legal.split():
                if term not in found and term not in question:
                    found.append(term)
    return found


def expanded_question(question: str) -> str:
    extra = expansions(question)
    return f"{question}（{' '.join(extra)}）" if extra else question
