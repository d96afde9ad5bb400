"""What the e-mail and SMS senders share: the contact behind an outbox row, its language, its
links, and the refusal of a contact that unsubscribed."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from civicdesk.container import Services
from conversations.i18n import normalize
from core import contacts
from core.contacts import Contact
from core.delivery import Blocked, Claimed, Permanent
from core.outbox import OutboxPayload, Renderers

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
                   unsubscribe=unsubscribe_link(contact, services), services=services, token=token)


R = TypeVar("R")


async def rendered(services: Services, message: Claimed, payload: OutboxPayload,
                   renderers: Renderers[Callable[[Any, Context], R]]) -> tuple[Contact, Context, R]:
    """The row's contact, the renderer's context and what the channel's renderer made of the
    payload; `Permanent` for a kind the channel has no renderer for."""
    render = renderers.get(message.kind)
    if render is None:
        raise Permanent(f"no {renderers.channel} renderer for message kind {message.kind!r}")
    contact = await contact_for(services, message, renderers.channel)
    ctx = context_for(services, contact, payload)
    return contact, ctx, render(payload, ctx)
