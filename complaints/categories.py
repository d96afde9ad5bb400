"""The report categories a county starts with. Categories are data: staff can add more."""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

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


async def ensure_categories(session: AsyncSession, departments: Mapping[str, str]) -> None:
    """Create missing seed categories and apply the configured default departments.

    Settings are the authority for default departments, so changing
    CIVICDESK_CATEGORY_DEPARTMENTS and restarting re-routes new reports.
    """
    existing = {c.code: c for c in await session.scalars(select(Category))}
    for order, (code, zh, en) in enumerate(SEED_CATEGORIES):
        category = existing.get(code)
        if category is None:
            session.add(
                Category(
                    code=code, name_zh=zh, name_en=en, default_department=departments.get(zh),
                    sort_order=order, active=True,
                )
            )
        elif zh in departments and category.default_department != departments[zh]:
            category.default_department = departments[zh]
