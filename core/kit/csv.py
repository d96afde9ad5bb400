"""Excel-safe CSV, the one way every export is written (staff reports, open-day registrations
and feedback).

Spreadsheet programs run a cell that starts with = + - @ (or a tab or carriage return, which they
skip before looking) as a formula: a citizen's `=HYPERLINK(...)` or `=cmd|' /C calc'!A0` in a
report would run on a staff member's machine. Such text cells get a leading apostrophe, which
Excel and LibreOffice show as plain text (OWASP's advice). Numbers are left as numbers. Full-width
forms (＝ ＋ － ＠) are included: Excel on Chinese systems reads them as formula signs too.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n", "＝", "＋", "－", "＠")
BOM = "\ufeff"  # Excel reads UTF-8 (Chinese) correctly only with it


def excel_safe(value: object) -> str | int | float:
    """A cell's value as written: None is empty, text that could start a formula is quoted."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, (int, float)):
        return value
    text = str(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_text(header: Sequence[object], rows: Iterable[Sequence[object]]) -> str:
    """A whole CSV document: BOM, CRLF line ends, every cell through excel_safe."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([excel_safe(v) for v in header])
    for row in rows:
        writer.writerow([excel_safe(v) for v in row])
    return out.getvalue()
