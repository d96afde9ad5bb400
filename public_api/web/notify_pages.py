"""Pages behind the links in e-mail and SMS updates: unsubscribing (a confirmation page, then a
POST; the POST also serves RFC 8058 one-click unsubscribing from mail clients, so it needs no CSRF
token: the signed reference in the path is what authorises it)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import Response

from core import contacts
from core.contacts import Contact
from core.phones import mask_phone

from ..deps import ServicesDep
from .templating import render

router = APIRouter(include_in_schema=False)


def masked(contact: Contact) -> str:
    """Enough of the address for its owner to recognise it, for a page anyone with the link sees."""
    if contact.channel == contacts.EMAIL:
        return contacts.mask_email(contact.address)
    return mask_phone(contact.address) or ""


async def _contact(services: ServicesDep, ref: str) -> Contact | None:
    contact_id = services.contact_keys.check_unsubscribe(ref)
    return await contacts.get(services.db, contact_id) if contact_id is not None else None


@router.get("/u/{ref}")
async def unsubscribe_page(request: Request, ref: str, services: ServicesDep) -> Response:
    contact = await _contact(services, ref)
    if contact is None:
        return render(request, "portal/unsubscribe.html", {"invalid": True}, status_code=404)
    return render(request, "portal/unsubscribe.html",
                  {"ref": ref, "address": masked(contact), "subject": contact.subject,
                   "done": contact.unsubscribed_at is not None})


@router.post("/u/{ref}")
async def unsubscribe(request: Request, ref: str, services: ServicesDep) -> Response:
    contact = await _contact(services, ref)
    if contact is None:
        return render(request, "portal/unsubscribe.html", {"invalid": True}, status_code=404)
    await contacts.unsubscribe(services.db, contact.id, services.clock.now())
    return render(request, "portal/unsubscribe.html",
                  {"ref": ref, "address": masked(contact), "subject": contact.subject, "done": True})
