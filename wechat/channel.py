"""One WeChat message in, the answers out: the account's side of the shared conversations.

`WeChatChannel.handle` takes a parsed message or event and returns the texts to send back; the
callback (`wechat/callback.py`) decides whether they go passively (in time) or as customer-service
messages through the outbox. Every delivery is handled once (MsgId / event key), a person's messages
are throttled and handled one at a time, and the conversation lives in `conversations` (or Redis).
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from wechatpy.events import ClickEvent, SubscribeEvent, UnsubscribeEvent
from wechatpy.messages import BaseMessage, ImageMessage, LocationMessage, TextMessage

from civicdesk.container import Services
from complaints.links import status_link
from complaints.schemas import Channel
from conversations import menus
from conversations.i18n import Texts, texts
from conversations.opendays import FLOW as OD_FLOW
from conversations.opendays import RegistrationConversation, when_text
from conversations.photos import BoundPhotos, PhotoIntake, PhotoRef, PhotoUnavailable
from conversations.report import FLOW_TTL, STEPS, ReportConversation
from core.conversation import Say, step_of
from core.conversation.store import ConversationStore, DatabaseConversations, KeyedState, RedisConversations
from core.errors import DomainError, NotFound, ValidationFailed
from core.phones import normalize_phone
from opendays.rules import RegChannel

from . import texts as wx
from .api import WeChatApi, WeChatError
from .geo import gcj02_to_wgs84
from .people import Seen, WeChatPeople

log = logging.getLogger(__name__)
CHANNEL = Channel.WECHAT.value
# The custom menu's click keys (`civicdesk wechat menu` installs them).
MENU_KEYS = {"ASK": "menu.ask", "REPORT": "menu.report", "STATUS": "menu.status", "OPENDAYS": "menu.opendays"}
CANCEL_WORDS = frozenset({"取消", "cancel", "/cancel", "退出"})
LANGUAGE_WORDS = {"english": "en", "/language": None, "中文": "zh", "简体中文": "zh", "语言": None}
NUMBERED = re.compile(r"^\s*(报名|详情|register|details)\s*(\d{1,2})\s*$", re.I)


def delivery_key(message: BaseMessage) -> str:
    """What makes two deliveries the same: the MsgId, or for events the sender and CreateTime."""
    if message.id:
        return f"msg:{message.id}"
    return f"evt:{message.source}:{message.time}:{getattr(message, 'event', '')}:{getattr(message, 'key', '')}"


class WeChatChannel:
    def __init__(self, services: Services, api: WeChatApi, *, flow_ttl: timedelta = FLOW_TTL):
        self.services = services
        self.api = api
        self.flow_ttl = flow_ttl
        settings = services.settings
        self.people = WeChatPeople(services.db, services.clock, settings.default_language)
        self.seen = Seen(services.db, services.clock, services.redis)
        self.store: ConversationStore = (
            RedisConversations(services.redis) if services.redis is not None
            else DatabaseConversations(services.db, services.clock)
        )
        self.intake = PhotoIntake(services.complaints.policy.photo_limits)
        self.photos = BoundPhotos(self.intake, self._fetch_media)
        self._locks: dict[str, asyncio.Lock] = {}
        self._photo_locks: dict[str, asyncio.Lock] = {}

    # --- the entry point ------------------------------------------------------------------------
    async def first_time(self, message: BaseMessage) -> bool:
        return await self.seen.first_time(delivery_key(message))

    async def handle(self, message: BaseMessage) -> list[str]:
        """The texts answering one (new) delivery; [] when nothing is to be said."""
        openid = message.source
        if isinstance(message, UnsubscribeEvent):
            await self.people.unsubscribed(openid)
            return []
        lang = await self.people.wrote(openid)
        tr = texts(lang)
        if not await self._within_limit(openid):
            first = await self.services.limiter.hit(f"wx-msg-told:{openid}", 1, 60)
            return [wx.render(Say(tr("throttle.messages")), tr)] if first else []
        async with self._lock(self._locks, openid):
            says = await self._dispatch(message, openid, tr)
        return [text for text in (wx.render(say, tr) for say in says) if text]

    async def _within_limit(self, openid: str) -> bool:
        limit = self.services.settings.wechat_messages_per_minute
        return limit <= 0 or await self.services.limiter.hit(f"wx-msg:{openid}", limit, 60)

    @staticmethod
    def _lock(locks: dict[str, asyncio.Lock], key: str) -> asyncio.Lock:
        lock = locks.get(key)
        if lock is None:
            if len(locks) > 10_000:  # forget the idle ones
                for idle in [k for k, v in locks.items() if not v.locked()]:
                    del locks[idle]
            lock = locks[key] = asyncio.Lock()
        return lock

    def _report(self, openid: str, tr: Texts) -> ReportConversation:
        s = self.services
        return ReportConversation(self._state(openid), tr, s.complaints, s.clock.now, s.bureau_time.date_text,
                                  self.photos)

    def _registration(self, openid: str, tr: Texts) -> RegistrationConversation:
        return RegistrationConversation(self._state(openid), tr, self.services.opendays, RegChannel.WECHAT.value,
                                        openid, openid)

    def _state(self, openid: str) -> KeyedState:
        return KeyedState(self.store, f"wechat:{openid}")

    async def _fetch_media(self, photo: PhotoRef) -> bytes:
        try:
            return await self.api.download_media(photo["media_id"])
        except WeChatError as exc:
            raise PhotoUnavailable(str(exc)) from exc

    # --- routing --------------------------------------------------------------------------------
    async def _dispatch(self, message: BaseMessage, openid: str, tr: Texts) -> list[Say]:
        report = self._report(openid, tr)
        says = await report.expire(self.flow_ttl)
        if isinstance(message, SubscribeEvent):
            # WeChat does not tell the name: the greeting goes without it
            greeting = tr("start.greeting", name="").replace("，！", "！").replace(", !", "!")
            return [*says, Say(greeting)]
        if isinstance(message, ClickEvent):
            return [*says, *await self._menu(MENU_KEYS.get(message.key or "", ""), openid, tr)]
        step = await report.step()
        if isinstance(message, LocationMessage):
            if step != "location":
                return [*says, Say(tr("report.location_expected") if step else tr("unsupported"))]
            lat, lon = gcj02_to_wgs84(float(message.location_x), float(message.location_y))
            return [*says, *await report.give_location(lat, lon, message.label or "")]
        if isinstance(message, ImageMessage):
            if step != "photos":
                return [*says, Say(tr("photo_outside_flow"))]
            ref = {"media_id": message.media_id, "unique_id": message.media_id, "filename": None, "size": None}
            return [*says, *await report.add_photos([ref], self._lock(self._photo_locks, openid))]
        if isinstance(message, TextMessage):
            return [*says, *await self._text(message.content or "", openid, tr, report, step)]
        return [*says, Say(tr("unsupported"))]

    async def _text(self, text: str, openid: str, tr: Texts, report: ReportConversation, step: str | None) -> list[Say]:
        word = wx.normalized(text)
        od_step = step_of(await report.state.get_state(), OD_FLOW)
        if word in CANCEL_WORDS or wx.is_answer(text, "report.button_cancel"):
            if step:
                return await report.cancel()
            if od_step:
                await report.state.clear()
                return [Say(tr("cancel.done"))]
            return [Say(tr("cancel.nothing"))]
        for key in MENU_KEYS.values():
            if wx.is_answer(text, key):
                return await self._menu(key, openid, tr)
        if step:
            return await self._report_step(text, openid, tr, report, step)
        if od_step:
            return await self._registration_step(text, openid, tr, od_step)
        if word in LANGUAGE_WORDS:
            lang = LANGUAGE_WORDS[word] or ("en" if tr.lang == "zh" else "zh")
            return [Say(texts(await self.people.set_language(openid, lang))("language.set"))]
        if re.match(menus.TRACKING_NUMBER, text):
            return await self._show_report(openid, text.strip(), tr)
        if wx.is_answer(text, "od.button_mine"):
            return await self._my_registrations(openid, tr)
        numbered = NUMBERED.match(text)
        if numbered:
            return await self._event_action(numbered.group(1).lower(), int(numbered.group(2)), openid, tr)
        return await self._question(text, tr)

    async def _menu(self, key: str, openid: str, tr: Texts) -> list[Say]:
        if key == "menu.report":
            return await self._report(openid, tr).start()
        if key == "menu.status":
            return await self._my_reports(openid, tr)
        if key == "menu.opendays":
            return await self._opendays(tr)
        return [Say(tr("ask.prompt"))]

    # --- the report flow in words ---------------------------------------------------------------
    async def _report_step(self, text: str, openid: str, tr: Texts, report: ReportConversation,
                           step: str) -> list[Say]:
        if step == "category":
            categories = await self.services.complaints.categories()
            chosen = _pick(text, categories, lambda c: (c.name_zh, c.name_en, c.code))
            if chosen is None:
                return [Say(tr("report.choose_category"), "categories", categories)]
            return [report.category_chosen(chosen), *await report.choose_category(chosen)]
        if step == "location":
            return await report.give_address(text)
        if step == "description":
            return await report.give_description(text)
        if step == "photos":
            if wx.is_answer(text, "report.button_done", "report.button_no_photo"):
                return await report.photos_done()
            if wx.is_answer(text, "report.button_clear_photos"):
                return await report.clear_photos(self._lock(self._photo_locks, openid))
            return [Say(tr("report.photos_expected"), "photos", await report.photo_count())]
        if step == "contact":
            if wx.is_answer(text, "report.button_anonymous"):
                return await report.give_contact(anonymous=True)
            if wx.is_answer(text, "report.button_skip"):
                return await report.give_contact()
            try:
                phone = normalize_phone(text)
            except ValidationFailed as exc:
                return [Say(exc.message(tr.lang)), Say(tr("report.ask_contact"), "contact")]
            return await report.give_contact(phone=phone)
        return await self._review_step(text, openid, tr, report)

    async def _review_step(self, text: str, openid: str, tr: Texts, report: ReportConversation) -> list[Say]:
        data = await report.state.get_data()
        if data.get("choosing_field"):
            await report.state.update_data(choosing_field=False)
            field = _pick(text, STEPS, lambda s: (tr.plain(f"report.field_{s}"),))
            if field is not None:
                return await report.edit(field) or []
        if wx.is_answer(text, "report.button_submit"):
            return await self._submit(openid, tr, report)
        if wx.is_answer(text, "report.button_edit"):
            await report.state.update_data(choosing_field=True)
            return [Say(tr("report.edit_which"), "edit_fields")]
        return await report.review(data)

    async def _submit(self, openid: str, tr: Texts, report: ReportConversation) -> list[Say]:
        limit = self.services.settings.wechat_reports_per_hour
        if limit > 0:
            since = self.services.clock.now() - timedelta(hours=1)
            if await self.services.complaints.count_reports_since(CHANNEL, openid, since) >= limit:
                return [Say(tr("throttle.reports", limit=limit))]
        done = await report.submit(CHANNEL, openid)
        if done.result is None:
            return done.says
        link = status_link(self.services.settings.public_base_url, done.result.tracking_number,
                           done.result.status_token)
        return [*done.says, Say(wx.hint(tr.lang, "status_link", url=link))]

    # --- my reports -----------------------------------------------------------------------------
    async def _my_reports(self, openid: str, tr: Texts) -> list[Say]:
        reports = await self.services.complaints.reports_of_channel_user(
            CHANNEL, openid, limit=menus.LIST_LIMIT, lang=tr.lang)
        if not reports:
            return [Say(tr("status.none"))]
        return [Say(menus.report_list(reports, tr) + "\n" + wx.hint(tr.lang, "status_hint"))]

    async def _show_report(self, openid: str, number: str, tr: Texts) -> list[Say]:
        try:
            view = await self.services.complaints.reporter_view_for_channel_user(number, CHANNEL, openid,
                                                                                  lang=tr.lang)
        except NotFound as exc:
            return [Say(tr("status.not_found", number=number, reason=exc.message(tr.lang)))]
        return [Say(menus.render_report(view, tr, self.services.bureau_time.date_text))]

    # --- open days ------------------------------------------------------------------------------
    async def _opendays(self, tr: Texts) -> list[Say]:
        service = self.services.opendays
        events = (await service.upcoming(tr.lang))[:10]
        if not events:
            return [Say(tr("od.none"))]
        blocks = [tr("od.list_header")]
        for n, event in enumerate(events, start=1):
            when = when_text(event.starts_at, event.ends_at, tr.lang, service.policy.tz)
            seats = tr("od.seats_left", left=event.seats_left, capacity=event.capacity) if event.registration_open \
                else tr("od.reg_closed")
            blocks.append(tr("od.item", n=n, title=event.title, when=when, site=event.site_name, seats=seats))
        blocks.append(wx.hint(tr.lang, "opendays_hint"))
        return [Say("\n\n".join(blocks))]

    async def _event_action(self, verb: str, n: int, openid: str, tr: Texts) -> list[Say]:
        events = (await self.services.opendays.upcoming(tr.lang))[:10]
        if not 1 <= n <= len(events):
            return [Say(tr("od.not_found"))]
        event = events[n - 1]
        if verb in ("报名", "register"):
            return await self._registration(openid, tr).start(event.id)
        when = when_text(event.starts_at, event.ends_at, tr.lang, self.services.opendays.policy.tz)
        seats = tr("od.seats_left", left=event.seats_left, capacity=event.capacity)
        parts = [tr("od.detail", title=event.title, when=when, site=event.site_name, address=event.address,
                    seats=seats)]
        if event.description:
            parts.append(event.description)
        parts.append(tr("od.party_limit", max=event.max_party_size))
        return [Say("\n".join(parts))]

    async def _registration_step(self, text: str, openid: str, tr: Texts, step: str) -> list[Say]:
        conversation = self._registration(openid, tr)
        if step == "name":
            return await conversation.give_name(text)
        if step == "party":
            return await conversation.give_party(text)
        if step == "phone":
            if wx.is_answer(text, "od.button_skip"):
                return (await conversation.finish(None)).says
            try:
                phone = normalize_phone(text)
            except ValidationFailed as exc:
                return [Say(exc.message(tr.lang)), Say(tr("od.ask_phone"), "phone")]
            return (await conversation.finish(phone)).says
        return await conversation.give_comment(text, wx.is_answer(text, "od.button_skip"))

    async def _my_registrations(self, openid: str, tr: Texts) -> list[Say]:
        service = self.services.opendays
        mine = await service.registrations_of_user(RegChannel.WECHAT.value, openid, tr.lang)
        if not mine:
            return [Say(tr("od.mine_none"))]
        blocks = [tr("od.mine_header")]
        for reg in mine:
            when = when_text(reg.event.starts_at, reg.event.ends_at, tr.lang, service.policy.tz)
            blocks.append(tr("od.mine_item", title=reg.event.title, status=reg.status_label, party=reg.party_size,
                             code=reg.check_in_code, when=when))
        return [Say("\n\n".join(blocks))]

    # --- questions ------------------------------------------------------------------------------
    async def _question(self, text: str, tr: Texts) -> list[Say]:
        try:
            answer = await self.services.knowledge.ask(text.strip(), k=3, lang=tr.lang, channel=CHANNEL)
        except DomainError as exc:
            return [Say(tr("ask.refused", reason=exc.message(tr.lang)))]
        except Exception:
            log.exception("answering a WeChat question failed")
            return [Say(tr("ask.unavailable"))]
        parts = [tr("ask.answer", text=answer.answer)]
        if answer.report_suggestion is not None:
            parts += ["", tr("ask.handoff_note")]
        elif answer.abstained:
            parts += ["", tr("ask.abstained_note")]
        return [Say("\n".join(parts))]


def _pick(text: str, items: Sequence[Any], names: Any) -> Any:
    """The item a reply chooses: its number in the list, or one of its names."""
    word = wx.normalized(text)
    if word.isdigit() and 1 <= int(word) <= len(items):
        return items[int(word) - 1]
    for item in items:
        if word in {wx.normalized(n) for n in names(item) if n}:
            return item
    return None
