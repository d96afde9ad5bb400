"""Staff accounts' own chats on a channel (Telegram), linked with a one-time code, and who hears
about a department's reports: its staff group chat and the linked chats of the staff it concerns.

A code is shown once in the console, stored as a hash, lives `CODE_TTL` (10 minutes by default) and
is spent by its first use (a conditional UPDATE, so two chats racing with one code cannot both
win). A new code replaces the account's unused ones. Linking a chat moves it off any other
account, and replaces the account's earlier chat on that channel.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import NotFound, ValidationFailed
from core.ids import short_code, token_hash
from core.kit.channels import ChannelName

from .models import Department, StaffChannelLink, StaffLinkCode, StaffUser
from .scope import Scope

CODE_TTL = timedelta(minutes=10)
CODE_LENGTH = 8  # from 31 unambiguous characters: about 40 bits, for a code that lives minutes
LINKABLE = frozenset({ChannelName.TELEGRAM.value})
_NOT_CODE = re.compile(r"[\s-]+")


@dataclass(frozen=True)
class LinkCode:
    code: str  # shown once
    channel: str
    expires_at: datetime


@dataclass(frozen=True)
class ChannelLinkOut:
    channel: str
    address: str
    username: str
    linked_at: datetime


@dataclass(frozen=True)
class Recipient:
    """Where an alert goes, and which reports that chat may hear about."""

    channel: str
    address: str
    scope: Scope


def normalize_code(text: str) -> str:
    """What someone typed: case, spaces and dashes do not count ("abcd-2345" = "ABCD2345")."""
    return _NOT_CODE.sub("", text or "").upper()


def _check_channel(channel: str) -> str:
    if channel not in LINKABLE:
        raise ValidationFailed(f"不支持绑定渠道 {channel}", f"Channel {channel} cannot be linked",
                               code="unsupported_channel")
    return channel


def _bad_code() -> ValidationFailed:
    return ValidationFailed("绑定码无效、已使用或已过期，请在工作台重新生成",
                            "The code is wrong, used or expired; make a new one in the console",
                            code="invalid_link_code")


class ChannelLinks:
    def __init__(self, db: Database, clock: Clock, code_ttl: timedelta = CODE_TTL):
        self.db = db
        self.clock = clock
        self.code_ttl = code_ttl

    async def new_code(self, user_id: int, channel: str = ChannelName.TELEGRAM.value) -> LinkCode:
        _check_channel(channel)
        now = self.clock.now()
        code = short_code(CODE_LENGTH)
        async with self.db.write_session() as session:
            await session.execute(delete(StaffLinkCode).where(StaffLinkCode.user_id == user_id,
                                                              StaffLinkCode.channel == channel))
            session.add(StaffLinkCode(user_id=user_id, channel=channel, code_hash=token_hash(code), created_at=now,
                                      expires_at=now + self.code_ttl))
        return LinkCode(code, channel, now + self.code_ttl)

    async def redeem(self, code: str, channel: str, address: str) -> ChannelLinkOut:
        """Link `address` on `channel` to the account whose code this is; the code is spent."""
        _check_channel(channel)
        digest = token_hash(normalize_code(code))
        now = self.clock.now()
        async with self.db.write_session() as session:
            row = await session.scalar(select(StaffLinkCode).where(
                StaffLinkCode.code_hash == digest, StaffLinkCode.channel == channel))
            if row is None or row.used_at is not None or row.expires_at <= now:
                raise _bad_code()
            spent = await session.execute(
                update(StaffLinkCode).where(StaffLinkCode.id == row.id, StaffLinkCode.used_at.is_(None))
                .values(used_at=now).execution_options(synchronize_session=False))
            user = await session.get(StaffUser, row.user_id)
            if spent.rowcount != 1 or user is None or not user.active:  # type: ignore[attr-defined]
                raise _bad_code()
            await session.execute(delete(StaffChannelLink).where(
                StaffChannelLink.channel == channel,
                (StaffChannelLink.address == address) | (StaffChannelLink.user_id == user.id)))
            session.add(StaffChannelLink(user_id=user.id, channel=channel, address=address, created_at=now))
            return ChannelLinkOut(channel, address, user.username, now)

    async def unlink_address(self, channel: str, address: str) -> str | None:
        """Unlink a chat (from the chat itself); the account it was linked to, if any."""
        async with self.db.write_session() as session:
            link = await session.scalar(select(StaffChannelLink).where(
                StaffChannelLink.channel == channel, StaffChannelLink.address == address))
            if link is None:
                return None
            username = link.user.username
            await session.delete(link)
            return username

    async def unlink_user(self, user_id: int, channel: str) -> None:
        async with self.db.write_session() as session:
            removed = await session.execute(delete(StaffChannelLink).where(
                StaffChannelLink.user_id == user_id, StaffChannelLink.channel == channel))
            if removed.rowcount == 0:  # type: ignore[attr-defined]
                raise NotFound("该账号没有绑定这个渠道", "This account has no chat linked on that channel",
                               code="link_not_found")

    async def of_user(self, user_id: int) -> list[ChannelLinkOut]:
        async with self.db.session() as session:
            rows = await session.scalars(select(StaffChannelLink).where(StaffChannelLink.user_id == user_id)
                                         .order_by(StaffChannelLink.channel))
            return [ChannelLinkOut(r.channel, r.address, r.user.username, r.created_at) for r in rows]


async def audience(session: AsyncSession) -> list[Recipient]:
    """Every chat that hears about reports: active departments' staff chats (their department's
    reports) and active staff's linked chats (their departments', or all for the whole bureau).
    A chat named twice hears once, with both scopes together."""
    scopes: dict[tuple[str, str], set[int] | None] = {}

    def widen(key: tuple[str, str], ids: set[int] | None) -> None:
        if key in scopes and scopes[key] is None:
            return
        scopes[key] = None if ids is None else (scopes.get(key) or set()) | ids

    for department in await session.scalars(select(Department).where(
            Department.active.is_(True), Department.telegram_chat_id.is_not(None))):
        widen((ChannelName.TELEGRAM.value, department.telegram_chat_id or ""), {department.id})
    for link in await session.scalars(select(StaffChannelLink).join(StaffUser).where(StaffUser.active.is_(True))):
        widen((link.channel, link.address), {d.id for d in link.user.departments} or None)
    return [Recipient(channel, address, Scope(frozenset(ids) if ids is not None else None))
            for (channel, address), ids in scopes.items()]


async def recipients_for(session: AsyncSession, department_id: int | None,
                         exclude: frozenset[str] = frozenset()) -> list[Recipient]:
    """The chats that hear about a report of this department (whole-bureau staff hear of all,
    also of reports not yet routed); staff named in `exclude` (usernames: whoever made the change)
    are left out."""
    chosen = [r for r in await audience(session) if r.scope.allows(department_id)]
    if not exclude:
        return chosen
    skipped = set(await session.scalars(select(StaffChannelLink.address).join(StaffUser)
                                        .where(StaffUser.username.in_(sorted(exclude)))))
    return [r for r in chosen if r.address not in skipped]
