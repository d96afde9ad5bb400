"""The pure rules of projects/: credit-code and organisation-code check characters, the 300 m
suggestion rule, listing expiry, and the company record's counting."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from core.errors import ValidationFailed
from core.kit.bureau_time import BureauTime
from projects.codes import USCC_CHARSET, is_org_code, is_uscc, normalise, org_code_check, uscc_check, valid_uscc
from projects.listings import check_listing, is_active
from projects.nearby import SUGGEST_RADIUS_M, nearest
from projects.record import LinkedReport, recent_months, summarize

# Published codes of well-known companies (business licences and annual reports), each checked by
# the algorithm here, not by our say-so: a wrong digit anywhere fails both check characters' odds.
PUBLISHED = {
    "91440300708461136T": "深圳市腾讯计算机系统有限公司",
    "91330100716105852F": "阿里巴巴（中国）有限公司",
    "914403001922038216": "华为技术有限公司",
    "91110000802100433B": "北京百度网讯科技有限公司",
    "91110108551385082Q": "小米科技有限责任公司",
}


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_published_credit_codes_pass_both_checks(code: str) -> None:
    assert is_uscc(code)
    assert uscc_check(code[:17]) == code[17]
    assert is_org_code(code[8:17]) and org_code_check(code[8:16]) == code[16]


def test_the_weights_are_powers_of_three_modulo_31() -> None:
    from projects.codes import USCC_WEIGHTS

    assert USCC_WEIGHTS[:6] == (1, 3, 9, 27, 19, 26) and USCC_WEIGHTS[-1] == 28
    assert len(USCC_CHARSET) == 31 and not set("IOZSV") & set(USCC_CHARSET)


@pytest.mark.parametrize("code", sorted(PUBLISHED))
def test_any_single_character_change_is_caught(code: str) -> None:
    for position in range(18):
        for replacement in USCC_CHARSET[:8]:
            if replacement == code[position]:
                continue
            changed = code[:position] + replacement + code[position + 1:]
            assert not is_uscc(changed), changed


def test_swapped_neighbours_are_caught() -> None:
    code = "91440300708461136T"
    for i in range(17):
        swapped = code[:i] + code[i + 1] + code[i] + code[i + 2:]
        if swapped != code:
            assert not is_uscc(swapped), swapped


def test_organisation_code_x_and_zero_check_characters() -> None:
    # 11 - (sum mod 11): 10 is written X and 11 is written 0 (GB 11714).
    bodies = {org_code_check(f"{n:08d}"): f"{n:08d}" for n in range(0, 40)}
    assert "X" in bodies and "0" in bodies
    assert is_org_code(bodies["X"] + "X") and is_org_code(bodies["0"] + "0")
    assert org_code_check("70846113") == "6"  # 腾讯's organisation code 70846113-6


def test_what_people_type_is_normalised_and_errors_say_what_is_wrong() -> None:
    assert normalise(" 9144 0300-7084 6113 6t ") == "91440300708461136T"
    assert valid_uscc("９１４４０３００７０８４６１１３６Ｔ") == "91440300708461136T"  # full-width
    cases = {
        "91440300708461136": "uscc_length",
        "9144030070846113OT": "uscc_characters",
        "I1440300708461136T": "uscc_characters",
        "94440300708461136T": "uscc_authority",
        "9144A300708461136T": "uscc_division",
        "91440300708461146T": "uscc_org_check",
        "91440300708461136U": "uscc_check",
    }
    for code, reason in cases.items():
        with pytest.raises(ValidationFailed) as caught:
            valid_uscc(code)
        assert caught.value.code == reason, code
        assert caught.value.message("zh") != caught.value.message("en")


# --- the 300 m rule ----------------------------------------------------------------------------------
def test_projects_within_300_m_nearest_first() -> None:
    lat, lon = 30.2741, 120.1551
    metre = 1 / 111_195  # degrees of latitude per metre
    candidates = [
        ("far", lat + 301 * metre, lon),
        ("edge", lat + 299.5 * metre, lon),
        ("near", lat - 40 * metre, lon),
        ("no point", None, None),
        ("east", lat, lon + 0.002),  # about 192 m at this latitude
    ]
    found = nearest(lat, lon, candidates)
    assert [n.item for n in found] == ["near", "east", "edge"]
    assert found[0].distance_m == pytest.approx(40, abs=0.5)
    assert all(n.distance_m <= SUGGEST_RADIUS_M for n in found)
    assert [n.item for n in nearest(lat, lon, candidates, limit=1)] == ["near"]


# --- listings ----------------------------------------------------------------------------------------
def test_a_listing_shows_until_its_expiry_or_until_lifted() -> None:
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    expires = now + timedelta(days=30)
    assert is_active(expires, None, now)
    assert is_active(expires, None, expires - timedelta(seconds=1))
    assert not is_active(expires, None, expires)
    assert not is_active(expires, None, expires + timedelta(days=1))
    assert not is_active(expires, now, now + timedelta(seconds=1))


def test_a_listing_needs_a_reason_and_a_future_expiry_within_five_years() -> None:
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    assert check_listing("  多次拖欠农民工工资  ", now + timedelta(days=365), now) == "多次拖欠农民工工资"
    for reason, expires, code in (("", now + timedelta(days=1), "reason_required"),
                                  ("理由", now, "expiry_in_past"),
                                  ("理由", now + timedelta(days=6 * 365), "expiry_too_far")):
        with pytest.raises(ValidationFailed) as caught:
            check_listing(reason, expires, now)
        assert caught.value.code == code


# --- the record ------------------------------------------------------------------------------------
def test_record_counts_outcomes_overdue_share_and_months() -> None:
    bureau = BureauTime()
    now = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
    day = timedelta(days=1)

    def report(status: str, created: datetime, **kw: object) -> LinkedReport:
        return LinkedReport(status=status, created_at=created, acceptance_due_at=created + 15 * day,
                            handling_due_at=kw.pop("handling_due_at", None), resolved_at=kw.pop("resolved_at", None),
                            rejected_at=kw.pop("rejected_at", None))

    reports = [
        report("resolved", now - 90 * day, resolved_at=now - 40 * day, handling_due_at=now - 20 * day),
        report("closed", now - 400 * day, resolved_at=now - 380 * day),  # resolved before the 12 months
        report("rejected", now - 10 * day, rejected_at=now - 9 * day),
        report("submitted", now - 20 * day),  # acceptance due 5 days ago: overdue
        report("in_progress", now - 5 * day, handling_due_at=now + 50 * day),
        report("merged", now - 3 * day),
    ]
    record = summarize(reports, now, bureau)
    assert (record.linked, record.substantiated, record.rejected, record.open, record.overdue) == (5, 2, 1, 2, 1)
    assert record.overdue_share == 0.5 and record.substantiated_share == pytest.approx(0.667, abs=0.001)
    assert [m.month for m in record.months][0] == "2025-04" and record.months[-1].month == "2026-03"
    by_month = {m.month: m for m in record.months}
    assert by_month["2026-01"].substantiated == 1 and by_month["2026-03"].rejected == 1
    assert sum(m.received for m in record.months) == 4  # the 400-day-old one falls before the window
    assert summarize([], now, bureau).overdue_share is None


def test_recent_months_follow_the_bureau_calendar() -> None:
    # 2026-01-31 17:00 UTC is already February 1st in Shanghai.
    months = recent_months(datetime(2026, 1, 31, 17, 0, tzinfo=UTC), BureauTime(), 3)
    assert [m.isoformat() for m in months] == ["2025-12-01", "2026-01-01", "2026-02-01"]
