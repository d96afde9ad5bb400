"""What the accounts domain sends through the outbox: a one-time code by SMS to a phone number not
tied to a report (signing in to "my reports" with the mobile number given with them).

The number is kept where every contact's address is kept (`core/contacts.py`, a one-off contact of
subject `phone_code`); the outbox row names the contact, never the number. The code itself is
sealed in the payload (AES-GCM under the app secret, like the status tokens): an outbox row read
by an operator or left in a backup gives no code. A code that could not be delivered before it
expires is not sent late (the SMS renderer refuses it for good). Once a code has expired its
one-off contact is purged (`purge_phone_code_contacts`, run by the job runner): the number is not
kept longer than the code is good for."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import delete
from sqlalchemy.ext.asyncio import AsyncSession

from core import contacts, outbox
from core.contacts import ContactKeys
from core.errors import ValidationFailed
from core.kit.channels import ChannelName
from core.outbox import OutboxMessage, OutboxPayload, message_kind

PHONE_CODE = "phone_code"  # the contacts' subject of a one-off number


@message_kind
class PhoneCode(OutboxPayload):
    """A one-time verification code, valid `minutes` (until `expires_at`), for one mobile number."""

    kind: ClassVar[str] = "phone_code"
    channels: ClassVar[frozenset[str] | None] = frozenset({ChannelName.SMS.value})
    sealed_code: str
    minutes: int
    expires_at: datetime


async def send_phone_code(
    session: AsyncSession, keys: ContactKeys, *, phone: str, code: str, minutes: int, now: datetime,
    language: str = "zh",
) -> OutboxMessage:
    """Enqueue an SMS with `code` (valid `minutes`) to the mobile number `phone`, in the caller's
    transaction (sent only if it commits). `phone` may be typed as people do ('+86 138-0013-8000');
    ValidationFailed (a clear 4xx) when it is no mainland mobile. `keys` is the service's
    `contact_keys` (`Services.contact_keys`)."""
    mobile = contacts.mobile_or_none(phone)
    if mobile is None:
        raise ValidationFailed(contacts.MOBILE_NEEDED_ZH, contacts.MOBILE_NEEDED_EN, code="invalid_mobile")
    contact = contacts.add(session, keys, channel=contacts.SMS, address=mobile, subject=PHONE_CODE, subject_id=0,
                           token=None, notify=True, language=language, now=now)
    await session.flush()  # the contact's id is the outbox recipient
    message = PhoneCode(sealed_code=keys.seal(code), minutes=minutes, expires_at=now + timedelta(minutes=minutes),
                        language=language)
    return outbox.enqueue(session, channel=contacts.SMS, recipient=str(contact.id), message=message, now=now)


async def purge_phone_code_contacts(session: AsyncSession, now: datetime, valid: timedelta) -> int:
    """Delete the one-off contacts of codes older than `valid` (their codes expired; an SMS still
    queued for one fails for good, as an expired code does). Returns how many were deleted."""
    result = await session.execute(delete(contacts.Contact).where(
        contacts.Contact.subject == PHONE_CODE, contacts.Contact.created_at < now - valid))
    return int(getattr(result, "rowcount", 0) or 0)
