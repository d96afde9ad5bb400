"""What an e-mail or an SMS says, per message kind: one `Renderers` per channel (a kind a channel
has no renderer for fails for good, like on every channel). The message's words are the chat
channels' (`conversations/notices.py`), as plain text; an e-mail adds the subject, the status or
manage link rebuilt from the contact's sealed token, the 回访 rating link after a resolution, and
the unsubscribe link. An SMS carries no link at all (`SMS_TEMPLATES`)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from civicdesk.container import Services
from complaints.links import status_link
from complaints.messages import ReportUpdate
from accounts.messages import PhoneCode
from complaints.workflow import status_label
from conversations.i18n import as_plain, texts
from conversations.notices import asks_rating, render_event_news, render_report_update
from core.contacts import Contact
from core.delivery import Permanent
from core.kit.channels import ChannelName
from core.outbox import OutboxPayload, Renderers
from opendays import messages as od
from opendays.rules import local_text

from .texts import t

# The open-day kinds addressed to one registrant (announcements go to chat subscribers only).
REGISTRATION_KINDS: tuple[type[od.RegistrationNews], ...] = (
    od.OpenDayPromoted, od.OpenDayCancelled, od.OpenDayUpdated, od.OpenDayReminder, od.OpenDayFeedbackRequest)


@dataclass(frozen=True)
class Context:
    """What a renderer needs beside the payload: the reader's language, the contact's unsealed
    token and the link into the portal built from it (both None when the token could not be
    unsealed), the unsubscribe link and the services."""

    lang: str
    link: str | None
    unsubscribe: str
    services: Services
    token: str | None = None

    @property
    def bureau(self) -> str:
        return self.services.settings.bureau_name

    @property
    def base_url(self) -> str:
        return self.services.settings.public_base_url.rstrip("/")


@dataclass(frozen=True)
class Mail:
    subject: str
    body: str


@dataclass(frozen=True)
class Sms:
    """An SMS is sent through a template the provider approved: its name in the settings'
    template map and its parameters."""

    template: str
    params: dict[str, str]


# SMS templates (the names `CIVICDESK_SMS_TEMPLATES` maps to the provider's template codes) and the
# parameters each gets. Aliyun's notice templates take 1-35 characters per parameter and refuse a
# link (or anything like one) as a parameter: a link must be fixed in the approved template's text.
# So the parameters are short values only: the number and the 查询码 (the receipt's status token or
# the registration's manage token, 32 characters) that the portal's lookup form takes, the status,
# the event's title and date; the template's own text names `https://<host>/status` (reports) or
# `https://<host>/open-days/lookup` (registrations), where the person types them, sees the rest and
# can stop the SMS (.env.example and the README suggest the wording).
SMS_TEMPLATES: dict[str, tuple[str, ...]] = {
    "report_update": ("number", "status", "code"),
    "report_reply": ("number", "code"),
    "registration": ("title", "date", "news", "number", "code"),
    "phone_code": ("code", "minutes"),
}
SMS_PARAM_MAX = 35
SMS_TITLE_MAX = 20


def link_for(payload: OutboxPayload, contact: Contact, token: str | None, services: Services) -> str | None:
    """The receipt's own link, rebuilt from the unsealed token."""
    if token is None:
        return None
    base = services.settings.public_base_url
    if isinstance(payload, ReportUpdate):
        return status_link(base, payload.tracking_number, token)
    if isinstance(payload, od.RegistrationNews):
        return services.opendays.manage_url(payload.registration_id, token)
    return None


def unsubscribe_link(contact: Contact, services: Services) -> str:
    return f"{services.settings.public_base_url.rstrip('/')}/u/{services.contact_keys.unsubscribe_ref(contact.id)}"


# --- e-mail -----------------------------------------------------------------------------------
EMAIL_RENDERERS: Renderers[Callable[[Any, Context], Mail]] = Renderers(ChannelName.EMAIL.value)


@EMAIL_RENDERERS.register(ReportUpdate)
def report_mail(update: ReportUpdate, ctx: Context) -> Mail:
    lang = ctx.lang
    key = "reply_subject" if update.event == "reply" else "report_subject"
    subject = t(lang, key, bureau=ctx.bureau, number=update.tracking_number,
                status=status_label(update.status, lang))
    lines = [as_plain(render_report_update(update, texts(lang))), ""]
    if ctx.link:
        if asks_rating(update):
            lines.append(t(lang, "rate_report", url=f"{ctx.link}#followup"))
        lines.append(t(lang, "view_report", url=ctx.link))
    else:
        lines.append(t(lang, "no_link", url=f"{ctx.base_url}/status"))
    lines += ["", "--", t(lang, "why_report"), t(lang, "unsubscribe", url=ctx.unsubscribe)]
    return Mail(subject, "\n".join(lines) + "\n")


@EMAIL_RENDERERS.register(*REGISTRATION_KINDS)
def registration_mail(news: od.RegistrationNews, ctx: Context) -> Mail:
    lang = ctx.lang
    tz = ctx.services.opendays.policy.tz
    lines = [as_plain(render_event_news(news, texts(lang), tz)), ""]
    lines.append(t(lang, "view_registration", url=ctx.link or news.url))
    lines += ["", "--", t(lang, "why_registration"), t(lang, "unsubscribe", url=ctx.unsubscribe)]
    return Mail(t(lang, "openday_subject", bureau=ctx.bureau, title=news.title), "\n".join(lines) + "\n")


# --- SMS ----------------------------------------------------------------------------------------
SMS_RENDERERS: Renderers[Callable[[Any, Context], Sms]] = Renderers(ChannelName.SMS.value)


def short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def sms_code(ctx: Context) -> str:
    """The 查询码 for the lookup form; a token sealed under a rotated secret is lost, so the
    message points to the receipt instead (the person still learns the news)."""
    return ctx.token if ctx.token and len(ctx.token) <= SMS_PARAM_MAX else t(ctx.lang, "sms_code_on_receipt")


@SMS_RENDERERS.register(ReportUpdate)
def report_sms(update: ReportUpdate, ctx: Context) -> Sms:
    if update.event == "reply":
        return Sms("report_reply", {"number": update.tracking_number, "code": sms_code(ctx)})
    return Sms("report_update", {"number": update.tracking_number, "status": status_label(update.status, ctx.lang),
                                 "code": sms_code(ctx)})


@SMS_RENDERERS.register(*REGISTRATION_KINDS)
def registration_sms(news: od.RegistrationNews, ctx: Context) -> Sms:
    date = local_text(news.starts_at, ctx.services.opendays.policy.tz)
    return Sms("registration", {"title": short(news.title, SMS_TITLE_MAX), "date": date,
                                "news": t(ctx.lang, f"sms_{news.kind}"), "number": str(news.registration_id),
                                "code": sms_code(ctx)})


@SMS_RENDERERS.register(PhoneCode)
def phone_code_sms(message: PhoneCode, ctx: Context) -> Sms:
    if ctx.services.clock.now() >= message.expires_at:
        raise Permanent("the one-time code expired before it could be sent")
    code = ctx.services.contact_keys.unseal(message.sealed_code)
    if code is None:
        raise Permanent("the one-time code was sealed under another secret")
    return Sms("phone_code", {"code": code, "minutes": str(message.minutes)})
