from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy import text

from ..deps import ServicesDep

router = APIRouter(tags=["health"])


@router.get("/healthz")
async def healthz(services: ServicesDep) -> dict[str, str]:
    async with services.db.session() as session:
        await session.execute(text("SELECT 1"))
    return {"status": "ok", "database": services.db.engine.dialect.name}
