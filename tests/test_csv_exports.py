"""One Excel-safe CSV helper for every export: a citizen's formula never runs in a spreadsheet."""

from __future__ import annotations

import csv
import io

import pytest

from civicdesk.container import Services
from complaints.schemas import ReportFilters, ReportInput
from core.kit.csv import csv_text, excel_safe

ATTACKS = ['=HYPERLINK("http://evil.example","点我")', "=cmd|' /C calc'!A0", "+1+1", "-2+3", "@SUM(A1)",
           "\t=1", "\r=1", "＝1+1"]


@pytest.mark.parametrize("text", ATTACKS)
def test_formula_starts_are_quoted(text: str) -> None:
    assert excel_safe(text) == "'" + text


def test_plain_values_and_numbers_are_unchanged() -> None:
    assert excel_safe("工地扬尘 = 很大") == "工地扬尘 = 很大"
    assert excel_safe(-3) == -3 and excel_safe(2.5) == 2.5 and excel_safe(None) == ""
    text = csv_text(["a", "b"], [["x,y", 1]])
    assert text == '\ufeffa,b\r\n"x,y",1\r\n'


async def test_staff_reports_csv_quotes_formulas(services: Services) -> None:
    for i, attack in enumerate(ATTACKS[:5]):
        await services.complaints.submit(ReportInput(category="dust", description=f"扬尘 {attack}",
                                                     address=attack if i % 2 else "城东工地"))
    text = await services.complaints.export_csv(ReportFilters())
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))[1:]
    assert len(rows) == 5
    for row in rows:
        for cell in row:
            assert not cell.startswith(("=", "+", "-", "@")), row
    assert {r[7] for r in rows} >= {"'" + ATTACKS[1], "'" + ATTACKS[3]}
