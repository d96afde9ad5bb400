"""Seats: what fits and who is promoted from the waitlist. Pure functions, no database.

Capacity counts people. A party holds `party_size` seats and is confirmed only when it fits into
the seats left; otherwise it is waitlisted. When seats free up, the waitlist is walked oldest
first and every party that fits is promoted, so a waiting party of three may be overtaken by a
later single visitor when one seat frees up: seats never stay empty while someone who fits waits.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Protocol, TypeVar

from core.errors import ValidationFailed


@dataclass(frozen=True)
class Seats:
    capacity: int
    taken: int

    @property
    def left(self) -> int:
        return max(self.capacity - self.taken, 0)

    def fits(self, party_size: int) -> bool:
        """A party is confirmed when it fits into the seats left; otherwise it waits."""
        return party_size <= self.capacity - self.taken


def max_party(event_limit: int | None, default_limit: int, capacity: int) -> int:
    """People one registration may bring: the event's or the default limit, never above capacity."""
    return min(event_limit or default_limit, capacity)


def check_party_size(party_size: int, capacity: int, limit: int) -> None:
    if party_size > capacity:
        raise ValidationFailed(f"本次活动共 {capacity} 个名额，少于报名人数",
                               f"The event has only {capacity} seats in all",
                               code="party_too_large", max_party_size=capacity)
    if party_size > limit:
        raise ValidationFailed(
            f"每份报名最多 {limit} 人（含本人），本次填写了 {party_size} 人",
            f"At most {limit} people per registration (you included); got {party_size}",
            code="party_too_large", max_party_size=limit,
        )


class Waiting(Protocol):
    """What `promotions` needs of a waitlisted registration (the ORM row has it)."""

    party_size: int


W = TypeVar("W", bound=Waiting)


def promotions(waitlist: Iterable[W], free: int) -> list[W]:
    """Of the waitlist (oldest first), the parties that get the `free` seats: each that fits."""
    promoted = []
    for party in waitlist:
        if free <= 0:
            break
        if party.party_size <= free:
            promoted.append(party)
            free -= party.party_size
    return promoted
