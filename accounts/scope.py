"""Who may see which reports: a pure rule, applied by the complaints queries and triage.

An account belongs to some departments, or (none listed) to the whole bureau. A scoped account
sees only reports routed to its departments; anything else is "not found" rather than
"forbidden", so that counts and tracking numbers of other departments do not leak.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Scope:
    department_ids: frozenset[int] | None = None  # None: the whole bureau

    @classmethod
    def of(cls, department_ids: Iterable[int]) -> Scope:
        ids = frozenset(department_ids)
        return cls(ids or None)

    @property
    def whole_bureau(self) -> bool:
        return self.department_ids is None

    def allows(self, department_id: int | None) -> bool:
        """A report without a department yet is the bureau's to route: only whole-bureau staff see it."""
        return self.department_ids is None or (department_id is not None and department_id in self.department_ids)


BUREAU = Scope()
