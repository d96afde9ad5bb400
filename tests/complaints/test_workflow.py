from datetime import UTC, datetime, timedelta

import pytest

from complaints.deadlines import DeadlinePolicy, due_at, is_overdue
from complaints.geo import bounding_box, haversine_m
from complaints.workflow import TRANSITIONS, InvalidTransition, Status, check_transition
from core.errors import ValidationFailed

ALLOWED = {
    ("submitted", "accepted"), ("submitted", "rejected"), ("accepted", "assigned"),
    ("assigned", "in_progress"), ("in_progress", "resolved"), ("resolved", "closed"),
    ("resolved", "reopened"), ("reopened", "in_progress"),
}


@pytest.mark.parametrize("src", [s.value for s in Status])
@pytest.mark.parametrize("dst", [s.value for s in Status])
def test_exactly_the_documented_transitions_are_allowed(src: str, dst: str) -> None:
    if (src, dst) in ALLOWED:
        assert check_transition(src, dst) == Status(dst)
    else:
        with pytest.raises(InvalidTransition) as err:
            check_transition(src, dst)
        assert err.value.details["current"] == src
        assert "不能从" in err.value.message_zh and "Cannot move" in err.value.message_en


def test_refusal_names_the_allowed_next_steps() -> None:
    with pytest.raises(InvalidTransition) as err:
        check_transition("submitted", "closed")
    assert err.value.details["allowed"] == ["accepted", "rejected"]
    assert "accepted" in err.value.message_en


def test_unknown_status_is_a_clear_error() -> None:
    with pytest.raises(InvalidTransition) as err:
        check_transition("submitted", "done")
    assert err.value.code == "unknown_status"


def test_terminal_states_have_no_way_out() -> None:
    assert TRANSITIONS[Status.CLOSED] == frozenset() and TRANSITIONS[Status.REJECTED] == frozenset()


T0 = datetime(2026, 1, 31, 9, 30, tzinfo=UTC)


def test_deadlines_follow_xinfang_regulation() -> None:
    policy = DeadlinePolicy()
    assert policy.acceptance_due(T0) == T0 + timedelta(days=15)
    assert policy.handling_due(T0) == T0 + timedelta(days=60)
    assert policy.handling_due(T0, extension_days=30) == T0 + timedelta(days=90)


def test_which_deadline_applies() -> None:
    acc, handling = T0 + timedelta(days=15), T0 + timedelta(days=70)
    assert due_at("submitted", acc, None) == acc
    assert due_at("in_progress", acc, handling) == handling
    assert due_at("closed", acc, handling) is None
    assert is_overdue("submitted", acc, None, acc + timedelta(seconds=1))
    assert not is_overdue("submitted", acc, None, acc)
    assert not is_overdue("resolved", acc, handling, handling + timedelta(days=1))


def test_extension_rules() -> None:
    policy = DeadlinePolicy()
    policy.check_extension("in_progress", 0, 30, "涉及多个部门")
    policy.check_extension("accepted", 20, 10, "现场复核")
    with pytest.raises(ValidationFailed, match="at most 30"):
        policy.check_extension("in_progress", 20, 11, "再延长")
    with pytest.raises(ValidationFailed) as err:
        policy.check_extension("in_progress", 0, 5, "  ")
    assert err.value.code == "reason_required"
    with pytest.raises(ValidationFailed) as err:
        policy.check_extension("submitted", 0, 5, "理由")
    assert err.value.code == "extension_not_allowed"


def test_haversine_and_bounding_box() -> None:
    # One thousandth of a degree of latitude is about 111 m.
    assert haversine_m(30.0, 120.0, 30.001, 120.0) == pytest.approx(111.2, abs=0.5)
    min_lat, max_lat, min_lon, max_lon = bounding_box(30.0, 120.0, 200)
    assert haversine_m(30.0, 120.0, max_lat, 120.0) == pytest.approx(200, abs=0.5)
    assert haversine_m(30.0, 120.0, 30.0, max_lon) == pytest.approx(200, abs=0.5)


