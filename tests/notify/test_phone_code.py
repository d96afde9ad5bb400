"""A one-time code by SMS to a number not tied to a report (accounts/messages.py): the outbox row
names a contact and holds the code sealed, the SMS renderer gives the code and its minutes, a code
that expired before it could be sent is not sent, and a number that is no mobile is a clear 4xx."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from accounts.messages import PHONE_CODE, PhoneCode, send_phone_code
from civicdesk.container import Services
from core import contacts
from core.contacts import Contact
from core.delivery import Claimed, Permanent
from core.errors import ValidationFailed
from core.outbox import OutboxMessage, parse_payload
from notify.base import contact_for, context_for
from notify.render import SMS_RENDERERS


async def test_a_code_is_queued_sealed_and_rendered_for_its_number(services: Services) -> None:
    now = services.clock.now()
    async with services.db.write_session() as session:
        row = await send_phone_code(session, services.contact_keys, phone="+86 138-0013-8000", code="204816",
                                    minutes=10, now=now)
    async with services.db.session() as session:
        [stored] = list(await session.scalars(select(OutboxMessage)))
        [contact] = list(await session.scalars(select(Contact)))
    assert stored.id == row.id and stored.channel == "sms" and stored.kind == "phone_code"
    assert stored.recipient == str(contact.id)
    assert contact.address == "13800138000" and contact.subject == PHONE_CODE and contact.reachable
    assert "204816" not in str(stored.payload) and "13800138000" not in str(stored.payload)

    claimed = Claimed(stored.id, stored.channel, stored.recipient, stored.kind, dict(stored.payload), 0)
    payload = parse_payload(stored.kind, stored.payload)
    assert isinstance(payload, PhoneCode) and payload.expires_at == now + timedelta(minutes=10)
    found = await contact_for(services, claimed, contacts.SMS)
    ctx = context_for(services, found, payload)
    sms = SMS_RENDERERS.get("phone_code")(payload, ctx)  # type: ignore[misc]
    assert sms.template == "phone_code" and sms.params == {"code": "204816", "minutes": "10"}

    services.clock.advance(timedelta(minutes=10))  # type: ignore[attr-defined]
    with pytest.raises(Permanent, match="expired"):
        SMS_RENDERERS.get("phone_code")(payload, ctx)  # type: ignore[misc]


@pytest.mark.parametrize("phone", ["12345", "0571-87654321", "not a number"])
async def test_a_code_needs_a_mobile_number(services: Services, phone: str) -> None:
    async with services.db.write_session() as session:
        with pytest.raises(ValidationFailed) as error:
            await send_phone_code(session, services.contact_keys, phone=phone, code="111111", minutes=10,
                                  now=services.clock.now())
    assert error.value.code in {"invalid_mobile", "invalid_phone"}


def test_telegram_need_not_render_sms_only_kinds() -> None:
    from bot.delivery import RENDERERS

    assert "phone_code" not in RENDERERS.missing() and "phone_code" not in SMS_RENDERERS.missing()
