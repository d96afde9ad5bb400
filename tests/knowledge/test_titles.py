"""Which loaded law a name refers to: exact title, short title, alias or a distinctive tail, never a loose
subsequence of the characters."""

from __future__ import annotations

import pytest

from knowledge.thesaurus import LAW_ALIASES
from knowledge.titles import resolve_title

TITLES = {title: f"id-{n}" for n, title in enumerate([
    "中华人民共和国建筑法", "中华人民共和国劳动合同法", "建设工程质量管理条例", "建设工程安全生产管理条例",
    "建设工程抗震管理条例", "物业管理条例", "信访工作条例", "保障农民工工资支付条例",
    "中华人民共和国招标投标法", "中华人民共和国招标投标法实施条例", "示范县建筑工地文明施工管理办法",
])}


@pytest.mark.parametrize(("name", "title"), [
    ("中华人民共和国建筑法", "中华人民共和国建筑法"),  # the title
    ("建筑法", "中华人民共和国建筑法"),  # without 中华人民共和国
    ("《招标投标法实施条例》", "中华人民共和国招标投标法实施条例"),
    ("质量条例", "建设工程质量管理条例"),  # alias
    ("农民工工资条例", "保障农民工工资支付条例"),
    ("招投标法", "中华人民共和国招标投标法"),
    ("文明施工管理办法", "示范县建筑工地文明施工管理办法"),  # the tail of one title
    ("抗震条例", "建设工程抗震管理条例"),  # a tail once 管理 is dropped
    ("信访条例", "信访工作条例"),
    ("物业条例", "物业管理条例"),
    ("农民工工资支付条例", "保障农民工工资支付条例"),
])
def test_names_that_refer_to_a_loaded_law(name: str, title: str) -> None:
    assert resolve_title(name, TITLES, LAW_ALIASES) == TITLES[title]


@pytest.mark.parametrize("name", [
    "劳动法",  # its characters occur in order in 劳动合同法: another law
    "管理办法",  # says nothing beyond its kind
    "条例",
    "建设工程条例",  # the tail of several titles
    "建设工程勘察设计管理条例",  # not loaded
    "安全生产法",  # a law, not the regulation
])
def test_names_that_refer_to_no_loaded_law(name: str) -> None:
    assert resolve_title(name, TITLES, LAW_ALIASES) is None


def test_building_law_is_not_found_in_a_title_that_merely_contains_its_characters() -> None:
    # 建 筑 法 occur in order in 示范县建筑工地文明施工管理办法 (the former subsequence match took it)
    only_sample = {"示范县建筑工地文明施工管理办法": "sample"}
    assert resolve_title("建筑法", only_sample, LAW_ALIASES) is None
    assert resolve_title("文明施工管理办法", only_sample, LAW_ALIASES) == "sample"
