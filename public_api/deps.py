"""FastAPI dependencies: the services, the caller's language, and staff authentication."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Annotated

from fastapi import Depends, Path, Request

from accounts.roles import Role, role_allows
from accounts.service import StaffIdentity
from civicdesk.container import Services

from .errors import ApiError
from .i18n import request_language


# async, though they do not await: FastAPI runs a plain `def` dependency in its thread pool, two
# thread hand-offs per request for a dictionary lookup (seen in the status-read profile).
async def get_services(request: Request) -> Services:
    return request.app.state.services


async def get_lang(request: Request) -> str:
    return request_language(request)


# Row ids are PostgreSQL `integer`s: a larger number cannot name a row, and sending it to the
# database would fail there (asyncpg refuses it), so every id in a path is bounded here.
MAX_ROW_ID = 2**31 - 1
RowId = Annotated[int, Path(ge=1, le=MAX_ROW_ID, description="a row id")]
Position = Annotated[int, Path(ge=1, le=1000, description="the photo's position in the report, from 1")]

ServicesDep = Annotated[Services, Depends(get_services)]
LangDep = Annotated[str, Depends(get_lang)]


async def current_staff(request: Request, services: ServicesDep) -> StaffIdentity:
    """The staff member behind the request's bearer token (401 when missing or unknown)."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise ApiError(
            401, "需要工作人员登录：请在 Authorization 头中提供 Bearer 令牌",
            "Staff authentication required: send 'Authorization: Bearer <token>'",
            code="not_authenticated", headers={"WWW-Authenticate": "Bearer"},
        )
    identity = await services.accounts.by_token(token.strip())
    if identity is None:
        raise ApiError(
            401, "令牌无效或已停用", "The token is invalid or revoked",
            code="invalid_token", headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
        )
    return identity


def require_role(role: Role | str) -> Callable[..., Awaitable[StaffIdentity]]:
    """Dependency factory: the caller must be signed in with at least `role` (403 otherwise)."""
    required = Role(role)

    async def dependency(staff: Annotated[StaffIdentity, Depends(current_staff)]) -> StaffIdentity:
        if not role_allows(staff.role, required):
            raise ApiError(
                403, f"您的角色（{staff.role.value}）无权执行此操作，需要 {required.value} 或更高权限",
                f"Your role ({staff.role.value}) may not do this; it needs {required.value} or higher",
                code="forbidden",
            )
        return staff

    return dependency


Viewer = Annotated[StaffIdentity, Depends(require_role(Role.VIEWER))]
Triager = Annotated[StaffIdentity, Depends(require_role(Role.TRIAGER))]
Admin = Annotated[StaffIdentity, Depends(require_role(Role.ADMIN))]


def client_limit(kind: str, setting: str) -> Callable[..., Awaitable[None]]:
    """Dependency factory: at most `settings.<setting>` requests of `kind` per client address an
    hour (0: no limit), counted by the services' limiter (Redis when configured, so all processes
    share the count); over it, 429 with Retry-After. The address is the connecting one, or the
    one a trusted proxy names (see CIVICDESK_TRUSTED_PROXIES)."""

    async def dependency(request: Request, services: ServicesDep) -> None:
        limit = getattr(services.settings, setting)
        if limit <= 0:
            return
        key = f"{kind}:{request.client.host if request.client else 'unknown'}"
        if await services.limiter.hit(key, limit, CLIENT_WINDOW_S):
            return
        wait = await services.limiter.retry_after(key, CLIENT_WINDOW_S)
        minutes = max(1, -(-wait // 60))
        raise ApiError(
            429, f"提交过于频繁：每个网络地址每小时最多 {limit} 次，请 {minutes} 分钟后再试",
            f"Too many requests: at most {limit} an hour from one address; try again in {minutes} min",
            code="rate_limited", headers={"Retry-After": str(wait)},
        )

    return dependency


CLIENT_WINDOW_S = 3600
ReportLimit = Depends(client_limit("reports", "reports_per_client_per_hour"))
RegistrationLimit = Depends(client_limit("registrations", "registrations_per_client_per_hour"))
