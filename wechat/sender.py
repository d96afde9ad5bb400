"""The WeChat channel's outbox sender (plugged into `core.delivery`'s loop in civicdesk/senders.py).

Within 48 hours of the person's last message a message goes as a customer-service text. Outside
that window (or when WeChat says the window has closed, 45015/45047) it goes as a template message
when `CIVICDESK_WECHAT_TEMPLATES` names a template for its kind; otherwise it cannot be pushed and
fails for good, and the person reads the news at the status link they were given with their receipt.
"""

from __future__ import annotations

from typing import Any

from civicdesk.container import Services
from complaints.messages import ReportUpdate
from complaints.workflow import status_label
from conversations.i18n import Texts, as_plain, normalize, texts
from conversations.messages import ChatReply
from conversations.notices import asks_rating, render_event_news, render_report_update
from conversations.opendays import calendar_link, when_text
from core.delivery import Blocked, Claimed, Permanent, RetryLater
from core.kit.channels import ChannelName
from core.outbox import OutboxPayload
from opendays import messages as od

from . import api as wxapi
from . import texts as wx
from .api import WeChatApi, WeChatError
from .people import WeChatPeople

CHANNEL = ChannelName.WECHAT.value
CLOSED_WINDOW = (wxapi.OUT_OF_WINDOW, 45047)
QUOTA_WAIT_S = 3600.0  # 45009: the account's daily API quota is used up


def render(payload: OutboxPayload, tr: Texts, services: Services) -> str | None:
    """The message as WeChat text within WeChat's 2,048 bytes, or None for a kind this channel does
    not send. What Telegram puts in buttons is said as what to reply (or a link)."""
    lang = tr.lang
    if isinstance(payload, ChatReply):
        return wx.truncate(payload.text, wx.hint(lang, "cut"))  # pieces already fit
    if isinstance(payload, ReportUpdate):
        text = as_plain(render_report_update(payload, tr))
        if asks_rating(payload):
            text += "\n" + wx.hint(lang, "rate")
        # a long staff reply is cut, saying where the whole of it is
        return wx.truncate(text, wx.hint(lang, "cut_report", number=payload.tracking_number))
    if isinstance(payload, od.EventNews):
        text = as_plain(render_event_news(payload, tr, services.opendays.policy.tz))
        if isinstance(payload, od.OpenDayFeedbackRequest):
            text += "\n" + wx.hint(lang, "feedback_request")
        elif isinstance(payload, od.OpenDayPublished):
            text += "\n" + wx.hint(lang, "published")
        elif isinstance(payload, od.OpenDayPromoted | od.OpenDayUpdated):
            # Telegram sends the calendar file after these; WeChat gets its address
            text += "\n" + as_plain(tr("od.ics_link", url=calendar_link(services.opendays, payload.event_id, lang)))
        return wx.truncate(text, wx.hint(lang, "cut"))
    return None


def template_data(payload: OutboxPayload, tr: Texts, services: Services) -> dict[str, Any] | None:
    """Fields of a template message ("first", "keyword1", "keyword2", "remark"): the common layout
    of the report-progress and activity-notice templates in the template library."""
    lang = tr.lang
    if isinstance(payload, ReportUpdate):
        fields = {"first": wx.hint(lang, "template_first"), "keyword1": payload.tracking_number,
                  "keyword2": status_label(payload.status, lang),
                  "remark": payload.message or wx.hint(lang, "template_remark")}
    elif isinstance(payload, od.EventNews):
        when = when_text(payload.starts_at, payload.ends_at, lang, services.opendays.policy.tz)
        text = as_plain(render_event_news(payload, tr, services.opendays.policy.tz))
        fields = {"first": wx.hint(lang, "openday_first"), "keyword1": payload.title, "keyword2": when,
                  "remark": wx.truncate(text, "…", 600)}
    else:
        return None
    return {name: {"value": value} for name, value in fields.items()}


def raise_for(exc: WeChatError) -> None:
    """A WeChat error as the delivery loop's outcome."""
    if exc.errcode is None:
        raise RetryLater(str(exc)) from exc  # HTTP 5xx, timeout, network
    if exc.errcode == wxapi.API_LIMIT:
        raise RetryLater(str(exc), retry_after=QUOTA_WAIT_S) from exc
    if exc.errcode in (wxapi.UNSUBSCRIBED, wxapi.BLACKLISTED):
        raise Blocked(str(exc)) from exc
    if exc.errcode in (wxapi.INVALID_OPENID, wxapi.CONTENT_TOO_LONG):
        raise Permanent(str(exc)) from exc
    raise RetryLater(str(exc)) from exc


class WeChatSender:
    channel = CHANNEL
    per_second: float | None = 20.0

    def __init__(self, services: Services, api: WeChatApi, *, owns_api: bool = False):
        self.services = services
        self.api = api
        self.people = WeChatPeople(services.db, services.clock, services.settings.default_language)
        self._owns_api = owns_api

    async def send(self, message: Claimed, payload: OutboxPayload) -> None:
        openid = message.recipient
        subscribed, in_window = await self.people.reachable(openid)
        if not subscribed:
            raise Blocked("the person unsubscribed from the account")
        tr = texts(await self.people.language(openid) or normalize(payload.language))
        text = render(payload, tr, self.services)
        if text is None:
            raise Permanent(f"no WeChat renderer for message kind {message.kind!r}")
        if in_window:
            try:
                await self.api.send_text(openid, text)
                return
            except WeChatError as exc:
                if exc.errcode not in CLOSED_WINDOW:
                    raise_for(exc)
        template_id = self.services.settings.wechat_templates.get(message.kind)
        data = template_data(payload, tr, self.services) if template_id else None
        if template_id is None or data is None:
            raise Permanent("outside the 48-hour window and no template for this kind: the person sees it "
                            "at their status link")
        url = f"{self.services.settings.public_base_url.rstrip('/')}/status"
        try:
            await self.api.send_template(openid, template_id, data, url)
        except WeChatError as exc:
            if exc.errcode in wxapi.TEMPLATE_REFUSED:
                raise Permanent(str(exc)) from exc
            raise_for(exc)

    async def aclose(self) -> None:
        if self._owns_api:
            await self.api.aclose()


def wechat_sender(services: Services) -> WeChatSender | None:
    """The worker's WeChat sender, or None when the account is not configured."""
    settings = services.settings
    if not (settings.wechat_app_id and settings.wechat_app_secret):
        return None
    return WeChatSender(services, WeChatApi(settings), owns_api=True)
