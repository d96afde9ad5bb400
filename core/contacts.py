"""Where a person without a chat channel is told: an e-mail address or a mobile number they left
with a report or a registration, and whether they asked to be told.

Domains decide who is told what (they add a contact with their subject, and enqueue their typed
messages to a subject's reachable contacts); the channel adapters (`notify/`) look the contact up
by the outbox row's recipient (the contact's id), render and send. A contact's address never
leaves this table except into the message to that address: not into the outbox row, pages, feeds
or logs.

Links in messages. Only a hash of the report's status token (a registration's manage token) is
kept for checking, so the link of the receipt could not be rebuilt at send time. The contact row
keeps the token itself, sealed (AES-GCM, key derived from the app secret): the message then
carries exactly the receipt's link, which every page and form already understands, and nothing
else becomes a credential. A signed link (an HMAC of the report number) would instead be a second
credential that never changes, valid on every page that takes a token, and would grow a separate
check into every place that reads one. A database copy without the secret yields no token; a
rotated secret leaves old contacts without a link (their messages still name the number).

Unsubscribe links carry the contact id and an HMAC of it under the same secret; following one
stops every later message to that contact (queued ones are dropped as blocked at send time).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Annotated, Any

from pydantic import AfterValidator
from sqlalchemy import Boolean, Index, Integer, String, Text, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from core import outbox
from core.db import Base, Database
from core.errors import ValidationFailed
from core.ids import secrets_equal
from core.kit import sealing
from core.kit.channels import ChannelName
from core.kit.sealing import derive_key
from core.kit.validation import Invalid
from core.outbox import OutboxPayload
from core.phones import is_mobile, normalize_phone

EMAIL, SMS = ChannelName.EMAIL.value, ChannelName.SMS.value
REPORT, REGISTRATION = "report", "registration"
MAX_EMAIL = 254  # RFC 5321's path limit
_EMAIL = re.compile(r"^[^@\s<>()\[\],;:\"]+@[A-Za-z0-9](?:[A-Za-z0-9-]*[A-Za-z0-9])?(?:\.[A-Za-z0-9-]+)+$")

EMAIL_INVALID_ZH = "电子邮箱格式不正确，例如 name@example.com"
EMAIL_INVALID_EN = "Invalid e-mail address, e.g. name@example.com"
MOBILE_NEEDED_ZH = "短信通知需要填写手机号码（11 位，以 1 开头）"
MOBILE_NEEDED_EN = "SMS updates need a mobile number (11 digits starting with 1)"
EMAIL_NEEDED_ZH = "邮件通知需要填写电子邮箱"
EMAIL_NEEDED_EN = "e-mail updates need an e-mail address"


class Contact(Base):
    __tablename__ = "notify_contacts"
    __table_args__ = (
        Index("ix_notify_contacts_subject", "subject", "subject_id"),
        Index("ix_notify_contacts_address", "channel", "address"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    channel: Mapped[str] = mapped_column(String(10))  # email | sms
    address: Mapped[str] = mapped_column(String(MAX_EMAIL))  # normalised: lower-case domain / digits
    subject: Mapped[str] = mapped_column(String(20))  # report | registration
    subject_id: Mapped[int] = mapped_column(Integer)
    notify: Mapped[bool] = mapped_column(Boolean, default=False)  # the person asked to be told
    sealed_token: Mapped[str | None] = mapped_column(Text)
    language: Mapped[str] = mapped_column(String(8), default="zh")
    created_at: Mapped[datetime]
    unsubscribed_at: Mapped[datetime | None]

    @property
    def reachable(self) -> bool:
        return self.notify and self.unsubscribed_at is None


# --- addresses ----------------------------------------------------------------------------------
def normalize_email(raw: str | None) -> str | None:
    """A plausible address with its domain lower-cased; None for empty input; ValidationFailed
    otherwise (deliverability is the mail server's to say)."""
    value = (raw or "").strip()
    if not value:
        return None
    if len(value) > MAX_EMAIL or not _EMAIL.match(value):
        raise ValidationFailed(EMAIL_INVALID_ZH, EMAIL_INVALID_EN, code="invalid_email")
    local, _, domain = value.rpartition("@")
    return f"{local}@{domain.lower()}"


def _schema_email(value: str | None) -> str | None:
    try:
        return normalize_email(value)
    except ValidationFailed:
        raise Invalid(EMAIL_INVALID_ZH, EMAIL_INVALID_EN) from None


# An input schema's e-mail field: normalised, or the worded error (`Field(max_length=...)` beside it).
EmailField = Annotated[str | None, AfterValidator(_schema_email)]


def check_opt_ins(*, notify_email: bool, email: str | None, notify_sms: bool, phone: str | None) -> None:
    """An input schema's rule for e-mail and SMS updates (a report's, a registration's): each
    opt-in needs its address, SMS a mainland mobile; `Invalid` with the reason otherwise."""
    if notify_email and not email:
        raise Invalid(EMAIL_NEEDED_ZH, EMAIL_NEEDED_EN)
    if notify_sms and not mobile_or_none(phone):
        raise Invalid(MOBILE_NEEDED_ZH, MOBILE_NEEDED_EN)


def mobile_or_none(raw: str | None) -> str | None:
    """The normalised number when it is a mainland mobile (what an SMS reaches), else None."""
    return normalize_phone(raw) if is_mobile(raw) else None


def mask_email(address: str) -> str:
    local, _, domain = address.partition("@")
    return f"{local[:1]}***@{domain}"


# --- secrets ------------------------------------------------------------------------------------
class ContactKeys:
    """Seals tokens and signs unsubscribe links with keys derived from the app secret."""

    def __init__(self, secret: str):
        self._seal_key = derive_key(secret, "civicdesk-contacts", b"seal")
        self._sign_key = derive_key(secret, "civicdesk-contacts", b"unsubscribe")

    def seal(self, token: str) -> str:
        return sealing.seal(self._seal_key, token.encode(), b"token")

    def unseal(self, sealed: str | None) -> str | None:
        """The token, or None when there is none or it was sealed under another secret."""
        if not sealed:
            return None
        data = sealing.unseal(self._seal_key, sealed, b"token")
        try:
            return data.decode() if data is not None else None
        except UnicodeDecodeError:
            return None

    def unsubscribe_code(self, contact_id: int) -> str:
        mac = hmac.new(self._sign_key, str(contact_id).encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")

    def unsubscribe_ref(self, contact_id: int) -> str:
        """`<id>.<code>`: what an unsubscribe link carries."""
        return f"{contact_id}.{self.unsubscribe_code(contact_id)}"

    def check_unsubscribe(self, ref: str) -> int | None:
        """The contact id of a genuine unsubscribe reference, else None."""
        head, _, code = ref.partition(".")
        if not head.isdigit() or len(head) > 18:
            return None
        contact_id = int(head)
        return contact_id if secrets_equal(code, self.unsubscribe_code(contact_id)) else None


# --- the domains' side --------------------------------------------------------------------------
def values(
    keys: ContactKeys, *, channel: str, address: str, subject: str, token: str | None, notify: bool, language: str,
    now: datetime, subject_id: int | None = None,
) -> dict[str, Any]:
    """A contact row's columns: the subject's token is sealed only when the person asked to be
    told. Without `subject_id` when the subject is inserted with it (a report's submission)."""
    row = {"channel": channel, "address": address, "subject": subject, "notify": notify,
           "sealed_token": keys.seal(token) if token and notify else None, "language": language, "created_at": now}
    return row if subject_id is None else {**row, "subject_id": subject_id}


def add(session: AsyncSession, keys: ContactKeys, *, subject_id: int, **fields: Any) -> Contact:
    """A new contact (see `values`) added to the session."""
    contact = Contact(**values(keys, subject_id=subject_id, **fields))
    session.add(contact)
    return contact


async def of_subjects(session: AsyncSession, subject: str, subject_ids: Iterable[int]) -> list[Contact]:
    ids = list(subject_ids)
    if not ids:
        return []
    rows = await session.scalars(
        select(Contact).where(Contact.subject == subject, Contact.subject_id.in_(ids)).order_by(Contact.id))
    return list(rows)


async def tell(session: AsyncSession, subject: str, subject_id: int, message: OutboxPayload, now: datetime) -> int:
    """Enqueue `message` to every reachable contact of the subject; returns how many."""
    contacts = [c for c in await of_subjects(session, subject, [subject_id]) if c.reachable]
    for contact in contacts:
        outbox.enqueue(session, channel=contact.channel, recipient=str(contact.id), message=message, now=now)
    return len(contacts)


async def sms_state(session: AsyncSession, subject: str, subject_id: int) -> bool | None:
    """For the page where a person sees their report or registration: True while an SMS contact of
    it asked for updates and still gets them, False once all stopped, None when none asked."""
    asked = [c for c in await of_subjects(session, subject, [subject_id]) if c.channel == SMS and c.notify]
    return any(c.reachable for c in asked) if asked else None


async def stop_sms(session: AsyncSession, subject: str, subject_id: int, now: datetime) -> int:
    """Stop every later SMS about the subject (the page's "stop SMS" button, idempotent); queued
    ones are dropped as blocked. Returns how many contacts were stopped."""
    stopped = [c for c in await of_subjects(session, subject, [subject_id])
               if c.channel == SMS and c.reachable]
    for contact in stopped:
        contact.unsubscribed_at = now
    return len(stopped)


async def subjects_of_address(session: AsyncSession, channel: str, address: str, subject: str) -> Sequence[int]:
    """The subjects (e.g. reports) an address was given with, newest first."""
    rows = await session.scalars(
        select(Contact.subject_id).where(Contact.channel == channel, Contact.address == address,
                                         Contact.subject == subject).order_by(Contact.subject_id.desc()).distinct())
    return list(rows)


# --- the channels' side -------------------------------------------------------------------------
async def get(db: Database, contact_id: int) -> Contact | None:
    async with db.session() as session:
        return await session.get(Contact, contact_id)


async def unsubscribe(db: Database, contact_id: int, now: datetime) -> Contact | None:
    """Stop every later message to this contact (idempotent)."""
    async with db.write_session() as session:
        contact = await session.get(Contact, contact_id)
        if contact is not None and contact.unsubscribed_at is None:
            contact.unsubscribed_at = now
        return contact
