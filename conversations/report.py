"""Reporting a problem, for every chat channel: category -> location -> description -> photos ->
contact -> review -> submit.

Every step keeps what was entered in the conversation data (so a person can leave and come back,
until `FLOW_TTL` has passed untouched); the report itself is created only by
`ComplaintService.submit` on "Submit", so cancelling leaves nothing. Channels turn their events
(a button, a shared location, a typed line) into the calls below and draw the `Say` items returned.

Widgets named in the answers: categories (data: the categories), location, cancel_only,
photos (data: how many so far), contact, remove (take the reply keyboard away), confirm,
main_menu; None shows nothing.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, Protocol

from pydantic import ValidationError

from complaints.photos import PhotoRejected, ProcessedPhoto
from complaints.schemas import (
    FIELD_LABELS, MAX_DESCRIPTION, MIN_DESCRIPTION, CategoryOut, PhotoUpload, ReportInput, SubmitResult,
)
from complaints.service import ComplaintService
from core.conversation import Say, StateAccess, is_stale, state_name, step_of, touched
from core.errors import DomainError
from core.kit.validation import error_lines

from .i18n import Html, Texts
from .photos import PhotoRef, PhotoUnavailable

log = logging.getLogger(__name__)

FLOW = "ReportFlow"
STEPS = ("category", "location", "description", "photos", "contact")
CONFIRM = "confirm"
# An unfinished report untouched this long is cleared, with a message, when its author comes back.
FLOW_TTL = timedelta(hours=72)
MIN_ADDRESS = 4
MAX_ADDRESS = 500


class PhotoSource(Protocol):
    """How a channel gets a conversation's photos: check on arrival, upload on submit, forget."""

    async def check(self, photo: PhotoRef) -> None:
        """Raises PhotoRejected or PhotoUnavailable."""

    async def upload(self, photo: PhotoRef) -> PhotoUpload | ProcessedPhoto: ...

    def forget(self, photos: Sequence[PhotoRef]) -> None: ...


@dataclass
class Submitted:
    result: SubmitResult | None
    says: list[Say]


def category_name(category: CategoryOut, lang: str) -> str:
    return category.name_en if lang == "en" else category.name_zh


