"""The shared kit: bureau time from settings, language tags."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

import pytest

from civicdesk.container import build_services
from complaints.schemas import Channel, ReportFilters, ReportInput
from core.clock import FrozenClock
from core.kit.bureau_time import DEFAULT_TZ, BureauTime
from core.kit.language import normalize_language, pick, text_language
from core.settings import Settings


def test_bureau_time_follows_the_configured_zone() -> None:
    assert BureauTime().tz == DEFAULT_TZ == ZoneInfo("Asia/Shanghai")
    new_york = BureauTime.from_settings(Settings(_env_file=None, timezone="America/New_York"))  # type: ignore[call-arg]
    moment = datetime(2026, 1, 1, 2, 0, tzinfo=UTC)
    assert new_york.year(moment) == 2025 and BureauTime().year(moment) == 2026
    assert new_york.text(moment) == "2025-12-31 21:00" and BureauTime().date_text(moment) == "2026-01-01"
    assert new_york.start_of_day(moment) == datetime(2025, 12, 31, tzinfo=ZoneInfo("America/New_York"))
    assert BureauTime().day_start(date(2026, 3, 1)).utcoffset().total_seconds() == 8 * 3600
    naive_sqlite = datetime(2026, 1, 1, 2, 0)  # SQLite hands back naive UTC
    assert BureauTime().text(naive_sqlite) == "2026-01-01 10:00"
    assert BureauTime().read_local(datetime(2026, 3, 1, 9, 0)).isoformat() == "2026-03-01T09:00:00+08:00"
    assert BureauTime().text(None) == ""


@pytest.mark.parametrize(
    ("tag", "expected"),
    [("en", "en"), ("en-GB", "en"), ("EN_us", "en"), ("zh", "zh"), ("zh-Hant", "zh"), ("fr", "zh"),
     (None, "zh"), ("", "zh"), ("  en ", "en")],
)
def test_language_tags(tag: str | None, expected: str) -> None:
    assert normalize_language(tag) == expected


def test_pick_and_default() -> None:
    assert pick("en-US", "中文", "English") == "English" and pick(None, "中文", "English") == "中文"
    assert normalize_language("fr", default="en") == "en"


async def test_tracking_numbers_and_csv_use_the_bureaus_zone(settings: Settings) -> None:
    """At 02:00 UTC on 1 January it is still 2025 in New York: the number and the CSV say so."""
    clock = FrozenClock(datetime(2026, 1, 1, 2, 0, tzinfo=UTC))
    services = build_services(settings.model_copy(update={"timezone": "America/New_York"}), clock)
    try:
        await services.complaints.ensure_seed_data()
        data = ReportInput(category="dust", description="工地扬尘很严重，没人管", address="人民路工地",
                           channel=Channel.WEB)
        result = await services.complaints.submit(data)
        assert result.tracking_number == "2025-000001"
        csv_text = await services.complaints.export_csv(ReportFilters())
        assert "2025-12-31 21:00" in csv_text
        board = await services.complaints.dashboard()
        assert board.new_today == 1
    finally:
        await services.aclose()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("When do we need a construction permit?", "en"),
        ("What does 建筑法 say about permits before work starts?", "en"),  # a law name keeps it English
        ("建筑法第七条 permit 怎么办", "zh"),
        ("工地晚上施工太吵了怎么办？", "zh"),
        ("", "zh"),
    ],
)
def test_text_language(text: str, expected: str) -> None:
    assert text_language(text) == expected


def test_sealed_values_open_only_with_their_key_and_purpose() -> None:
    from core.kit import sealing

    key = sealing.derive_key("app secret", "civicdesk-test", b"seal")
    assert key != sealing.derive_key("app secret", "civicdesk-test", b"other")
    sealed = sealing.seal(key, "令牌".encode(), b"token")
    assert sealing.unseal(key, sealed, b"token") == "令牌".encode()
    assert sealing.seal(key, b"x", b"token") != sealing.seal(key, b"x", b"token")  # a fresh nonce each time
    assert sealing.unseal(key, sealed, b"proof") is None  # sealed for another purpose
    assert sealing.unseal(sealing.derive_key("another secret", "civicdesk-test", b"seal"), sealed, b"token") is None
    assert sealing.unseal(key, sealed[:-4] + "AAAA", b"token") is None  # damaged
    assert sealing.unseal(key, "not base64!", b"token") is None


def test_json_lines_numbers_lines_skips_blank_ones_and_names_the_bad_one(tmp_path) -> None:  # noqa: ANN001
    from core.errors import ValidationFailed
    from core.kit.jsonl import json_lines

    path = tmp_path / "items.jsonl"
    path.write_text('{"a": 1}\n\n  \n[2]\n', encoding="utf-8")
    assert list(json_lines(path)) == [(1, {"a": 1}), (4, [2])]
    path.write_text('{"a": 1}\n{oops\n', encoding="utf-8")
    with pytest.raises(ValidationFailed) as error:
        list(json_lines(path, "items.jsonl"))
    assert error.value.message_en.startswith("items.jsonl line 2 is not valid JSON")
    assert error.value.message_zh == "items.jsonl 第 2 行不是合法的 JSON"
    with pytest.raises(ValidationFailed) as error:
        list(json_lines(path))
    assert error.value.message_en.startswith(f"{path} line 2")
