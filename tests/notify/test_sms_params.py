"""Every SMS the channel can send passes Aliyun's parameter rules (as the fake gateway enforces
them: 1-35 characters each, nothing like a link), in both languages and with the longest values
the domains make; and the gateway's refusal of a parameter is one the adapter gives up on."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from types import SimpleNamespace
from typing import Any, cast
from zoneinfo import ZoneInfo

import pytest

from accounts.messages import PhoneCode
from civicdesk.container import Services
from complaints.messages import ReportUpdate
from complaints.workflow import Status
from core.contacts import ContactKeys
from core.delivery import Permanent
from core.ids import new_token
from core import outbox
from core.outbox import OutboxPayload
from notify.render import REGISTRATION_KINDS, SMS_RENDERERS, SMS_TEMPLATES, Context, Sms
from notify.sms import outcome

from .sms_gateway import TEMPLATES, param_refusal

NOW = datetime(2026, 12, 2, 4, 0, tzinfo=UTC)
KEYS = ContactKeys("a-test-secret")
SERVICES = cast(Services, SimpleNamespace(
    opendays=SimpleNamespace(policy=SimpleNamespace(tz=ZoneInfo("Asia/Shanghai"))),
    clock=SimpleNamespace(now=lambda: NOW), contact_keys=KEYS,
    settings=SimpleNamespace(public_base_url="https://zjj.example.gov.cn", bureau_name="县住房和城乡建设局")))
EVENT = {"event_id": 7, "title": "城关镇保障性住房项目工地开放日暨安全文明施工观摩活动", "site_name": "保障房二期",
         "address": "城关镇人民路 18 号", "starts_at": NOW + timedelta(days=3), "ends_at": NOW + timedelta(days=3, hours=2),
         "seats_left": 0, "url": "https://zjj.example.gov.cn/open-days/7", "registration_id": 123456789,
         "name": "李四", "party_size": 1, "check_in_code": "K7M2QX", "status": "confirmed"}


def payloads() -> list[OutboxPayload]:
    updates: list[OutboxPayload] = [
        ReportUpdate(event=event, tracking_number="2026-000123", primary_tracking_number="2026-000123",
                     status=status.value, message="已安排执法人员现场核查，详见 https://example.com " * 5)
        for event in ("status", "reply", "extension", "merge", "reopen_declined") for status in Status]
    registrations: list[OutboxPayload] = [kind(**EVENT) for kind in REGISTRATION_KINDS]
    code = PhoneCode(sealed_code=KEYS.seal("204816"), minutes=10, expires_at=NOW + timedelta(minutes=10))
    return updates + registrations + [code]


def render(payload: OutboxPayload, lang: str, token: str | None) -> Sms:
    renderer = SMS_RENDERERS.get(payload.kind)
    assert renderer is not None, payload.kind
    ctx = Context(lang=lang, link="https://zjj.example.gov.cn/status/2026-000123?token=x", services=SERVICES,
                  unsubscribe="https://zjj.example.gov.cn/u/1.abc", token=token)
    return cast(Any, renderer)(payload, ctx)


@pytest.mark.parametrize("lang", ["zh", "en"])
@pytest.mark.parametrize("token", [new_token(), None], ids=["token", "lost-token"])
def test_every_sms_kind_renders_parameters_the_gateway_takes(lang: str, token: str | None) -> None:
    kinds = set()
    for payload in payloads():
        sms = render(payload, lang, token)
        kinds.add(payload.kind)
        assert tuple(sms.params) == SMS_TEMPLATES[sms.template]
        assert set(sms.params) in TEMPLATES.values()
        assert all(sms.params.values()), sms
        assert param_refusal(sms.params) is None, sms
    assert kinds == {kind for kind in outbox.kinds() if SMS_RENDERERS.get(kind)}  # every kind an SMS may carry


def test_the_code_is_the_token_the_status_form_takes() -> None:
    token = new_token()
    assert len(token) <= 35
    update = ReportUpdate(event="status", tracking_number="2026-000123", primary_tracking_number="2026-000123",
                          status="accepted")
    assert render(update, "zh", token).params == {"number": "2026-000123", "status": "已受理", "code": token}
    news = REGISTRATION_KINDS[0](**EVENT)
    assert render(news, "zh", token).params["number"] == "123456789"
    assert render(news, "zh", token).params["date"] == "2026-12-05 12:00"  # the bureau's local time


def test_the_gateway_refuses_links_and_long_parameters_for_good() -> None:
    assert param_refusal({"number": "2026-000123", "code": "x" * 35}) is None
    assert param_refusal({"code": "x" * 36}) == "isv.PARAM_LENGTH_LIMIT"
    for link in ("https://zjj.example.gov.cn/status", "http://a.cn", "见 www.example.com", "HTTPS://X.CN"):
        assert param_refusal({"number": "1", "link": link}) == "isv.PARAM_NOT_SUPPORT_URL"
    for code in ("isv.PARAM_LENGTH_LIMIT", "isv.PARAM_NOT_SUPPORT_URL"):
        with pytest.raises(Permanent, match=code):
            outcome(200, {"Code": code})
