"""The report categories a county starts with. Categories are data: staff can add more."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from accounts import departments as department_rules

from .models import Category

# (code, Chinese name, English name)
SEED_CATEGORIES: tuple[tuple[str, str, str], ...] = (
    ("unpaid_wages", "拖欠农民工工资", "Unpaid migrant workers' wages"),
    ("dust", "施工扬尘", "Construction dust"),
    ("night_noise", "夜间施工噪声", "Night-time construction noise"),
    ("safety_hazard", "施工安全隐患", "Site safety hazard"),
    ("unpermitted", "无证施工/违法建设", "Building without a permit / illegal construction"),
    ("quality", "工程质量问题", "Construction quality problem"),
    ("waste", "建筑垃圾/渣土", "Construction waste / spoil"),
    ("other", "其他", "Other"),
)


async def ensure_categories(session: AsyncSession, departments: Mapping[str, str], now: datetime) -> None:
    """Create missing seed categories and departments, and route categories without a department
    as CIVICDESK_CATEGORY_DEPARTMENTS says (a department named there that does not exist yet is
    created). After that the mapping is data: admins change it on the departments page, and a
    restart does not undo their choice."""
    rows = await department_rules.ensure(session, departments.values(), now)
    existing = {c.code: c for c in await session.scalars(select(Category))}
    for order, (code, zh, en) in enumerate(SEED_CATEGORIES):
        category = existing.get(code)
        department = rows[departments[zh]] if zh in departments else None
        if category is None:
            session.add(
                Category(
                    code=code, name_zh=zh, name_en=en, department_id=department.id if department else None,
                    sort_order=order, active=True,
                )
            )
        elif department is not None and category.department_id is None:
            category.department_id = department.id
