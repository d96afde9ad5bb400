"""Console page for one's own phone alerts: link a Telegram account with a one-time code, or unlink."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import RedirectResponse, Response

from core.errors import DomainError
from core.kit.channels import ChannelName

from ..deps import ServicesDep
from .auth import Csrf, StaffViewer
from .templating import page_language, render

router = APIRouter(prefix="/staff", include_in_schema=False)
TELEGRAM = ChannelName.TELEGRAM.value


async def _page(request: Request, services: ServicesDep, staff: StaffViewer, **extra: object) -> Response:
    links = {link.channel: link for link in await services.links.of_user(staff.id)}
    return render(request, "staff/alerts.html", {
        "staff": staff, "link": links.get(TELEGRAM), "minutes": services.settings.staff_link_code_minutes,
        "deadline_days": services.settings.staff_alert_deadline_days,
        "digest_hour": services.settings.staff_digest_hour, **extra,
    })


@router.get("/alerts")
async def alerts(request: Request, services: ServicesDep, staff: StaffViewer, msg: str | None = None) -> Response:
    return await _page(request, services, staff, msg=msg if msg == "unlinked" else None)


@router.post("/alerts/code", dependencies=[Csrf])
async def new_code(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    # The code is shown on this response only; the database keeps its hash.
    code = await services.links.new_code(staff.id, TELEGRAM)
    return await _page(request, services, staff, code=code)


@router.post("/alerts/unlink", dependencies=[Csrf])
async def unlink(request: Request, services: ServicesDep, staff: StaffViewer) -> Response:
    try:
        await services.links.unlink_user(staff.id, TELEGRAM)
    except DomainError as exc:
        return await _page(request, services, staff, error=exc.message(page_language(request)))
    return RedirectResponse("/staff/alerts?msg=unlinked", status_code=303)
