"""The reporter's status page address (the receipt's link), for every channel that hands it out."""

from __future__ import annotations

from urllib.parse import urlencode


def status_link(base_url: str, number: str, token: str) -> str:
    return f"{base_url.rstrip('/')}/status/{number}?{urlencode({'token': token})}"
