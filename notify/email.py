"""The e-mail channel's outbox sender: one message per SMTP session (aiosmtplib), plain text in
the reader's language, with the status link and an unsubscribe link (also as `List-Unsubscribe`
with RFC 8058 one-click, so mail clients show their own button).

What the server's answers mean here: a 4xx reply, a refused connection, a timeout or a dropped
session is `RetryLater` (the loop backs off; nothing is lost); a 5xx refusal of the recipient or
the message is `Permanent`; a failed login is retried (a configuration error must not lose the
messages waiting behind it)."""

from __future__ import annotations

import logging
from email.message import EmailMessage
from email.utils import formataddr, formatdate

import aiosmtplib

from civicdesk.container import Services
from core.delivery import Claimed, Permanent, RetryLater
from core.kit.channels import ChannelName
from core.outbox import OutboxPayload
from core.settings import Settings

from .base import rendered
from .render import EMAIL_RENDERERS

log = logging.getLogger(__name__)
CHANNEL = ChannelName.EMAIL.value


class EmailSender:
    channel = CHANNEL
    per_second: float | None = 5.0  # a polite pace for a county mail relay

    def __init__(self, services: Services, settings: Settings | None = None):
        self.services = services
        self.settings = settings or services.settings

    def build(self, message: Claimed, payload: OutboxPayload, address: str, mail_subject: str, body: str,
              unsubscribe: str) -> EmailMessage:
        settings = self.settings
        mail = EmailMessage()
        mail["From"] = formataddr((settings.bureau_name, settings.smtp_from))
        mail["To"] = address
        mail["Subject"] = mail_subject
        mail["Date"] = formatdate(localtime=False)
        # One id per outbox row: a message retried after an unclear failure is recognisably the same.
        mail["Message-ID"] = f"<outbox-{message.id}@{settings.smtp_from.rpartition('@')[2] or 'civicdesk'}>"
        mail["List-Unsubscribe"] = f"<{unsubscribe}>"
        mail["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
        mail["Auto-Submitted"] = "auto-generated"
        mail.set_content(body)
        return mail

    async def send(self, message: Claimed, payload: OutboxPayload) -> None:
        contact, ctx, mail = await rendered(self.services, message, payload, EMAIL_RENDERERS)
        email = self.build(message, payload, contact.address, mail.subject, mail.body, ctx.unsubscribe)
        settings = self.settings
        try:
            await aiosmtplib.send(
                email, hostname=settings.smtp_host, port=settings.smtp_port,
                username=settings.smtp_user or None, password=settings.smtp_password or None,
                use_tls=settings.smtp_security == "tls", start_tls=settings.smtp_security == "starttls",
                timeout=settings.smtp_timeout_s,
            )
        except aiosmtplib.SMTPRecipientsRefused as exc:
            codes = [r.code for r in exc.recipients]
            if codes and all(code >= 500 for code in codes):
                raise Permanent(f"recipient refused ({codes})") from None
            raise RetryLater(f"recipient deferred ({codes})") from None
        except aiosmtplib.SMTPAuthenticationError as exc:
            raise RetryLater(f"SMTP login failed ({exc.code})") from None
        except aiosmtplib.SMTPResponseException as exc:
            if exc.code >= 500:
                raise Permanent(f"SMTP server refused the message ({exc.code})") from None
            raise RetryLater(f"SMTP server deferred the message ({exc.code})") from None
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as exc:
            # No address in the reason: the outbox's last_error is read by operators.
            raise RetryLater(f"SMTP unavailable: {type(exc).__name__}") from None

    async def aclose(self) -> None:
        return None


def email_sender(services: Services) -> EmailSender | None:
    """The worker's e-mail sender, or None when no SMTP server is configured."""
    if not services.settings.smtp_host:
        return None
    return EmailSender(services)
