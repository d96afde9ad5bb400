"""A fake Aliyun Dysmsapi gateway on loopback: it checks each SendSms request as Aliyun does (the
RPC signature v1.0 recomputed here from the documented rules, the common parameters, a nonce used
once, the sign name, a known template with exactly its parameters, each 1-35 characters and none
looking like a link (Aliyun's notice-template rules: a link must be fixed in the template's text),
a mainland mobile number),
records every call, and can be told to answer the next calls with an error code, an HTTP status,
or a delay longer than the client's timeout."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import itertools
import json
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

from aiohttp import web

ACCESS_KEY_ID, ACCESS_KEY_SECRET = "LTAI5tFakeKeyId0000", "fake-access-key-secret"
SIGN_NAME = "县住房和城乡建设局"
# template code -> its parameters (as approved with the provider)
TEMPLATES = {
    "SMS_100001": {"number", "status", "code"},
    "SMS_100002": {"number", "code"},
    "SMS_100003": {"title", "date", "news", "number", "code"},
    "SMS_100004": {"code", "minutes"},
    "SMS_200001": {"number", "status", "code"},  # report_update_en
}
SETTING = {"report_update": "SMS_100001", "report_reply": "SMS_100002", "registration": "SMS_100003",
           "phone_code": "SMS_100004", "report_update_en": "SMS_200001"}
PARAM_MAX = 35  # characters per parameter of a notice template (验证码 templates allow fewer; ours send 6)
URL_LIKE = re.compile(r"https?://|www\.", re.IGNORECASE)
COMMON = {"AccessKeyId", "Action", "Format", "SignatureMethod", "SignatureNonce", "SignatureVersion", "Timestamp",
          "Version", "Signature"}


@dataclass
class Answer:
    """What to answer a call with instead of taking it."""

    code: str = "OK"
    status: int = 200
    delay: float = 0.0
    retry_after: str | None = None


def param_refusal(values: dict[str, Any]) -> str | None:
    """Aliyun's error code for template parameters it refuses, or None when they pass: a value
    longer than 35 characters (`isv.PARAM_LENGTH_LIMIT`), a link or anything like one
    (`isv.PARAM_NOT_SUPPORT_URL`)."""
    texts = [str(v) for v in values.values()]
    if any(URL_LIKE.search(text) for text in texts):
        return "isv.PARAM_NOT_SUPPORT_URL"
    if any(len(text) > PARAM_MAX for text in texts):
        return "isv.PARAM_LENGTH_LIMIT"
    return None


def expected_signature(method: str, params: dict[str, str]) -> str:
    def enc(text: str) -> str:  # RFC 3986 unreserved characters only, as Aliyun documents
        return quote(text.encode("utf-8"), safe="~-._")

    pairs = sorted((k, v) for k, v in params.items() if k != "Signature")
    query = "&".join(enc(k) + "=" + enc(v) for k, v in pairs)
    to_sign = "&".join((method, enc("/"), enc(query)))
    mac = hmac.new((ACCESS_KEY_SECRET + "&").encode(), to_sign.encode("utf-8"), hashlib.sha1)
    return base64.b64encode(mac.digest()).decode()


@dataclass
class FakeSmsGateway:
    calls: list[dict[str, Any]] = field(default_factory=list)  # every request, taken or not
    delivered: list[dict[str, Any]] = field(default_factory=list)  # {phone, template, params}
    answers: list[Answer] = field(default_factory=list)
    unknown_numbers: set[str] = field(default_factory=set)  # numbers the carrier says do not exist

    def __post_init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._nonces: set[str] = set()
        self._biz = itertools.count(1)
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_route("*", "/", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
        self.url = f"http://127.0.0.1:{port}/"

    async def stop(self) -> None:
        if self._runner is not None:
            await self._runner.cleanup()

    def answer(self, *answers: Answer) -> None:
        self.answers.extend(answers)

    def to(self, phone: str) -> list[dict[str, Any]]:
        return [d for d in self.delivered if d["phone"] == phone]

    @staticmethod
    def reply(code: str, status: int = 200, **extra: str) -> web.Response:
        return web.json_response({"Code": code, "Message": code, "RequestId": "F655A8D5-B967-440B", **extra},
                                 status=status, headers={k: v for k, v in extra.items() if k == "Retry-After"})

    async def _handle(self, request: web.Request) -> web.Response:
        params = dict(request.query)
        if request.method == "POST":
            params.update({k: v for k, v in (await request.post()).items() if isinstance(v, str)})
        self.calls.append(params)
        if self.answers:
            answer = self.answers.pop(0)
            if answer.delay:
                await asyncio.sleep(answer.delay)
                if request.transport is None or request.transport.is_closing():
                    # the client gave up waiting: this gateway never got to the message (whether the test
                    # asserts on delivered must not depend on how soon after the timeout it looks)
                    return web.Response(status=504)
            if answer.code != "OK" or answer.status != 200:
                extra = {"Retry-After": answer.retry_after} if answer.retry_after else {}
                return self.reply(answer.code, answer.status, **extra)
        return self._check(request.method, params)

    def _check(self, method: str, p: dict[str, str]) -> web.Response:
        if not COMMON <= set(p):
            return self.reply("MissingParameter", 400)
        if p["AccessKeyId"] != ACCESS_KEY_ID:
            return self.reply("InvalidAccessKeyId.NotFound", 404)
        if (p["SignatureMethod"], p["SignatureVersion"], p["Format"]) != ("HMAC-SHA1", "1.0", "JSON"):
            return self.reply("InvalidParameter", 400)
        if not hmac.compare_digest(p["Signature"], expected_signature(method, p)):
            return self.reply("SignatureDoesNotMatch", 400)
        if not re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ", p["Timestamp"]):
            return self.reply("InvalidTimeStamp.Format", 400)
        if p["SignatureNonce"] in self._nonces:
            return self.reply("SignatureNonceUsed", 400)
        self._nonces.add(p["SignatureNonce"])
        if (p["Action"], p["Version"]) != ("SendSms", "2017-05-25"):
            return self.reply("InvalidAction.NotFound", 404)
        if p.get("SignName") != SIGN_NAME:
            return self.reply("isv.SMS_SIGNATURE_ILLEGAL")
        number = p.get("PhoneNumbers", "")
        if not re.fullmatch(r"1[3-9]\d{9}", number) or number in self.unknown_numbers:
            return self.reply("isv.MOBILE_NUMBER_ILLEGAL")
        wanted = TEMPLATES.get(p.get("TemplateCode", ""))
        if wanted is None:
            return self.reply("isv.SMS_TEMPLATE_ILLEGAL")
        try:
            values = json.loads(p.get("TemplateParam", "{}"))
        except ValueError:
            return self.reply("isv.INVALID_JSON_PARAM")
        if set(values) != wanted or not all(isinstance(v, str) and v for v in values.values()):
            return self.reply("isv.TEMPLATE_MISSING_PARAMETERS")
        refused = param_refusal(values)
        if refused:
            return self.reply(refused)
        biz = f"{next(self._biz):06d}^0"
        self.delivered.append({"phone": p["PhoneNumbers"], "template": p["TemplateCode"], "params": values})
        return self.reply("OK", BizId=biz)
