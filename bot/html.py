"""Splitting Telegram HTML into messages under the length limit without breaking the markup."""

from __future__ import annotations

import re

# Telegram allows 4,096 characters per message; the limit here is on the HTML source, which is never
# shorter than the text Telegram counts, measured in UTF-16 code units as Telegram does.
LIMIT = 4096
_TOKEN = re.compile(r"<(/?)([a-zA-Z0-9-]+)[^>]*>|&[#a-zA-Z0-9]+;|[^<&]", re.S)
_SOFT_BREAKS = "\n。！？；.!?;，, "


def _units(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def split_html(text: str, limit: int = LIMIT) -> list[str]:
    """Cut `text` into pieces of at most `limit` UTF-16 units, at a line or sentence end where one is
    near, never inside a tag or an entity; tags open at a cut are closed and opened again."""
    if _units(text) <= limit:
        return [text]
    tokens = [(m.group(0), m.group(1), m.group(2)) for m in _TOKEN.finditer(text)]
    pieces: list[str] = []
    current: list[str] = []
    size = 0
    stack: list[tuple[str, str]] = []  # (name, opening tag)
    last_break = -1  # index in `current` after which a cut is nice
    opened_at_break: list[tuple[str, str]] = []

    def closing(tags: list[tuple[str, str]]) -> str:
        return "".join(f"</{name}>" for name, _ in reversed(tags))

    for raw, slash, name in tokens:
        reserve = _units(closing(stack))
        if size + _units(raw) + reserve > limit and current:
            cut = last_break + 1 if last_break >= len(current) // 2 else len(current)
            head, tail = current[:cut], current[cut:]
            tags_at_cut = opened_at_break if cut != len(current) else list(stack)
            pieces.append("".join(head).rstrip() + closing(tags_at_cut))
            current = [open_tag for _, open_tag in tags_at_cut] + tail
            size = sum(_units(t) for t in current)
            last_break = -1
        current.append(raw)
        size += _units(raw)
        if name and not slash:
            stack.append((name.lower(), raw))
        elif name and slash:
            for i in range(len(stack) - 1, -1, -1):
                if stack[i][0] == name.lower():
                    del stack[i:]
                    break
        elif raw in _SOFT_BREAKS:
            last_break = len(current) - 1
            opened_at_break = list(stack)
    if current:
        tail = "".join(current).strip()
        if tail:
            pieces.append(tail)
    return [p for p in pieces if p.strip()]
