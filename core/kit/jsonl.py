"""JSON Lines files read line by line, a malformed line refused with its file and line number."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from core.errors import ValidationFailed


def json_lines(path: Path, name: str | None = None) -> Iterator[tuple[int, Any]]:
    """(line number, value) for every non-blank line of `path`; `name` is how errors call the file
    (default: the path as given)."""
    label = str(path) if name is None else name
    for number, line in enumerate(Path(path).read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            yield number, json.loads(line)
        except json.JSONDecodeError as exc:
            raise ValidationFailed(
                f"{label} 第 {number} 行不是合法的 JSON", f"{label} line {number} is not valid JSON: {exc.msg}"
            ) from exc
