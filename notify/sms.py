"""The SMS channel's outbox sender: Aliyun Dysmsapi `SendSms` (RPC style, signature v1.0 in
`aliyun.py`), one number per request, through a template the provider approved (`render.py`
gives the template's name and its parameters; `CIVICDESK_SMS_TEMPLATES` maps names to codes).

What the gateway's answers mean here:
- `Code: OK`: delivered to the provider (its BizId is logged);
- throttling (`isv.BUSINESS_LIMIT_CONTROL`: a number's minute/hour/day cap, `Throttling.*`,
  HTTP 429), a 5xx, `isp.SYSTEM_ERROR`, a timeout or a refused connection: `RetryLater` through the
  outbox's back-off (a number's cap: after a minute at least); nothing is lost, nothing doubled;
- this message can never be sent (an invalid number, a template refused or missing parameters,
  a parameter too long or refused, a template name with no code configured): `Permanent`, logged;
- the account's own trouble (a wrong key or signature, no balance, a refused sign name): retried
  and logged as an error, like a failed SMTP login: a configuration error must not lose the
  messages waiting behind it (they fail after the outbox's max attempts).
"""

from __future__ import annotations

import json
import logging

import httpx

from civicdesk.container import Services
from core.delivery import Claimed, Permanent, RetryLater
from core.kit.channels import ChannelName
from core.outbox import OutboxPayload
from core.settings import Settings

from . import aliyun
from .base import rendered
from .render import SMS_RENDERERS, Sms

log = logging.getLogger(__name__)
CHANNEL = ChannelName.SMS.value
ACTION, VERSION = "SendSms", "2017-05-25"

THROTTLED = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "isv.DAY_LIMIT_CONTROL", "Throttling", "Throttling.User",
                       "Throttling.Api", "Throttling.Concurrent"})
TRANSIENT = frozenset({"isp.SYSTEM_ERROR", "ServiceUnavailable", "InternalError", "UnknownError",
                       "isp.GATEWAY_ERROR"})
ACCOUNT = frozenset({"SignatureDoesNotMatch", "InvalidAccessKeyId.NotFound", "InvalidAccessKeyId.Inactive",
                     "isv.AMOUNT_NOT_ENOUGH", "isv.SMS_SIGNATURE_ILLEGAL", "isv.SMS_SIGN_ILLEGAL",
                     "isv.ACCOUNT_ABNORMAL", "isv.ACCOUNT_NOT_EXISTS", "isv.OUT_OF_SERVICE", "isv.DENY_IP_RANGE",
                     "isv.RAM_PERMISSION_DENY", "Forbidden.RAM", "SignatureNonceUsed", "InvalidTimeStamp.Expired"})
PERMANENT = frozenset({"isv.MOBILE_NUMBER_ILLEGAL", "isv.MOBILE_COUNT_OVER_LIMIT", "isv.SMS_TEMPLATE_ILLEGAL",
                       "isv.TEMPLATE_MISSING_PARAMETERS", "isv.INVALID_PARAMETERS", "isv.INVALID_JSON_PARAM",
                       "isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL", "isv.BLACK_KEY_CONTROL_LIMIT",
                       "isv.SMS_CONTENT_ILLEGAL", "isv.EXTEND_CODE_ERROR", "isv.TEMPLATE_PARAMS_ILLEGAL",
                       "isv.SMS_TEMPLATE_NOT_EXIST", "isv.BLACK_LIST_ILLEGAL", "MissingPhoneNumbers",
                       "MissingTemplateCode", "MissingSignName"})
NUMBER_CAP_WAIT_S = 60.0  # Aliyun allows a number about one message a minute


def outcome(status: int, body: dict[str, object] | None, retry_after: float | None = None) -> None:
    """Returns when the gateway took the message; else raises what its answer means for the outbox."""
    code = str(body.get("Code", "")) if body else ""
    if code == "OK" and status < 300:
        return None
    if code in THROTTLED or status == 429:
        wait = retry_after or (NUMBER_CAP_WAIT_S if code == "isv.BUSINESS_LIMIT_CONTROL" else None)
        raise RetryLater(f"SMS gateway throttled ({status} {code or '-'})", retry_after=wait)
    if code in PERMANENT:
        raise Permanent(f"SMS gateway refused the message ({code})")
    if code in ACCOUNT:
        log.error("the SMS gateway refused the account's request (%s): check CIVICDESK_SMS_* settings", code)
        raise RetryLater(f"SMS account refused ({code})")
    if status >= 500 or code in TRANSIENT:
        raise RetryLater(f"SMS gateway unavailable ({status} {code or '-'})")
    if status == 400:
        raise Permanent(f"SMS gateway refused the request (400 {code or '-'})")
    raise RetryLater(f"SMS gateway answered {status} {code or '-'}")


def _retry_after(response: httpx.Response) -> float | None:
    value = response.headers.get("Retry-After", "")
    return float(value) if value.isdigit() else None


class SmsSender:
    channel = CHANNEL
    per_second: float | None = 10.0

    def __init__(self, services: Services, settings: Settings | None = None):
        self.services = services
        self.settings = settings or services.settings
        self.client = httpx.AsyncClient(timeout=self.settings.sms_timeout_s)

    def template_code(self, sms: Sms, lang: str) -> str:
        templates = self.settings.sms_templates
        code = (lang.startswith("en") and templates.get(f"{sms.template}_en")) or templates.get(sms.template)
        if not code:
            raise Permanent(f"no SMS template code configured for {sms.template!r} (CIVICDESK_SMS_TEMPLATES)")
        return code

    def request(self, number: str, template_code: str, params: dict[str, str]) -> dict[str, str]:
        s = self.settings
        return aliyun.signed(
            ACTION, VERSION, s.sms_access_key_id or "", s.sms_access_key_secret or "",
            {"PhoneNumbers": number, "SignName": s.sms_sign_name or "", "TemplateCode": template_code,
             "TemplateParam": json.dumps(params, ensure_ascii=False, separators=(",", ":"))},
            method="POST", now=self.services.clock.now(), region=s.sms_region)

    async def send(self, message: Claimed, payload: OutboxPayload) -> None:
        contact, ctx, sms = await rendered(self.services, message, payload, SMS_RENDERERS)
        form = self.request(contact.address, self.template_code(sms, ctx.lang), sms.params)
        try:
            response = await self.client.post(self.settings.sms_endpoint, data=form)
        except httpx.HTTPError as exc:
            # No number in the reason: the outbox's last_error is read by operators.
            raise RetryLater(f"SMS gateway unreachable: {type(exc).__name__}") from None
        try:
            body = response.json()
        except ValueError:
            body = None
        outcome(response.status_code, body if isinstance(body, dict) else None, _retry_after(response))
        log.info("SMS outbox message %s accepted (BizId %s)", message.id, body.get("BizId") if body else None)

    async def aclose(self) -> None:
        await self.client.aclose()


def sms_sender(services: Services) -> SmsSender | None:
    """The worker's SMS sender, or None when no gateway account is configured."""
    s = services.settings
    return SmsSender(services) if s.sms_access_key_id and s.sms_access_key_secret and s.sms_sign_name else None
