"""The Open311 rules on their own (complaints/open311.py): status mapping from the workflow,
expected_datetime from the statutory clocks, service attributes, names, dates and the 90-day window."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from complaints import open311
from complaints.deadlines import DeadlinePolicy
from complaints.open311 import CLOSED, OPEN, PROFILES
from complaints.workflow import OPEN_STATUSES, Status
from core.errors import ValidationFailed
from core.kit.bureau_time import BureauTime

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


@pytest.mark.parametrize(("status", "expected"), [
    (Status.SUBMITTED, OPEN), (Status.ACCEPTED, OPEN), (Status.ASSIGNED, OPEN), (Status.IN_PROGRESS, OPEN),
    (Status.REOPENED, OPEN), (Status.RESOLVED, CLOSED), (Status.CLOSED, CLOSED), (Status.REJECTED, CLOSED),
])
def test_status_is_open_while_the_bureau_still_owes_something(status: Status, expected: str) -> None:
    assert open311.open311_status(status.value) == expected


def test_status_filters_cover_every_listed_status_once() -> None:
    opened, closed = open311.workflow_statuses(OPEN), open311.workflow_statuses(CLOSED)
    assert opened == {s.value for s in OPEN_STATUSES}
    assert not opened & closed
    assert opened | closed | {Status.MERGED.value} == {s.value for s in Status}
    with pytest.raises(ValidationFailed):
        open311.workflow_statuses("pending")


def test_expected_datetime_follows_the_statutory_clocks() -> None:
    policy = DeadlinePolicy()
    acceptance = policy.acceptance_due(NOW)
    handling = policy.handling_due(NOW + timedelta(days=2), extension_days=10)
    assert open311.expected_datetime("submitted", acceptance, None) == NOW + timedelta(days=15)
    for status in ("accepted", "assigned", "in_progress", "reopened"):
        assert open311.expected_datetime(status, acceptance, handling) == NOW + timedelta(days=72)
    for status in ("resolved", "closed", "rejected"):
        assert open311.expected_datetime(status, acceptance, handling) is None


def test_attributes_are_checked_against_the_definition() -> None:
    safety = PROFILES["safety_hazard"]
    answers = open311.read_attributes(safety, {"hazard_kind": ["no_nets", "crane", "no_nets"],
                                               "immediate_danger": ["yes"]})
    assert [(a.code, v) for a, v in answers] == [("hazard_kind", ["no_nets", "crane"]), ("immediate_danger", ["yes"])]
    assert open311.attributes_text(answers) == "隐患类型：未设安全网、塔吊/起重机械\n是否有人员面临立即危险：是"
    for given, fragment in [
        ({"immediate_danger": ["yes"]}, "hazard_kind"),  # required
        ({"hazard_kind": ["lava"], "immediate_danger": ["yes"]}, "must be one of"),
        ({"hazard_kind": ["crane"], "immediate_danger": ["yes", "no"]}, "takes one value"),
        ({"hazard_kind": ["crane"], "immediate_danger": ["yes"], "colour": ["red"]}, "no attribute"),
    ]:
        with pytest.raises(ValidationFailed, match=fragment):
            open311.read_attributes(safety, given)
    wages = PROFILES["unpaid_wages"]
    assert open311.read_attributes(wages, {"workers_affected": [" 012 "]})[0][1] == ["12"]
    for bad in ("-3", "2.5", "many", "100001"):
        with pytest.raises(ValidationFailed, match="whole number"):
            open311.read_attributes(wages, {"workers_affected": [bad]})
    with pytest.raises(ValidationFailed, match="at most 200"):
        open311.read_attributes(wages, {"workers_affected": ["3"], "employer": ["x" * 201]})
    assert open311.read_attributes(open311.profile("a_category_staff_added"), {}) == []


def test_every_choice_list_has_unique_keys_and_both_languages() -> None:
    for service in PROFILES.values():
        assert service.group[0] and service.group[1] and service.keywords("zh") and service.keywords("en")
        for attribute in service.attributes:
            keys = [c.key for c in attribute.choices]
            assert len(keys) == len(set(keys))
            assert all(c.zh and c.en for c in attribute.choices)


def test_contact_names() -> None:
    assert open311.contact_name("三", "张") == "张三"
    assert open311.contact_name("Jane", "Doe") == "Jane Doe"
    assert open311.contact_name(" ", "Doe") == "Doe"
    assert open311.contact_name(None, None) is None


def test_times_and_the_ninety_day_window() -> None:
    bureau = BureauTime()
    assert open311.parse_time("2026-03-01T00:00:00Z", bureau, "start_date") == datetime(2026, 3, 1, tzinfo=UTC)
    assert open311.parse_time("2026-03-01T08:00:00+08:00", bureau, "x") == datetime(2026, 3, 1, tzinfo=UTC)
    assert open311.parse_time("2026-03-01T08:00:00", bureau, "x") == datetime(2026, 3, 1, tzinfo=UTC)  # naive: bureau
    assert open311.parse_time("2026-03-01", bureau, "x") == datetime(2026, 2, 28, 16, tzinfo=UTC)
    end = open311.parse_time("2026-03-01", bureau, "x", end=True)
    assert end < datetime(2026, 3, 1, 16, tzinfo=UTC) and end > datetime(2026, 3, 1, 15, 59, tzinfo=UTC)
    for bad in ("yesterday", "2026-13-01", "2026-02-30", "2026-03-01T25:00:00Z", ""):
        with pytest.raises(ValidationFailed, match="start_date"):
            open311.parse_time(bad, bureau, "start_date")
    day = timedelta(days=1)
    assert open311.search_window(None, None, NOW) == (NOW - 90 * day, NOW)
    assert open311.search_window(NOW - 10 * day, None, NOW) == (NOW - 10 * day, NOW + 80 * day)
    assert open311.search_window(None, NOW, NOW) == (NOW - 90 * day, NOW)
    assert open311.search_window(NOW - 90 * day, NOW, NOW) == (NOW - 90 * day, NOW)
    with pytest.raises(ValidationFailed, match="90 days"):
        open311.search_window(NOW - 92 * day, NOW, NOW)
    with pytest.raises(ValidationFailed, match="before"):
        open311.search_window(NOW, NOW - day, NOW)
