"""The bot's routers, in the order they are tried: commands and menu first, then the report
conversation (by state), then reports' status, and last any other text as a policy question."""

from __future__ import annotations

from aiogram import Router

from . import ask, followup, opendays, report, staff, start, status


def routers() -> list[Router]:
    """Fresh routers (a router belongs to one dispatcher, and tests build several)."""
    return [start.router(), staff.router(), status.router(), followup.router(), opendays.router(), report.router(), ask.router()]
