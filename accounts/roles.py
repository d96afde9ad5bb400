"""Staff roles, from least to most powerful."""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"  # reads everything, changes nothing
    TRIAGER = "triager"  # works on reports and open days
    ADMIN = "admin"  # everything, including staff accounts


_RANK = {Role.VIEWER: 0, Role.TRIAGER: 1, Role.ADMIN: 2}


def role_allows(role: str, required: Role) -> bool:
    return _RANK[Role(role)] >= _RANK[required]