# --- guards and effects of a transition (workflow.apply_transition), without a database -------


class _Report:
    """Just the fields a transition reads and writes."""

    def __init__(self, status: str, department: str | None = "县住建局执法大队") -> None:
        self.status = status
        self.department = department
        self.extension_days = 0
        self.updated_at = T0
        self.accepted_at = self.resolved_at = self.closed_at = self.handling_due_at = None
        self.merged_into = None


def test_rejecting_needs_a_reason_for_the_reporter() -> None:
    from complaints.workflow import apply_transition

    report = _Report("submitted")
    with pytest.raises(ValidationFailed) as err:
        apply_transition(report, "rejected", T0, DeadlinePolicy(), public_message=None)
    assert err.value.code == "reason_required" and report.status == "submitted"
    assert apply_transition(report, "rejected", T0, DeadlinePolicy(), "不属于本局职责") is Status.REJECTED


def test_assigning_needs_a_department() -> None:
    from complaints.workflow import apply_transition

    report = _Report("accepted", department=None)
    with pytest.raises(ValidationFailed) as err:
        apply_transition(report, "assigned", T0, DeadlinePolicy())
    assert err.value.code == "department_required" and report.status == "accepted"


def test_effects_stamp_the_report_and_start_the_handling_deadline() -> None:
    from complaints.workflow import apply_transition

    policy = DeadlinePolicy(handling_days=60)
    report = _Report("submitted")
    later = T0 + timedelta(days=3)
    apply_transition(report, "accepted", later, policy)
    assert report.accepted_at == later and report.handling_due_at == later + timedelta(days=60)
    assert report.updated_at == later
    for step in ("assigned", "in_progress", "resolved"):
        apply_transition(report, step, later, policy)
    assert report.resolved_at == later and report.closed_at is None
    # Reopening is allowed only from resolved, and changes nothing but the status.
    apply_transition(report, "reopened", later + timedelta(days=1), policy)
    assert report.status == "reopened" and report.resolved_at == later
    with pytest.raises(InvalidTransition):
        apply_transition(report, "reopened", later, policy)


def test_a_merged_report_is_acted_on_through_its_primary() -> None:
    from complaints.workflow import apply_transition

    report = _Report("merged")
    report.merged_into = type("Primary", (), {"tracking_number": "2026-000001"})()
    with pytest.raises(ValidationFailed) as err:
        apply_transition(report, "accepted", T0, DeadlinePolicy())
    assert err.value.code == "report_merged" and "2026-000001" in err.value.message_zh


def test_deadline_defaults_are_the_regulation_and_settings_override_them() -> None:
    from complaints.deadlines import ACCEPTANCE_DAYS, HANDLING_DAYS, MAX_EXTENSION_DAYS
    from core.settings import Settings

    assert (ACCEPTANCE_DAYS, HANDLING_DAYS, MAX_EXTENSION_DAYS) == (15, 60, 30)
    unset = DeadlinePolicy.from_settings(Settings(_env_file=None))  # type: ignore[call-arg]
    assert unset == DeadlinePolicy() == DeadlinePolicy(15, 60, 30)
    local = DeadlinePolicy.from_settings(Settings(_env_file=None, acceptance_due_days=10))  # type: ignore[call-arg]
    assert local == DeadlinePolicy(10, 60, 30)


def test_a_status_filter_names_statuses_or_every_open_one() -> None:
    from complaints.workflow import OPEN_FILTER, OPEN_STATUSES, filter_statuses

    assert filter_statuses([OPEN_FILTER]) == sorted(s.value for s in OPEN_STATUSES)
    assert "resolved" not in filter_statuses([OPEN_FILTER]) and "merged" not in filter_statuses([OPEN_FILTER])
    assert filter_statuses(["rejected", OPEN_FILTER, "submitted"]) == sorted({"rejected", *OPEN_STATUSES})
    assert filter_statuses(["closed"]) == ["closed"]
