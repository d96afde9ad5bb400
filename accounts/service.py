"""Staff accounts: creation, API tokens (stored hashed) and passwords (argon2)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select

from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import new_token, token_hash

from .models import ApiToken, StaffSession, StaffUser
from .roles import Role

USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,80}$")
MIN_PASSWORD = 10
SESSION_LIFETIME = timedelta(hours=12)
# Touching last_used_at on every request would turn every read into a write.
LAST_USED_RESOLUTION = timedelta(minutes=5)


@dataclass(frozen=True)
class StaffIdentity:
    id: int
    username: str
    display_name: str
    role: Role
    active: bool = True


def _identity(user: StaffUser) -> StaffIdentity:
    return StaffIdentity(user.id, user.username, user.display_name or user.username, Role(user.role), user.active)


class AccountService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self._hasher = PasswordHasher()

    async def create(
        self, username: str, role: str, password: str | None = None, display_name: str = ""
    ) -> tuple[StaffIdentity, str]:
        """Create a staff account and its first API token; the token is returned once, never stored."""
        username = username.strip()
        if not USERNAME_RE.match(username):
            raise ValidationFailed(
                "用户名须为 2-80 个字母、数字、汉字或 _.-", "Username must be 2-80 letters, digits, _ . or -",
                code="invalid_username",
            )
        try:
            role_value = Role(role)
        except ValueError:
            raise ValidationFailed(
                "角色须为 admin、triager 或 viewer", "Role must be admin, triager or viewer", code="invalid_role"
            ) from None
        password_hash = self._hash_password(password) if password is not None else None
        token = new_token()
        now = self.clock.now()
        async with self.db.write_session() as session:
            if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
                raise Conflict(f"用户名 {username} 已存在", f"User {username} already exists", code="user_exists")
            user = StaffUser(
                username=username, display_name=display_name or username, role=role_value.value,
                password_hash=password_hash, active=True, created_at=now,
            )
            session.add(user)
            await session.flush()
            session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label="cli", created_at=now))
        return _identity(user), token

    async def issue_token(self, username: str, label: str = "") -> str:
        token = new_token()
        async with self.db.write_session() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                raise NotFound(f"找不到用户 {username}", f"No user {username}", code="user_not_found")
            session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label,
                                 created_at=self.clock.now()))
        return token

    async def by_token(self, token: str) -> StaffIdentity | None:
        now = self.clock.now()
        async with self.db.session() as session:
            row = await session.scalar(
                select(ApiToken).where(ApiToken.token_hash == token_hash(token), ApiToken.revoked.is_(False))
            )
            if row is None or not row.user.active:
                return None
            identity = _identity(row.user)
            stale = row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION
        if stale:
            async with self.db.write_session() as session:
                token_row = await session.get(ApiToken, row.id)
                if token_row is not None:
                    token_row.last_used_at = now
        return identity

    async def by_password(self, username: str, password: str) -> StaffIdentity | None:
        async with self.db.session() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.username == username.strip()))
        if user is None or not user.active or not user.password_hash:
            # Hash anyway so a wrong username costs as much time as a wrong password.
            self._hasher.hash(password or "x")
            return None
        try:
            self._hasher.verify(user.password_hash, password)
        except (VerificationError, InvalidHashError):
            return None
        return _identity(user)

    async def open_session(self, identity: StaffIdentity, user_agent: str = "") -> str:
        """Start a browser session; returns the cookie value (stored only as a hash)."""
        token = new_token(32)
        now = self.clock.now()
        async with self.db.write_session() as session:
            session.add(StaffSession(user_id=identity.id, token_hash=token_hash(token), created_at=now,
                                     expires_at=now + SESSION_LIFETIME, user_agent=user_agent[:200]))
        return token

    async def by_session(self, token: str) -> StaffIdentity | None:
        async with self.db.session() as session:
            row = await session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            if row is None or row.expires_at <= self.clock.now() or not row.user.active:
                return None
            return _identity(row.user)

    async def close_session(self, token: str) -> None:
        async with self.db.write_session() as session:
            row = await session.scalar(select(StaffSession).where(StaffSession.token_hash == token_hash(token)))
            if row is not None:
                await session.delete(row)

    async def set_password(self, username: str, password: str) -> None:
        password_hash = self._hash_password(password)
        async with self.db.write_session() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                raise NotFound(f"找不到用户 {username}", f"No user {username}", code="user_not_found")
            user.password_hash = password_hash

    async def list(self) -> list[StaffIdentity]:
        async with self.db.session() as session:
            return [_identity(u) for u in await session.scalars(select(StaffUser).order_by(StaffUser.username))]

    async def set_active(self, username: str, active: bool) -> None:
        async with self.db.write_session() as session:
            user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
            if user is None:
                raise NotFound(f"找不到用户 {username}", f"No user {username}", code="user_not_found")
            user.active = active

    def _hash_password(self, password: str) -> str:
        if len(password) < MIN_PASSWORD:
            raise ValidationFailed(
                f"密码至少 {MIN_PASSWORD} 个字符", f"Password must have at least {MIN_PASSWORD} characters",
                code="weak_password",
            )
        return self._hasher.hash(password)
