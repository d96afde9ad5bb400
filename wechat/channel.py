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
from complaints.service import ChannelUser
from conversations import menus
from conversations.followup import FLOW as FU_FLOW
from conversations.i18n import Texts, texts
from conversations.opendays import FLOW as OD_FLOW
from conversations.photos import BoundPhotos, PhotoIntake, PhotoRef, PhotoUnavailable
from conversations.report import FLOW_TTL, STEPS, ReportConversation
from core.conversation import Say, step_of
from core.conversation.store import ConversationStore, DatabaseConversations, KeyedState, RedisConversations
from core.errors import NotFound, ValidationFailed
from core.phones import normalize_phone

from . import answers, followup, opendays
from . import texts as wx
from .api import WeChatApi, WeChatError
from .geo import gcj02_to_wgs84
from .people import Seen, WeChatPeople

log = logging.getLogger(__name__)
CHANNEL = Channel.WECHAT.value
# The custom menu's click keys (`civicdesk wechat menu` installs them).
MENU_KEYS = {"ASK": "menu.ask", "REPORT": "menu.report", "STATUS": "menu.status", "OPENDAYS": "menu.opendays",
             "MY_OPENDAYS": "od.button_mine", "LANGUAGE": "menu.language"}
CANCEL_WORDS = frozenset({"取消", "cancel", "/cancel", "退出"})
LANGUAGE_WORDS = {"english": "en", "/language": None, "中文": "zh", "简体中文": "zh", "语言": None,
                  "language": None}
HANDOFF_WORDS = frozenset({"举报", "report"})  # with a suggested category waiting: the hand-off


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
        if isinstance(message, SubscribeEvent):
            await self._learn_language(openid)
        lang = await self.people.wrote(openid)
        tr = texts(lang)
        if not await self._within_limit(openid):
            first = await self.services.limiter.hit(f"wx-msg-told:{openid}", 1, 60)
            return [wx.render(Say(tr("throttle.messages")), tr)] if first else []
        async with self._lock(self._locks, openid):
            says = await self._dispatch(message, openid, tr)
        return [text for text in (wx.render(say, tr) for say in says) if text]

    async def _learn_language(self, openid: str) -> None:
        """A new follower whose WeChat is in English is answered in English (until they switch).
        WeChat's `user/info` may not say (it has withheld some fields since 2021): then the default."""
        if await self.people.language(openid) is not None:
            return
        try:
            lang = await asyncio.wait_for(self.api.user_language(openid),
                                          self.services.settings.wechat_user_info_wait_s)
        except (WeChatError, TimeoutError):
            log.info("no language for %s from user/info", openid)
            return
        if lang and lang.lower().startswith("en"):
            await self.people.set_language(openid, "en")

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
        return ReportConversation(self.state_of(openid), tr, s.complaints, s.clock.now, s.bureau_time.date_text,
                                  self.photos)

    def state_of(self, openid: str) -> KeyedState:
        return KeyedState(self.store, f"wechat:{openid}")

    def photo_lock(self, openid: str) -> asyncio.Lock:
        return self._lock(self._photo_locks, openid)

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
            if step_of(await report.state.get_state(), FU_FLOW) == "supplement":
                return [*says, *await followup.photo(self, openid, message.media_id, tr)]
            if step != "photos":
                return [*says, Say(tr("photo_outside_flow"))]
            ref = {"media_id": message.media_id, "unique_id": message.media_id, "filename": None, "size": None}
            return [*says, *await report.add_photos([ref], self.photo_lock(openid))]
        if isinstance(message, TextMessage):
            return [*says, *await self._text(message.content or "", openid, tr, report, step)]
        return [*says, Say(tr("unsupported"))]

    async def _text(self, text: str, openid: str, tr: Texts, report: ReportConversation, step: str | None) -> list[Say]:
        word = wx.normalized(text)
        state = await report.state.get_state()
        od_step, fu_step = step_of(state, OD_FLOW), step_of(state, FU_FLOW)
        if word in CANCEL_WORDS or wx.is_answer(text, "report.button_cancel"):
            if step:
                return await report.cancel()
            if fu_step:
                return await followup.conversation(self, openid, tr).cancel()
            if od_step:
                await report.state.clear()
                return [Say(tr("cancel.done"))]
            return [Say(tr("cancel.nothing"))]
        for key in MENU_KEYS.values():
            if wx.is_answer(text, key):
                return await self._menu(key, openid, tr)
        if word in LANGUAGE_WORDS:  # anywhere, like Telegram's /language (a conversation goes on)
            return await self._switch_language(openid, tr, LANGUAGE_WORDS[word])
        if step:
            return await self._report_step(text, openid, tr, report, step)
        if od_step:
            return await opendays.step(self, openid, text, tr, od_step)
        if fu_step:
            return await followup.step(self, openid, text, tr, fu_step)
        if re.match(menus.TRACKING_NUMBER, text):
            return await self._show_report(openid, text.strip(), tr)
        if word in HANDOFF_WORDS and await answers.handoff_category(self, openid):
            return await self._menu("menu.report", openid, tr)
        if word in answers.SOURCE_WORDS:
            return await answers.sources(self, openid, tr)
        if word in answers.VOTE_WORDS:
            return await answers.vote(self, openid, answers.VOTE_WORDS[word], tr)
        for words in (followup.typed, opendays.typed):
            said = await words(self, openid, text, tr)
            if said is not None:
                return said
        return await answers.question(self, openid, text, tr)

    async def _switch_language(self, openid: str, tr: Texts, lang: str | None) -> list[Say]:
        lang = lang or ("en" if tr.lang == "zh" else "zh")
        return [Say(texts(await self.people.set_language(openid, lang))("language.set"))]

    async def _menu(self, key: str, openid: str, tr: Texts) -> list[Say]:
        if key == "menu.report":
            report = self._report(openid, tr)
            code = await answers.handoff_category(self, openid)
            return await (report.start_for(code) if code else report.start())
        if key == "menu.status":
            return await self._my_reports(openid, tr)
        if key == "menu.opendays":
            return await opendays.listing(self, tr)
        if key == "od.button_mine":
            return await opendays.mine(self, openid, tr)
        if key == "menu.language":
            return await self._switch_language(openid, tr, None)
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
                return await report.clear_photos(self.photo_lock(openid))
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
        who = ChannelUser(CHANNEL, openid)
        actions = await self.services.complaints.followup_view(view.tracking_number, who, tr.lang)
        history = menus.render_report(view, tr, self.services.bureau_time.date_text)
        hints = followup.actions(view.tracking_number, actions, tr.lang)
        return [Say(history + ("\n\n" + "\n".join(hints) if hints else ""))]


def _pick(text: str, items: Sequence[Any], names: Any) -> Any:
    """The item a reply chooses: its number in the list, or one of its names."""
    word = wx.normalized(text)
    if word.isdigit() and 1 <= int(word) <= len(items):
        return items[int(word) - 1]
    for item in items:
        if word in {wx.normalized(n) for n in names(item) if n}:
            return item
    return None
