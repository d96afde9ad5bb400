"""Splitting Telegram HTML into messages under the length limit without breaking the markup."""

from __future__ import annotations

import re

# Telegram allows 4,096 characters per message; the limit here is on the HTML source, which is never
# shorter than the text Telegram counts, measured in UTF-16 code units as Telegram does.
LIMIT = 4096
_TOKEN = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>|&[#a-zA-Z0-9]+;|[^<&]", re.DOTALL)
# Where a cut reads well, best first: a line end, a sentence end, then a comma or a space.
_BREAKS = ("\n", "。！？.!?", "，,；; ")


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 units, at the best break in the second half
    of a piece (line, sentence, clause), never inside a tag or an entity; tags open at a cut are
    closed there and opened again at the start of the next piece."""
    if _units(text) <= limit:
        return [text]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    stack: list[tuple[str, str]] = []  # open tags: (name, opening tag as written)
    # Per break level: (index in `current` after which to cut, open tags there).
    breaks: list[tuple[int, list[tuple[str, str]]] | None] = [None] * len(_BREAKS)

    def closing(tags: list[tuple[str, str]]) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(tags))

    for match in _TOKEN.finditer(text):
        raw, slash, name = match.group(0), match.group(1), match.group(2)
        if current and size + _units(raw) + _units(closing(stack)) > limit:
            cut, tags = len(current), list(stack)
            for level in breaks:
                if level is not None and level[0] >= len(current) // 2:
                    cut, tags = level
                    break
            head, tail = current[:cut], current[cut:]
            pieces.append("".join(head).rstrip() + closing(tags))
            current = [opening for _, opening in tags] + tail
            size = sum(_units(t) for t in current)
            breaks = [None] * len(_BREAKS)
        current.append(raw)
        size += _units(raw)
        if name and not slash:
            stack.append((name.lower(), raw))
        elif name:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name.lower():
                    del stack[i:]
                    break
        else:
            for level, chars in enumerate(_BREAKS):
                if raw in chars:
                    breaks[level] = (len(current), list(stack))
                    break
    tail = "".join(current).strip()
    if tail:
        pieces.append(tail)
    return [p for p in pieces if p.strip()]
