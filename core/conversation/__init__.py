"""The conversation engine every chat channel shares, free of any domain.

A conversation is a state name (`"Flow:step"`) plus a small JSON dict; flows read and write it
through `StateAccess`, which aiogram's `FSMContext` already satisfies and `store.KeyedState` gives
any other channel (a row in `conversations`, or Redis). A flow answers with `Say` items: the text
(catalog HTML) and the name of the widget to show under it; each channel draws widgets its own way.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol


class StateAccess(Protocol):
    """One person's conversation (the subset of aiogram's FSMContext the flows use)."""

    async def get_state(self) -> str | None: ...

    async def set_state(self, state: Any = None) -> None: ...

    async def get_data(self) -> dict[str, Any]: ...

    async def set_data(self, data: Mapping[str, Any]) -> None: ...

    async def update_data(self, data: Mapping[str, Any] | None = None, **kwargs: Any) -> dict[str, Any]: ...

    async def clear(self) -> None: ...


@dataclass(frozen=True)
class Say:
    """One message to the person: `text` is catalog HTML; `widget` names what goes under it
    (each flow lists its widget names; `data` carries what the widget needs, e.g. the choices)."""

    text: str
    widget: str | None = None
    data: Any = None


def state_name(flow: str, step: str) -> str:
    """The stored state of a step (the same string aiogram's StatesGroup of that name produces)."""
    return f"{flow}:{step}"


def step_of(state: str | None, flow: str) -> str | None:
    """The step of `flow` a stored state is at, or None when it is another flow's (or none)."""
    if state and state.startswith(f"{flow}:"):
        return state.split(":", 1)[1]
    return None


def touched(now: datetime) -> dict[str, str]:
    """The data change that marks a conversation as worked on (what expiry is measured from)."""
    return {"touched": now.isoformat()}


def is_stale(data: Mapping[str, Any], now: datetime, ttl: timedelta) -> bool:
    """Untouched for longer than `ttl` (a conversation never touched does not expire)."""
    value = data.get("touched")
    return bool(value) and now - datetime.fromisoformat(value) > ttl
