"""The pure rules behind staff alerts: which priority changes alert, when the digest is due, the
once-only keys, and the "due within N days" deadline predicate beside its SQL twin's meaning."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from complaints.alerts import AlertPolicy, deadline_key, digest_key, raises_alert
from complaints.deadlines import deadline_field, is_due_within, resolved_in_time

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)


def test_raising_into_high_or_urgent_alerts_and_nothing_else_does() -> None:
    assert raises_alert("normal", "high") and raises_alert("low", "urgent") and raises_alert("high", "urgent")
    assert not raises_alert("urgent", "high") and not raises_alert("high", "high")
    assert not raises_alert("low", "normal") and not raises_alert("urgent", "normal")


def test_the_digest_is_due_from_its_hour_and_can_be_off() -> None:
    policy = AlertPolicy(digest_hour=8)
    assert not policy.digest_due(datetime(2026, 3, 10, 7, 59)) and policy.digest_due(datetime(2026, 3, 10, 8, 0))
    assert policy.digest_due(datetime(2026, 3, 10, 23, 0))
    assert not AlertPolicy(digest_hour=None).digest_due(datetime(2026, 3, 10, 12, 0))


def test_keys_name_the_report_deadline_and_due_time_or_the_day() -> None:
    due = NOW + timedelta(days=3)
    assert deadline_key(7, "handling_due_at", due) == "deadline:7:handling_due_at:2026-03-13T02:00:00+00:00"
    assert deadline_key(7, "handling_due_at", due) != deadline_key(7, "handling_due_at", due + timedelta(days=10))
    assert digest_key(date(2026, 3, 10)) == "overdue-digest:2026-03-10"


def test_due_within_applies_the_statuss_deadline_and_not_a_past_one() -> None:
    window = timedelta(days=3)
    acceptance, handling = NOW + timedelta(days=2), NOW + timedelta(days=30)
    assert is_due_within("submitted", acceptance, None, NOW, window)
    assert not is_due_within("accepted", acceptance, handling, NOW, window)  # handling is what applies
    assert is_due_within("in_progress", acceptance, NOW + timedelta(days=3), NOW, window)
    assert not is_due_within("submitted", NOW - timedelta(seconds=1), None, NOW, window)  # overdue already
    assert not is_due_within("resolved", acceptance, handling, NOW, window)
    assert deadline_field("submitted") == "acceptance_due_at" and deadline_field("reopened") == "handling_due_at"
    assert deadline_field("closed") is None


def test_resolved_in_time_counts_the_extended_deadline() -> None:
    assert resolved_in_time(NOW, NOW) and not resolved_in_time(NOW + timedelta(seconds=1), NOW)
    assert not resolved_in_time(None, NOW) and not resolved_in_time(NOW, None)