class ReportConversation:
    """One person's report flow, over their conversation `state`, in the language of `tr`."""

    def __init__(
        self,
        state: StateAccess,
        tr: Texts,
        complaints: ComplaintService,
        now: Callable[[], datetime],
        local_date: Callable[[datetime], str],
        photos: PhotoSource,
    ):
        self.state = state
        self.tr = tr
        self.complaints = complaints
        self.now = now
        self.local_date = local_date
        self.photos = photos

    # --- where the person is ------------------------------------------------------------------
    async def step(self) -> str | None:
        return step_of(await self.state.get_state(), FLOW)

    async def in_flow(self) -> bool:
        return await self.step() is not None

    async def expire(self, ttl: timedelta = FLOW_TTL) -> list[Say]:
        """Clear a report left untouched for longer than `ttl`, saying so; nothing otherwise."""
        if not await self.in_flow() or not is_stale(await self.state.get_data(), self.now(), ttl):
            return []
        await self.state.clear()
        hours = int(ttl.total_seconds() // 3600)
        return [Say(self.tr("report.expired", hours=hours), "main_menu")]

    # --- entering and resuming ----------------------------------------------------------------
    async def start(self) -> list[Say]:
        """Menu "report": a new draft, or back to the step of the one in progress."""
        if await self.in_flow():
            return await self.current()
        await self._new_draft()
        return await self.go("category")

    async def start_for(self, code: str) -> list[Say]:
        """The hand-off from a policy answer: a new draft with its category chosen, on to the
        location. A draft in progress is resumed instead; an unknown code asks for one."""
        if await self.in_flow():
            return await self.current()
        await self._new_draft()
        category = await self.category(code)
        if category is None:
            return await self.go("category")
        return [self.category_chosen(category), *await self.advance("location", category=category.code)]

    async def _new_draft(self) -> None:
        await self.state.set_data({"photos": [], **touched(self.now())})

    async def current(self) -> list[Say]:
        step = await self.step()
        if step == CONFIRM:
            return await self.review(await self.state.get_data())
        return await self.prompt(step if step in STEPS else "category")

    async def go(self, step: str) -> list[Say]:
        await self.state.set_state(state_name(FLOW, step))
        return await self.prompt(step)

    async def prompt(self, step: str) -> list[Say]:
        tr = self.tr
        if step == "category":
            return [Say(tr("report.choose_category"), "categories", await self.complaints.categories())]
        if step == "location":
            return [Say(tr("report.ask_location"), "location")]
        if step == "description":
            return [Say(tr("report.ask_description", min=MIN_DESCRIPTION), "cancel_only")]
        if step == "photos":
            count = len((await self.state.get_data()).get("photos", []))
            limit = self.max_photos
            key = "report.ask_more_photos" if count else "report.ask_photos"
            return [Say(tr(key, count=count, max=limit), "photos", count)]
        return [Say(tr("report.ask_contact"), "contact")]

    async def advance(self, next_step: str, **changes: Any) -> list[Say]:
        """Save this step's answer and go on: to the next step, or back to the review when editing."""
        data = await self.state.update_data(**touched(self.now()), **changes)
        if data.get("editing") or next_step == CONFIRM:
            await self.state.update_data(editing=False)
            await self.state.set_state(state_name(FLOW, CONFIRM))
            return await self.review(data)
        return await self.go(next_step)

    async def review(self, data: dict[str, Any]) -> list[Say]:
        return [Say(self.tr("report.review"), "remove"), Say(await self.summary(data), "confirm")]

    async def summary(self, data: dict[str, Any]) -> Html:
        tr = self.tr
        category = await self.category(data.get("category", ""))
        if data.get("lat") is not None:
            location = tr.plain("report.location_coords", lat=f"{data['lat']:.5f}", lon=f"{data['lon']:.5f}")
        else:
            location = data.get("address") or "—"
        if data.get("anonymous"):
            contact = tr.plain("report.contact_anonymous")
        else:
            contact = data.get("contact_phone") or tr.plain("report.contact_none")
        return tr(
            "report.summary",
            category=category_name(category, tr.lang) if category else "—",
            location=location,
            description=data.get("description", "—"),
            photos=len(data.get("photos", [])),
            contact=contact,
        )

    # --- the steps ----------------------------------------------------------------------------
    async def category(self, code: str) -> CategoryOut | None:
        return {c.code: c for c in await self.complaints.categories()}.get(code)

    def category_chosen(self, category: CategoryOut) -> Say:
        return Say(self.tr("report.category_chosen", category=category_name(category, self.tr.lang)))

    async def choose_category(self, category: CategoryOut) -> list[Say]:
        return await self.advance("location", category=category.code)

    async def give_location(self, lat: float, lon: float, address: str = "") -> list[Say]:
        return await self.advance("description", lat=round(lat, 6), lon=round(lon, 6), address=address)

    async def give_address(self, text: str) -> list[Say]:
        address = " ".join(text.split())
        if len(address) < MIN_ADDRESS:
            return [Say(self.tr("report.address_too_short"))]
        if len(address) > MAX_ADDRESS:
            return [Say(self.tr("report.address_too_long", max=MAX_ADDRESS))]
        return await self.advance("description", address=address, lat=None, lon=None)

    async def give_description(self, text: str) -> list[Say]:
        text = text.strip()
        if len(text) < MIN_DESCRIPTION:
            return [Say(self.tr("report.description_too_short", min=MIN_DESCRIPTION))]
        if len(text) > MAX_DESCRIPTION:
            return [Say(self.tr("report.description_too_long", max=MAX_DESCRIPTION))]
        return await self.advance("photos", description=text)

    # --- photos -------------------------------------------------------------------------------
    @property
    def max_photos(self) -> int:
        return self.complaints.policy.max_photos

    async def add_photos(self, incoming: Sequence[PhotoRef], lock: asyncio.Lock) -> list[Say]:
        """Check the photos of one step (one photo or an album) and add the good ones to the draft.
        `lock` serialises changes to this person's photos (an album arrives in parts)."""
        tr, limit = self.tr, self.max_photos
        async with lock:
            if await self.step() != "photos":
                return []  # cancelled or moved on while the album was arriving
            photos = list((await self.state.get_data()).get("photos", []))
            known = {p["unique_id"] for p in photos}
            notes: list[Say] = []
            fresh: list[PhotoRef] = []
            for photo in incoming:
                if photo["unique_id"] in known:
                    notes.append(Say(tr("report.photo_duplicate")))
                else:
                    known.add(photo["unique_id"])
                    fresh.append(photo)
            room = max(0, limit - len(photos))
            extra = len(fresh) - room
            fresh = fresh[:room]
            problems = await asyncio.gather(*(self._check(p) for p in fresh))
            added = 0
            for photo, problem in zip(fresh, problems, strict=True):
                if problem is None:
                    photos.append(photo)
                    added += 1
                else:
                    notes.append(Say(problem))
            if extra > 0:
                notes.append(Say(tr("report.photo_limit", max=limit, extra=extra)))
            await self.state.update_data(photos=photos, **touched(self.now()))
        if added:
            notes.append(Say(tr("report.photos_received", added=added, count=len(photos), max=limit),
                             "photos", len(photos)))
        return notes

    async def _check(self, photo: PhotoRef) -> Html | None:
        try:
            await self.photos.check(photo)
        except PhotoRejected as exc:
            return self.tr("report.photo_refused", reason=exc.message(self.tr.lang))
        except PhotoUnavailable:
            return self.tr("report.photo_download_failed")
        return None

    async def photos_done(self) -> list[Say]:
        return await self.advance("contact")

    async def clear_photos(self, lock: asyncio.Lock) -> list[Say]:
        async with lock:
            self.photos.forget((await self.state.get_data()).get("photos", []))
            await self.state.update_data(photos=[], **touched(self.now()))
        return [Say(self.tr("report.photos_cleared"), "photos", 0)]

    async def photo_count(self) -> int:
        return len((await self.state.get_data()).get("photos", []))

    # --- contact, review, submit --------------------------------------------------------------
    async def give_contact(
        self, *, phone: str | None = None, name: str | None = None, anonymous: bool = False
    ) -> list[Say]:
        return await self.advance(CONFIRM, contact_phone=phone, contact_name=name, anonymous=anonymous)

    async def edit(self, step: str) -> list[Say] | None:
        """Back to one step from the review (the answer returns to the review); None: no such step."""
        if step not in STEPS:
            return None
        await self.state.update_data(editing=True, **touched(self.now()))
        return await self.go(step)

    async def cancel(self) -> list[Say]:
        self.photos.forget((await self.state.get_data()).get("photos", []))
        await self.state.clear()
        return [Say(self.tr("cancel.done"), "main_menu")]

    async def submit(self, channel: str, channel_user_id: str) -> Submitted:
        """File the draft. A refusal keeps it (the person sees why and the review again)."""
        tr = self.tr
        data = await self.state.get_data()
        photos = list(data.get("photos", []))
        try:
            report = ReportInput(
                category=data.get("category", ""),
                description=data.get("description", ""),
                address=data.get("address") or "",
                lat=data.get("lat"),
                lon=data.get("lon"),
                channel=channel,
                reporter_channel_id=channel_user_id,
                contact_name=data.get("contact_name"),
                contact_phone=data.get("contact_phone"),
                anonymous=bool(data.get("anonymous")),
                language=tr.lang,
            )
            uploads = [await self.photos.upload(photo) for photo in photos]
            result = await self.complaints.submit(report, uploads)
        except ValidationError as exc:
            reason = "; ".join(error_lines(exc.errors(), FIELD_LABELS, tr.lang))
            return await self._failed(tr("report.submit_failed", reason=reason), data)
        except DomainError as exc:  # a refused photo, an unknown category...
            return await self._failed(tr("report.submit_failed", reason=exc.message(tr.lang)), data)
        except Exception:
            log.exception("submitting a report from %s failed", channel)
            return await self._failed(tr("report.submit_error"), data)
        self.photos.forget(photos)
        await self.state.clear()
        text = tr("report.submitted", number=result.tracking_number, due=self.local_date(result.acceptance_due_at))
        return Submitted(result, [Say(text, "main_menu")])

    async def _failed(self, text: Html, data: dict[str, Any]) -> Submitted:
        return Submitted(None, [Say(text), Say(await self.summary(data), "confirm")])
