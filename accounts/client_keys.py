"""API keys of client systems (Open311 clients such as a city's 12345 platform). A key is shown
once when it is made and stored as its sha256 (keys are long random strings, so a fast hash is
enough and lets a key be found by it); every check reads the database, so a key added or revoked
with `civicdesk open311 keys ...` takes effect at once in running servers. Keys named in
`CIVICDESK_OPEN311_API_KEYS` are accepted too (compared in constant time)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import new_token, secrets_equal, token_hash

from .models import ClientKey

KEY_PREFIX = "cd311_"
NAME_MAX = 80
_NAME = re.compile(r"^[\w.\- \u4e00-\u9fff]{1,%d}$" % NAME_MAX)
CONFIGURED = "configured"  # the client name of a key from the settings
# Touching last_used_at on every request would turn every check into a write.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class NewClientKey:
    name: str
    key: str  # shown once


@dataclass(frozen=True)
class ClientKeyInfo:
    name: str
    prefix: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _info(row: ClientKey) -> ClientKeyInfo:
    return ClientKeyInfo(row.name, row.prefix, row.created_at, row.last_used_at, row.revoked_at)


class ClientKeys:
    def __init__(self, db: Database, clock: Clock, configured: Sequence[str] = ()):
        self.db = db
        self.clock = clock
        self._configured = tuple(token_hash(k) for k in configured if k)

    async def add(self, name: str) -> NewClientKey:
        name = name.strip()
        if not _NAME.match(name):
            raise ValidationFailed(f"客户端名称须为 1 至 {NAME_MAX} 个字母、数字、汉字、空格或 . _ -",
                                   f"A client name is 1 to {NAME_MAX} letters, digits, Chinese characters, spaces "
                                   "or . _ -", code="invalid_name")
        key = KEY_PREFIX + new_token(32)
        try:
            async with self.db.write_session() as session:
                session.add(ClientKey(name=name, key_hash=token_hash(key), prefix=key[:12], created_at=self.clock.now()))
        except IntegrityError:
            raise Conflict(f"已有名为“{name}”的客户端密钥（包括已撤销的），请换一个名称",
                           f"A client key named '{name}' exists (revoked ones count); choose another name",
                           code="name_taken") from None
        return NewClientKey(name, key)

    async def list(self) -> list[ClientKeyInfo]:
        async with self.db.session() as session:
            return [_info(r) for r in await session.scalars(select(ClientKey).order_by(ClientKey.name))]

    async def revoke(self, name: str) -> ClientKeyInfo:
        async with self.db.write_session() as session:
            row = await session.scalar(select(ClientKey).where(ClientKey.name == name.strip()))
            if row is None:
                raise NotFound(f"没有名为“{name}”的客户端密钥", f"No client key named '{name}'", code="key_not_found")
            if row.revoked_at is None:
                row.revoked_at = self.clock.now()
            return _info(row)

    async def client_for(self, key: str | None) -> str | None:
        """The name of the client whose key this is, or None for a missing, unknown or revoked key."""
        if not key:
            return None
        digest = token_hash(key)
        if any(secrets_equal(digest, known) for known in self._configured):
            return CONFIGURED
        async with self.db.session() as session:
            row = await session.scalar(select(ClientKey).where(ClientKey.key_hash == digest))
            if row is None or row.revoked_at is not None:
                return None
            name, last_used = row.name, row.last_used_at
        now = self.clock.now()
        if last_used is None or now - last_used > LAST_USED_RESOLUTION:
            async with self.db.write_session() as session:
                stored = await session.get(ClientKey, row.id)
                if stored is not None:
                    stored.last_used_at = now
        return name
