"""Open days: site-visit events, registration with a waitlist, check-in, minutes, feedback, and the
messages that go with them (through the outbox). One service, `OpenDayService`, put together from
one part per job:

- `events.py`: staff create, edit, publish, cancel and finish events, and record minutes;
- `registrations.py`: registering, the registrant's view (by token on the web, by chat user in the
  bot: one method each, see `ByToken` / `ByChannelUser`), cancelling, feedback, check-in;
- `notifications.py`: announcements, reminders and feedback requests (`due_notifications`);
- `views.py`: the public list and staff views; `exports.py`: CSV and iCalendar files;
- `base.py`: what they share (lookups, seat promotion, outbox messages, views).

The rules live beside the service: seats and the waitlist in `opendays/seating.py`, the event
lifecycle in `opendays/lifecycle.py`, phones and who counts as the same person in `opendays/rules.py`.
Every change to seats happens with the event row locked (SELECT ... FOR UPDATE on PostgreSQL,
BEGIN IMMEDIATE on SQLite), so capacity is never exceeded however many people register at once.
"""

from __future__ import annotations

from ..policy import OpenDayPolicy
from ..schemas import ByChannelUser, ByToken, Registrant
from .events import Events
from .exports import Exports
from .notifications import Notifications
from .registrations import Registrations

__all__ = ["ByChannelUser", "ByToken", "OpenDayPolicy", "OpenDayService", "Registrant"]


class OpenDayService(Events, Registrations, Notifications, Exports):
    """The open days' public API (`Exports` brings `Views`); built from (db, policy, clock)."""
