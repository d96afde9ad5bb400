"""Reading the one-time code a test asked for: delivered through the SMS channel to the fake
gateway on loopback (tests/accounts/conftest.py), or, for a live server without one, as the SMS
channel renders it from the queued message."""

from __future__ import annotations

from sqlalchemy import select

from civicdesk.container import Services
from core import contacts
from core.contacts import Contact
from core.delivery import Claimed
from core.outbox import OutboxMessage, parse_payload
from notify.base import contact_for, context_for
from notify.render import SMS_RENDERERS


GATEWAYS: dict[str, object] = {}  # the running fake gateways by URL (the settings' sms_endpoint)


async def sms_code(services: Services, phone: str) -> str:
    """The code in the newest SMS to `phone` (normalised digits): the outbox's SMS rows delivered
    to the fake gateway the settings point at, and read from what it received."""
    from core.delivery import DeliveryLoop, DeliveryPolicy
    from notify.sms import SmsSender

    gateway = GATEWAYS[services.settings.sms_endpoint]
    sender = SmsSender(services)
    try:
        await DeliveryLoop(services.db, services.clock, sender, DeliveryPolicy()).run_once()
    finally:
        await sender.aclose()
    delivered = [d for d in gateway.delivered if d["phone"] == phone and "code" in d["params"]]  # type: ignore[attr-defined]
    assert delivered, f"no code was delivered to {phone}"
    return delivered[-1]["params"]["code"]


async def queued_code(services: Services, phone: str) -> str:
    """The code in the newest SMS queued for `phone`, rendered as the SMS channel renders it."""
    async with services.db.session() as session:
        row = await session.scalar(
            select(OutboxMessage).join(Contact, Contact.id == OutboxMessage.recipient.cast(Contact.id.type))
            .where(OutboxMessage.kind == "phone_code", Contact.address == phone)
            .order_by(OutboxMessage.id.desc()).limit(1))
    assert row is not None, f"no code was sent to {phone}"
    claimed = Claimed(row.id, row.channel, row.recipient, row.kind, dict(row.payload), 0)
    payload = parse_payload(row.kind, row.payload)
    context = context_for(services, await contact_for(services, claimed, contacts.SMS), payload)
    return SMS_RENDERERS.get("phone_code")(payload, context).params["code"]  # type: ignore[misc]


async def codes_sent(services: Services) -> int:
    async with services.db.session() as session:
        return len(list(await session.scalars(select(OutboxMessage.id).where(OutboxMessage.kind == "phone_code"))))


def live_sms_code(env: dict[str, str], phone: str) -> str:
    """The code queued for `phone` by a live server (`tests/live.py`) with this environment."""
    from civicdesk.container import build_services
    from core.settings import Settings
    from tests.conftest import _run

    async def read() -> str:
        settings = Settings(_env_file=None, data_dir=env["CIVICDESK_DATA_DIR"],  # type: ignore[call-arg]
                            database_url=env["CIVICDESK_DATABASE_URL"])
        services = build_services(settings)
        try:
            return await queued_code(services, phone)
        finally:
            await services.aclose()

    return _run(read())  # type: ignore[return-value]
