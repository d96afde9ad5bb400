"""iCalendar (RFC 5545) files of open days: the public feed, one event, and the file the bot sends
with a confirmation. Times carry TZID=<bureau zone> with its VTIMEZONE, so every calendar shows the
visit at the right local time."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date
from zoneinfo import ZoneInfo

from icalendar import Calendar, Event

from core.kit.language import is_english, normalize_language, pick

from .models import OpenDayEvent
from .rules import EventStatus

PRODID = "-//Civic Desk//Open Days//ZH"
CALENDAR_NAME = {"zh": "住建局工地开放日", "en": "Construction site open days"}


def requirement_lines(
    *, audience: str, requires_id: bool, min_age: int | None, safety_gear_provided: bool,
    accessibility_notes: str, contact: str, lang: str = "zh",
) -> list[str]:
    """The visitor requirements as short sentences (the calendar description and the bot)."""
    en = is_english(lang)
    lines = []
    if audience:
        lines.append(f"Audience: {audience}" if en else f"面向：{audience}")
    if requires_id:
        lines.append("Bring your ID card" if en else "请携带身份证")
    if min_age:
        lines.append(f"Minimum age {min_age}" if en else f"年满 {min_age} 周岁")
    lines.append(
        ("Safety helmets are provided on site" if en else "现场提供安全帽等防护用品")
        if safety_gear_provided
        else ("Bring your own safety gear (helmet, closed shoes)" if en else "请自备安全帽和防滑鞋")
    )
    if accessibility_notes:
        lines.append(f"Accessibility: {accessibility_notes}" if en else f"无障碍：{accessibility_notes}")
    if contact:
        lines.append(f"Contact: {contact}" if en else f"联系方式：{contact}")
    return lines


def event_requirement_lines(event: OpenDayEvent, lang: str = "zh") -> list[str]:
    return requirement_lines(
        audience=event.audience, requires_id=event.requires_id, min_age=event.min_age,
        safety_gear_provided=event.safety_gear_provided, accessibility_notes=event.accessibility_notes,
        contact=event.contact, lang=lang,
    )


def location_text(event: OpenDayEvent) -> str:
    return f"{event.site_name}，{event.address}" if event.address else event.site_name


def _vevent(event: OpenDayEvent, tz: ZoneInfo, url: str, lang: str) -> Event:
    vevent = Event()
    vevent.add("uid", event.uid)
    vevent.add("dtstamp", event.updated_at)
    vevent.add("created", event.created_at)
    vevent.add("last-modified", event.updated_at)
    vevent.add("sequence", event.sequence)
    vevent.add("summary", event.title)
    vevent.add("dtstart", event.starts_at.astimezone(tz))
    vevent.add("dtend", event.ends_at.astimezone(tz))
    vevent.add("location", location_text(event))
    if event.lat is not None and event.lon is not None:
        vevent.add("geo", (event.lat, event.lon))
    vevent.add("url", url)
    parts = [event.description] if event.description else []
    if event.status == EventStatus.CANCELLED and event.cancel_reason:
        parts.insert(0, f"{pick(lang, '活动已取消', 'Cancelled')}: {event.cancel_reason}")
    parts.append("\n".join(event_requirement_lines(event, lang)))
    parts.append(url)
    vevent.add("description", "\n\n".join(parts))
    vevent.add("status", "CANCELLED" if event.status == EventStatus.CANCELLED else "CONFIRMED")
    vevent.add("transp", "OPAQUE")
    return vevent


def calendar_bytes(
    events: Iterable[OpenDayEvent], tz: ZoneInfo, url_for: dict[int, str], lang: str = "zh",
    name: str | None = None,
) -> bytes:
    """A VCALENDAR with one VEVENT per event and the VTIMEZONE they use."""
    cal = Calendar()
    cal.add("prodid", PRODID)
    cal.add("version", "2.0")
    cal.add("calscale", "GREGORIAN")
    cal.add("method", "PUBLISH")
    cal.add("x-wr-calname", name or CALENDAR_NAME[normalize_language(lang)])
    cal.add("x-wr-timezone", tz.key)
    years: list[int] = []
    for event in events:
        cal.add_component(_vevent(event, tz, url_for[event.id], lang))
        years += [event.starts_at.year, event.ends_at.year]
    if years:
        # Only the transitions around the events: a short VTIMEZONE instead of one back to 1970.
        cal.add_missing_timezones(first_date=date(min(years) - 1, 1, 1), last_date=date(max(years) + 2, 1, 1))
    return cal.to_ical()
