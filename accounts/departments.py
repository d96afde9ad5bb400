"""The bureau's departments: names folded so spelling variants are one department, and the
admin's list (create, edit, deactivate)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed

from .models import Department

_SPACE = re.compile(r"\s+")
MAX_NAME = 120


def display_name(name: str) -> str:
    """Full-width letters and spaces made plain (NFKC), inner runs of spaces one space, trimmed."""
    return _SPACE.sub(" ", unicodedata.normalize("NFKC", name)).strip()


def name_key(name: str) -> str:
    """What makes two spellings the same department: case and spaces do not count."""
    return _SPACE.sub("", unicodedata.normalize("NFKC", name)).casefold()


@dataclass(frozen=True)
class DepartmentOut:
    id: int
    name: str
    contact: str
    telegram_chat_id: str | None
    active: bool


def _out(row: Department) -> DepartmentOut:
    return DepartmentOut(row.id, row.name, row.contact, row.telegram_chat_id, row.active)


def _unknown(name: str) -> ValidationFailed:
    return ValidationFailed(f"没有名为“{name}”的部门（部门由管理员在“部门”页维护）",
                            f"No department named '{name}' (admins manage departments)", code="unknown_department")


async def find(session: AsyncSession, name: str, active_only: bool = True) -> Department:
    """The department with this name (any spacing or case), else a clear error."""
    row = await session.scalar(select(Department).where(Department.name_key == name_key(name)))
    if row is None or (active_only and not row.active):
        raise _unknown(display_name(name))
    return row


async def ensure(session: AsyncSession, names: Iterable[str], now: object) -> dict[str, Department]:
    """The departments with these names, creating missing ones (seeding from settings)."""
    found: dict[str, Department] = {}
    for name in names:
        key = name_key(name)
        row = await session.scalar(select(Department).where(Department.name_key == key))
        if row is None:
            row = Department(name=display_name(name), name_key=key, contact="", active=True, created_at=now)
            session.add(row)
            await session.flush()
        found[name] = row
    return found


class DepartmentService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock

    async def list(self, active_only: bool = False) -> list[DepartmentOut]:
        query = select(Department).order_by(Department.name)
        if active_only:
            query = query.where(Department.active.is_(True))
        async with self.db.session() as session:
            return [_out(r) for r in await session.scalars(query)]

    async def create(self, name: str, contact: str = "", telegram_chat_id: str | None = None) -> DepartmentOut:
        clean = _checked_name(name)
        async with self.db.write_session() as session:
            if await session.scalar(select(Department.id).where(Department.name_key == name_key(clean))):
                raise Conflict(f"部门“{clean}”已存在", f"Department '{clean}' already exists", code="department_exists")
            row = Department(name=clean, name_key=name_key(clean), contact=contact.strip()[:200],
                             telegram_chat_id=_chat(telegram_chat_id), active=True, created_at=self.clock.now())
            session.add(row)
            await session.flush()
            return _out(row)

    async def update(self, department_id: int, *, name: str | None = None, contact: str | None = None,
                     telegram_chat_id: str | None = None, active: bool | None = None) -> DepartmentOut:
        async with self.db.write_session() as session:
            row = await session.get(Department, department_id)
            if row is None:
                raise NotFound("找不到该部门", "No such department", code="department_not_found")
            if name is not None:
                clean = _checked_name(name)
                other = await session.scalar(select(Department.id).where(Department.name_key == name_key(clean)))
                if other is not None and other != row.id:
                    raise Conflict(f"部门“{clean}”已存在", f"Department '{clean}' already exists",
                                   code="department_exists")
                row.name, row.name_key = clean, name_key(clean)
            if contact is not None:
                row.contact = contact.strip()[:200]
            if telegram_chat_id is not None:
                row.telegram_chat_id = _chat(telegram_chat_id)
            if active is not None:
                row.active = active
            return _out(row)


def _checked_name(name: str) -> str:
    clean = display_name(name or "")
    if not clean or len(clean) > MAX_NAME:
        raise ValidationFailed(f"部门名称须为 1-{MAX_NAME} 个字符", f"A department name has 1-{MAX_NAME} characters",
                               code="invalid_department")
    return clean


def _chat(value: str | None) -> str | None:
    """A Telegram chat id: digits, a group's leading minus; empty clears it."""
    value = (value or "").strip()
    if not value:
        return None
    if not re.fullmatch(r"-?\d{1,20}", value):
        raise ValidationFailed("Telegram 群组 ID 须为数字（群组以 - 开头）",
                               "A Telegram chat id is a number (groups start with -)", code="invalid_chat_id")
    return value
