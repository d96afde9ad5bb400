"""Addresses handed out in messages and feeds: the reporter's status page (the receipt's link) and a
report's staff console page."""

from __future__ import annotations

from urllib.parse import urlencode


def status_link(base_url: str, number: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/status/{number}?{urlencode({'token': token})}"


def console_link(base_url: str, number: str) -> str:
    return f"{base_url.rstrip('/')}/staff/reports/{number}"
