"""Helpers shared by the open-day tests."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select

from civicdesk.container import Services
from core.kit.bureau_time import DEFAULT_TZ as SHANGHAI
from core.outbox import OutboxMessage
from opendays.schemas import EventInput, EventStaffOut, RegistrationInput, RegistrationResult
from opendays.rules import RegChannel

# The test clock starts at 2026-03-10 10:00 Shanghai; the visit is ten days later.
STARTS = datetime(2026, 3, 20, 9, 0, tzinfo=SHANGHAI)
ENDS = datetime(2026, 3, 20, 11, 30, tzinfo=SHANGHAI)


def event_input(**overrides: object) -> EventInput:
    values: dict[str, object] = {
        "title": "城南保障房项目工地开放日",
        "description": "参观主体结构施工、扬尘治理和安全文明施工措施，现场听取意见建议。",
        "site_name": "城南保障性住房二期",
        "address": "城关镇南环路 88 号",
        "lat": 30.2741,
        "lon": 120.1551,
        "starts_at": STARTS,
        "ends_at": ENDS,
        "capacity": 20,
        "audience": "人大代表、政协委员、居民代表",
        "requires_id": True,
        "min_age": 16,
        "safety_gear_provided": True,
        "accessibility_notes": "工地道路不平，轮椅使用者请提前联系",
        "contact": "0571-8888 1234（办公室）",
    }
    values.update(overrides)
    return EventInput(**values)


async def published_event(services: Services, **overrides: object) -> EventStaffOut:
    event = await services.opendays.create(event_input(**overrides), "triager1")
    return await services.opendays.publish(event.id, "triager1")


def telegram(user: int, name: str = "张三", party_size: int = 1, phone: str | None = None) -> RegistrationInput:
    return RegistrationInput(name=name, party_size=party_size, phone=phone, channel=RegChannel.TELEGRAM,
                             channel_user_id=str(user), chat_id=str(user))


def web(name: str, phone: str | None = None, party_size: int = 1) -> RegistrationInput:
    return RegistrationInput(name=name, phone=phone, party_size=party_size, channel=RegChannel.WEB)


async def register(services: Services, event_id: int, data: RegistrationInput) -> RegistrationResult:
    return await services.opendays.register(event_id, data)


async def outbox_rows(services: Services, kind: str | None = None) -> list[OutboxMessage]:
    async with services.db.session() as session:
        query = select(OutboxMessage).order_by(OutboxMessage.id)
        if kind:
            query = query.where(OutboxMessage.kind == kind)
        return list(await session.scalars(query))
