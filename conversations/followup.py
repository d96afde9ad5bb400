"""回访 and additions, for every chat channel: rate a resolved report (满意 / 基本满意 / 不满意, with
an optional comment), ask for reopening with a reason after 不满意, add text and photos to an open
report. The rules and storage are the complaints service's (`complaints/followup.py`); this module
asks, keeps what is being written, and answers.

What is stored: `FollowupFlow:reason` or `FollowupFlow:supplement` with the report's `number`; a
supplement gathered over several messages (WeChat: no caption on a photo) keeps `texts` and
`photos` (references, checked on arrival) until `finish_supplement`.

A channel without buttons under a message finds the report a reply means with `pick`: the number
typed with it, else the reporter's only report that allows the action.

Widgets named in the answers: reopen and comment (data: the number), reason, supplement (data: photos so far),
main_menu; which (data: the candidate reports).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime

from complaints.schemas import FollowupView, ReporterView
from complaints.service import ChannelUser, ComplaintService
from core.conversation import Say, StateAccess, state_name, step_of
from core.errors import DomainError

from .i18n import Texts
from .photos import PhotoRef, PhotoUnavailable
from .report import PhotoSource

FLOW = "FollowupFlow"
RATE, REOPEN, SUPPLEMENT = "rate", "reopen", "supplement"
COMMENT_STEP = "comment"
CANDIDATES = 10  # the newest reports looked at when a reply names none


@dataclass(frozen=True)
class Rated:
    """What to say after a rating; `stored` is False when it was refused."""

    stored: bool
    says: list[Say]


@dataclass(frozen=True)
class Picked:
    """The report a reply means (`number`), or what to say instead."""

    number: str | None
    says: list[Say]


def allows(view: FollowupView, action: str) -> bool:
    return {RATE: view.can_rate, REOPEN: view.can_request_reopen, SUPPLEMENT: view.can_supplement}[action]


class FollowupConversation:
    def __init__(self, state: StateAccess, tr: Texts, complaints: ComplaintService, who: ChannelUser,
                 local_date: Callable[[datetime], str], photos: PhotoSource):
        self.state = state
        self.tr = tr
        self.complaints = complaints
        self.who = who
        self.local_date = local_date
        self.photos = photos

    async def step(self) -> str | None:
        return step_of(await self.state.get_state(), FLOW)

    def _refused(self, exc: DomainError) -> Say:
        return Say(self.tr("fu.refused", reason=exc.message(self.tr.lang)))

    # --- which report -------------------------------------------------------------------------
    async def pick(self, action: str, number: str | None) -> Picked:
        """The report `action` is for: `number` when given (the service checks it is theirs),
        else their only report allowing it; otherwise the list to choose from, or why none."""
        if number:
            return Picked(number, [])
        tr = self.tr
        reports = await self.complaints.reports_of_channel_user(self.who.channel, self.who.user_id,
                                                                limit=CANDIDATES, lang=tr.lang)
        fitting: list[ReporterView] = []
        for report in reports:
            view = await self.complaints.followup_view(report.tracking_number, self.who, tr.lang)
            if allows(view, action):
                fitting.append(report)
        if len(fitting) == 1:
            return Picked(fitting[0].tracking_number, [])
        if not fitting:
            return Picked(None, [Say(tr(f"fu.none_{action}"))])
        return Picked(None, [Say(tr("fu.which"), "which", (action, fitting))])

    # --- rating -------------------------------------------------------------------------------
    async def rate(self, number: str, rating: str, comment: str | None = None, *,
                   offer_comment: bool = False) -> Rated:
        """Store the rating; thank, and offer reopening when 不满意 allows it. `offer_comment`: a
        channel whose rating is one tap offers a comment afterwards (the rating is kept either way)."""
        tr = self.tr
        try:
            await self.complaints.rate(number, self.who, rating, comment)
        except DomainError as exc:
            return Rated(False, [self._refused(exc)])
        view = await self.complaints.followup_view(number, self.who, tr.lang)
        says = [Say(tr("fu.rated", rating=view.rating_label or ""))]
        if view.can_request_reopen and view.reopen_until is not None:
            says.append(Say(tr("fu.offer_reopen", until=self.local_date(view.reopen_until)), "reopen", number))
        if offer_comment and not comment:
            says.append(Say(tr("fu.offer_comment"), "comment", number))
        return Rated(True, says)

    async def start_comment(self, number: str) -> list[Say]:
        """The next text is the rating's comment."""
        busy = await self._begin(COMMENT_STEP, number)
        return [busy] if busy else [Say(self.tr("fu.ask_comment"))]

    async def give_comment(self, text: str) -> list[Say]:
        number = (await self.state.get_data())["number"]
        try:
            await self.complaints.comment_rating(number, self.who, text)
        except DomainError as exc:
            if exc.code in ("already_commented", "not_rated"):
                await self.state.clear()  # nothing more to wait for
            return [self._refused(exc)]
        await self.state.clear()
        return [Say(self.tr("fu.commented"), "main_menu")]

    # --- reopening ----------------------------------------------------------------------------
    async def _begin(self, step: str, number: str, data: dict[str, object] | None = None) -> Say | None:
        """Enter a step of this flow, unless another conversation (a report draft) is in progress."""
        current = await self.state.get_state()
        if current is not None and step_of(current, FLOW) is None:
            return Say(self.tr("fu.busy_elsewhere"))
        await self.state.set_data({"number": number, **(data or {})})
        await self.state.set_state(state_name(FLOW, step))
        return None

    async def start_reopen(self, number: str, *, check: bool = False) -> list[Say]:
        """The next text is the reason. `check`: refuse at once when reopening is not allowed
        (a channel where the request was typed, not offered as a button)."""
        if check:
            view = await self.complaints.followup_view(number, self.who, self.tr.lang)
            if not view.can_request_reopen:
                return [Say(self.tr("fu.none_reopen"))]
        busy = await self._begin("reason", number)
        return [busy] if busy else [Say(self.tr("fu.ask_reason"), "reason")]

    async def give_reason(self, text: str) -> list[Say]:
        number = (await self.state.get_data())["number"]
        try:
            await self.complaints.request_reopen(number, self.who, text)
        except DomainError as exc:
            return [self._refused(exc)]  # still waiting for a reason
        await self.state.clear()
        return [Say(self.tr("fu.reopen_requested"), "main_menu")]

    # --- supplements --------------------------------------------------------------------------
    async def start_supplement(self, number: str, *, in_parts: bool = False) -> list[Say]:
        """`in_parts`: the channel gathers text and photos over several messages until
        `finish_supplement` (else one message is the whole addition: `supplement_now`)."""
        tr = self.tr
        if in_parts:
            try:
                await self.complaints.followup_view(number, self.who, tr.lang)  # theirs?
            except DomainError as exc:
                return [self._refused(exc)]
        busy = await self._begin("supplement", number, {"texts": [], "photos": []} if in_parts else None)
        if busy:
            return [busy]
        if in_parts:
            return [Say(tr("fu.ask_supplement_parts", max=self.complaints.policy.max_photos), "supplement", 0)]
        return [Say(tr("fu.ask_supplement"))]

    async def supplement_now(self, text: str, photos: Sequence[PhotoRef] = ()) -> list[Say]:
        """One message (a text, or a photo with its caption) is the whole addition."""
        number = (await self.state.get_data())["number"]
        tr = self.tr
        try:
            uploads = [await self.photos.upload(photo) for photo in photos]
            await self.complaints.supplement(number, self.who, text, uploads)
        except PhotoUnavailable:
            return [Say(tr("fu.photo_refused", reason=""))]
        except DomainError as exc:
            key = "fu.photo_refused" if photos else "fu.refused"
            return [Say(tr(key, reason=exc.message(tr.lang)))]
        await self.state.clear()
        return [Say(tr("fu.supplemented"), "main_menu")]

    async def add_text(self, text: str) -> list[Say]:
        data = await self.state.get_data()
        texts = [*data.get("texts", []), text.strip()]
        await self.state.update_data(texts=texts)
        photos = len(data.get("photos", []))
        return [Say(self.tr("fu.supplement_noted", texts=len(texts), photos=photos), "supplement", photos)]

    async def add_photo(self, photo: PhotoRef, lock: asyncio.Lock) -> list[Say]:
        """A photo checked at once (the person hears why one is refused) and kept for the end."""
        tr, limit = self.tr, self.complaints.policy.max_photos
        async with lock:
            data = await self.state.get_data()
            photos = list(data.get("photos", []))
            if any(p["unique_id"] == photo["unique_id"] for p in photos):
                return [Say(tr("report.photo_duplicate"), "supplement", len(photos))]
            if len(photos) >= limit:
                return [Say(tr("report.photo_limit", max=limit, extra=1), "supplement", len(photos))]
            try:
                await self.photos.check(photo)
            except PhotoUnavailable:
                return [Say(tr("report.photo_download_failed"), "supplement", len(photos))]
            except DomainError as exc:
                return [Say(tr("fu.photo_refused", reason=exc.message(tr.lang)), "supplement", len(photos))]
            photos.append(photo)
            await self.state.update_data(photos=photos)
        texts = len(data.get("texts", []))
        return [Say(tr("fu.supplement_noted", texts=texts, photos=len(photos)), "supplement", len(photos))]

    async def finish_supplement(self) -> list[Say]:
        """Everything gathered, as one addition. A refusal keeps it (the person can go on or cancel)."""
        tr = self.tr
        data = await self.state.get_data()
        photos = list(data.get("photos", []))
        try:
            uploads = [await self.photos.upload(photo) for photo in photos]
            await self.complaints.supplement(data["number"], self.who, "\n".join(data.get("texts", [])), uploads)
        except PhotoUnavailable:
            return [Say(tr("report.photo_download_failed"), "supplement", len(photos))]
        except DomainError as exc:
            return [self._refused(exc), Say(tr("fu.supplement_go_on"), "supplement", len(photos))]
        self.photos.forget(photos)
        await self.state.clear()
        return [Say(tr("fu.supplemented"), "main_menu")]

    async def cancel(self) -> list[Say]:
        self.photos.forget((await self.state.get_data()).get("photos", []))
        await self.state.clear()
        return [Say(self.tr("cancel.done"), "main_menu")]

