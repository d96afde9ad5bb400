"""Staff API: linking one's own chat (Telegram) for alerts on the phone, with a one-time code."""

from __future__ import annotations

from datetime import datetime
from typing import Literal

from fastapi import APIRouter, Response
from pydantic import BaseModel

from ..deps import ServicesDep, Viewer
from ..errors import BASE_ERRORS, STAFF_ERRORS, error_responses

router = APIRouter(prefix="/api/v1/staff/me", tags=["staff"], responses=error_responses(*BASE_ERRORS, *STAFF_ERRORS))

LinkChannel = Literal["telegram"]


class LinkCodeRequest(BaseModel):
    channel: LinkChannel = "telegram"


class LinkCodeOut(BaseModel):
    code: str
    channel: str
    expires_at: datetime
    send: str  # what to send the bot


class ChannelLinkOut(BaseModel):
    channel: str
    address: str
    linked_at: datetime


@router.get("/links", response_model=list[ChannelLinkOut])
async def my_links(services: ServicesDep, staff: Viewer) -> list[ChannelLinkOut]:
    return [ChannelLinkOut(channel=link.channel, address=link.address, linked_at=link.linked_at)
            for link in await services.links.of_user(staff.id)]


@router.post("/link-code", response_model=LinkCodeOut, status_code=201)
async def new_link_code(services: ServicesDep, staff: Viewer, body: LinkCodeRequest | None = None) -> LinkCodeOut:
    """A one-time code (shown once, valid for CIVICDESK_STAFF_LINK_CODE_MINUTES) to send the bot as
    `/link CODE`; it replaces any earlier unused code."""
    code = await services.links.new_code(staff.id, (body or LinkCodeRequest()).channel)
    return LinkCodeOut(code=code.code, channel=code.channel, expires_at=code.expires_at, send=f"/link {code.code}")


@router.delete("/links/{channel}", status_code=204)
async def unlink(channel: LinkChannel, services: ServicesDep, staff: Viewer) -> Response:
    await services.links.unlink_user(staff.id, channel)
    return Response(status_code=204)
