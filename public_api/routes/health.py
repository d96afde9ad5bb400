from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ..deps import ServicesDep
from ..errors import BASE_ERRORS, error_responses

router = APIRouter(tags=["health"], responses=error_responses(*BASE_ERRORS))


@router.get("/healthz")
async def healthz(services: ServicesDep) -> dict[str, str]:
    async with services.db.session() as session:
        await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": services.db.engine.dialect.name}
