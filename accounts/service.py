"""Staff accounts: creation, API tokens (stored hashed) and passwords (argon2)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.clock import Clock
from core.db import Database
from core.errors import Conflict, NotFound, ValidationFailed
from core.ids import new_token, token_hash

from . import departments as department_rules
from .models import ApiToken, StaffSession, StaffUser
from .passwords import check_password, temporary_password
from .roles import Role
from .scope import Scope

USERNAME_MAX = 80
USERNAME_RE = re.compile(r"^[A-Za-z0-9_.\-\u4e00-\u9fff]{2,%d}$" % USERNAME_MAX)
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
    must_change_password: bool = False
    department_ids: frozenset[int] = frozenset()  # empty: the whole bureau
    departments: tuple[str, ...] = ()

    @property
    def scope(self) -> Scope:
        return Scope.of(self.department_ids)


@dataclass(frozen=True)
class NewAccount:
    identity: StaffIdentity
    token: str  # the first API token, shown once
    temporary_password: str | None  # set when no password was given; must be changed at first sign-in


def _identity(user: StaffUser) -> StaffIdentity:
    return StaffIdentity(user.id, user.username, user.display_name or user.username, Role(user.role), user.active,
                         bool(user.must_change_password), frozenset(d.id for d in user.departments),
                         tuple(d.name for d in user.departments))


def _not_found(username: str) -> NotFound:
    return NotFound(f"找不到用户 {username}", f"No user {username}", code="user_not_found")


@dataclass(frozen=True)
class TokenInfo:
    id: int
    username: str
    label: str
    created_at: datetime
    last_used_at: datetime | None
    revoked: bool


def _token_info(row: ApiToken) -> TokenInfo:
    return TokenInfo(row.id, row.user.username, row.label, row.created_at, row.last_used_at, row.revoked)


class AccountService:
    def __init__(self, db: Database, clock: Clock):
        self.db = db
        self.clock = clock
        self._hasher = PasswordHasher()

    async def create(
        self, username: str, role: str, password: str | None = None, display_name: str = "",
        must_change_password: bool | None = None, departments: Sequence[str] = (),
    ) -> NewAccount:
        """Create a staff account and its first API token; the token is returned once, never stored.

        Without a password the account gets a temporary one (returned once) that must be changed at
        the first sign-in, so every account can sign in. `must_change_password` forces the same for a
        password someone else chose (an admin creating the account in the console)."""
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
        temporary = temporary_password() if password is None else None
        password_hash = self._hash_password(password if password is not None else temporary, username)  # type: ignore[arg-type]
        must_change = temporary is not None if must_change_password is None else must_change_password
        token = new_token()
        now = self.clock.now()
        async with self.db.write_session() as session:
            if await session.scalar(select(StaffUser.id).where(StaffUser.username == username)):
                raise Conflict(f"用户名 {username} 已存在", f"User {username} already exists", code="user_exists")
            user = StaffUser(
                username=username, display_name=display_name or username, role=role_value.value,
                password_hash=password_hash, active=True, must_change_password=must_change, created_at=now,
                departments=[await department_rules.find(session, name) for name in dict.fromkeys(departments)],
            )
            session.add(user)
            await session.flush()
            session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label="cli", created_at=now))
        return NewAccount(_identity(user), token, temporary)

    async def issue_token(self, username: str, label: str = "") -> str:
        token = new_token()
        async with self.db.write_session() as session:
            user = await self._user(session, username)
            session.add(ApiToken(user_id=user.id, token_hash=token_hash(token), label=label,
                                 created_at=self.clock.now()))
        return token

    async def tokens(self, username: str | None = None) -> list[TokenInfo]:
        """API tokens (never their values: only hashes are stored), newest first."""
        async with self.db.session() as session:
            query = select(ApiToken).join(ApiToken.user).order_by(ApiToken.id.desc())
            if username is not None:
                query = query.where(StaffUser.username == username)
            return [_token_info(row) for row in await session.scalars(query)]

    async def revoke_token(self, token_id: int) -> TokenInfo:
        """One token stops working at once; the account and its other tokens are untouched."""
        async with self.db.write_session() as session:
            row = await session.get(ApiToken, token_id)
            if row is None:
                raise NotFound(f"找不到令牌 #{token_id}", f"No API token #{token_id}", code="token_not_found")
            row.revoked = True
            return _token_info(row)

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
        if not self._verify(user.password_hash, password):
            return None
        return _identity(user)

    async def open_session(self, identity: StaffIdentity, user_agent: str = "") -> str:
        """Start a browser session; returns the cookie value (stored only as a hash)."""
        token = new_token(32)
        now = self.clock.now()
        async with self.db.write_session() as session:
            # Expired sessions are deleted as new ones open, so the table holds only live ones.
            await session.execute(delete(StaffSession).where(StaffSession.expires_at <= now))
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

    async def set_password(self, username: str, password: str, must_change: bool = False) -> None:
        """Set a password (from a shell, or an admin's choice) and sign the account out everywhere."""
        password_hash = self._hash_password(password, username)
        async with self.db.write_session() as session:
            user = await self._user(session, username)
            self._store_password(user, password_hash, must_change)
            await session.execute(delete(StaffSession).where(StaffSession.user_id == user.id))

    async def reset_password(self, username: str) -> str:
        """An admin's reset: a temporary password (returned once), to be changed at next sign-in;
        the account's browser sessions end."""
        temporary = temporary_password()
        await self.set_password(username, temporary, must_change=True)
        return temporary

    async def change_password(self, user_id: int, current: str, new: str, keep_session: str | None = None) -> None:
        """Self-service: the current password proves it is the owner; other sessions end."""
        async with self.db.session() as session:
            user = await session.get(StaffUser, user_id)
        if user is None or not user.active:
            raise _not_found(str(user_id))
        if not self._verify(user.password_hash, current):
            raise ValidationFailed("当前密码不正确", "The current password is wrong", code="wrong_password")
        if new == current:
            raise ValidationFailed("新密码不能与当前密码相同", "The new password must differ from the current one",
                                   code="weak_password")
        password_hash = self._hash_password(new, user.username)
        async with self.db.write_session() as session:
            row = await session.get(StaffUser, user_id)
            assert row is not None
            self._store_password(row, password_hash, False)
            query = delete(StaffSession).where(StaffSession.user_id == user_id)
            if keep_session:
                query = query.where(StaffSession.token_hash != token_hash(keep_session))
            await session.execute(query)

    def _store_password(self, user: StaffUser, password_hash: str, must_change: bool) -> None:
        user.password_hash = password_hash
        user.must_change_password = must_change
        user.password_changed_at = self.clock.now()

    async def _user(self, session: AsyncSession, username: str) -> StaffUser:
        user = await session.scalar(select(StaffUser).where(StaffUser.username == username))
        if user is None:
            raise _not_found(username)
        return user

    async def set_departments(self, username: str, departments: Sequence[str]) -> StaffIdentity:
        """Scope an account to these departments (names); an empty list: the whole bureau."""
        async with self.db.write_session() as session:
            user = await self._user(session, username)
            user.departments = [await department_rules.find(session, name) for name in dict.fromkeys(departments)]
            await session.flush()
            return _identity(user)

    async def list(self) -> list[StaffIdentity]:
        async with self.db.session() as session:
            return [_identity(u) for u in await session.scalars(select(StaffUser).order_by(StaffUser.username))]

    async def set_active(self, username: str, active: bool) -> None:
        async with self.db.write_session() as session:
            user = await self._user(session, username)
            user.active = active

    def _verify(self, password_hash: str | None, password: str) -> bool:
        if not password_hash:
            return False
        try:
            return self._hasher.verify(password_hash, password)
        except (VerificationError, InvalidHashError):
            return False

    def _hash_password(self, password: str, username: str = "") -> str:
        check_password(password, username)
        return self._hasher.hash(password)
