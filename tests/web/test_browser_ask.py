"""Policy answers on a phone-sized screen (390x844): a short cited answer, the articles folded, the hand-off
to a report; and the console following an upload without reloading."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.web.conftest import screenshotted_page, sign_in


@pytest.fixture
def phone(browser, request: pytest.FixtureRequest) -> Iterator[object]:  # noqa: ANN001
    yield from screenshotted_page(browser, request, timeout_ms=30_000, viewport={"width": 390, "height": 844},
                                  device_scale_factor=2, is_mobile=True, has_touch=True)


def ask(page, base: str, question: str) -> str:  # noqa: ANN001
    page.goto(f"{base}/ask")
    page.fill("#ask-form textarea[name=q]", question)
    page.click("#ask-form button[type=submit]")
    return page.inner_text("#answer .answer-text")


def test_a_citizen_with_a_reportable_problem_is_handed_to_the_report_form(browser, site, phone) -> None:  # noqa: ANN001
    question = "拖欠农民工工资去哪里投诉"
    answer = ask(phone, site.url, question)
    assert "（《县住房和城乡建设局办事指南》“被拖欠工资怎么办”）" in answer and len(answer) <= 300
    # the articles are folded: their text is not shown until opened
    details = phone.locator("#answer details")
    assert details.count() >= 1 and details.first.get_attribute("open") is None
    assert not phone.locator("#answer details blockquote").first.is_visible()
    phone.click("#answer details summary >> nth=0")
    assert phone.locator("#answer details blockquote").first.is_visible()
    # the answer fits on the first screen of a phone
    box = phone.locator("#answer .answer-text").bounding_box()
    assert box and box["y"] + box["height"] < 844 * 1.2
    phone.click("#report-handoff")
    assert phone.url.split("?")[0].endswith("/report")
    assert phone.eval_on_selector("select[name=category]", "s => s.value") == "unpaid_wages"
    assert phone.input_value("textarea[name=description]") == question


def test_night_noise_is_answered_briefly_and_offered_the_report(browser, site, phone) -> None:  # noqa: ANN001
    answer = ask(phone, site.url, "工地晚上施工太吵了怎么办？")
    assert "（《" in answer and len(answer) <= 300
    assert phone.locator("#report-handoff").count() == 1
    href = phone.get_attribute("#report-handoff", "href")
    assert "category=night_noise" in href
    # the vote buttons say what they mean in words too (a device without an emoji font shows boxes)
    helpful = phone.locator("#answer button[name=helpful][value=true]")
    assert helpful.inner_text() == "👍 有帮助"
    helpful.click()
    assert "voted=1" in phone.url and phone.locator("#answer button[name=helpful]").count() == 0


def test_a_company_question_gets_no_report_button(browser, site, phone) -> None:  # noqa: ANN001
    answer = ask(phone, site.url, "施工许可证办理需要多长时间")
    assert "7 个工作日内作出决定" in answer
    assert phone.locator("#report-handoff").count() == 0
    assert phone.get_attribute("#ask-form textarea[name=q]", "maxlength") == "500"


def test_console_follows_an_upload_without_reloading(browser, site, page, tmp_path) -> None:  # noqa: ANN001
    law = tmp_path / "示范县围挡管理办法.md"
    law.write_text("# 示范县围挡管理办法\n\n" + "\n\n".join(
        f"第{n}条 施工现场围挡高度不低于二点五米，第{n}项。" for n in "一二三四五"), encoding="utf-8")
    sign_in(page, site.url, "triager")
    page.goto(f"{site.url}/staff/knowledge")
    page.set_input_files("input[name=document]", str(law))
    page.click("form[action='/staff/knowledge/upload'] button[type=submit]")
    row = page.locator("#jobs tr[data-job]").first
    assert "示范县围挡管理办法.md" in row.inner_text()
    page.evaluate("window.__stayed = true")  # gone if the page reloads
    page.wait_for_function("() => document.querySelector('#jobs tr[data-job]').dataset.state === 'ready'")
    assert page.evaluate("window.__stayed") is True
    assert "5/5" in row.inner_text() or "/" in row.inner_text()


def test_an_english_question_is_answered_in_english_on_a_phone(browser, site, phone) -> None:  # noqa: ANN001
    phone.goto(f"{site.url}/ask?lang=en")
    phone.fill("#ask-form textarea[name=q]", "The site next door works at night and it is too loud. Who do I complain to?")
    phone.click("#ask-form button[type=submit]")
    answer = phone.inner_text("#answer .answer-text")
    assert answer.startswith("From the regulations (quoted in the original Chinese):") and "“" in answer
    assert len(answer) <= 700
    assert phone.get_attribute("#report-handoff", "href").count("category=night_noise") == 1
    assert phone.locator("#answer button[name=helpful][value=true]").inner_text() == "👍 Helpful"
