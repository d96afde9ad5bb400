"""What the e-mail and SMS senders share: the contact behind an outbox row, its language, its
links, and the refusal of a contact that unsubscribed."""

from __future__ import annotations

from civicdesk.container import Services
from conversations.i18n import normalize
from core import contacts
from core.contacts import Contact
from core.delivery import Blocked, Claimed, Permanent
from core.outbox import OutboxPayload

from .render import Context, link_for, unsubscribe_link


async def contact_for(services: Services, message: Claimed, channel: str) -> Contact:
    """The row's contact (its recipient is the contact's id), still wanting messages."""
    contact = await contacts.get(services.db, int(message.recipient)) if message.recipient.isdigit() else None
    if contact is None or contact.channel != channel:
        raise Permanent(f"outbox recipient {message.recipient!r} is no {channel} contact")
    if not contact.reachable:
        raise Blocked("the person unsubscribed")
    return contact


def context_for(services: Services, contact: Contact, payload: OutboxPayload) -> Context:
    token = services.contact_keys.unseal(contact.sealed_token)
    return Context(lang=normalize(contact.language or payload.language), link=link_for(payload, contact, token, services),
                   unsubscribe=unsubscribe_link(contact, services), services=services)
