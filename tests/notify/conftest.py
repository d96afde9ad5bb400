"""E-mail and SMS tests: the real SMTP server (aiosmtpd) and the fake SMS gateway on loopback,
and settings pointing the channels at them."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator

import pytest

from core.settings import Settings

from .sms_gateway import ACCESS_KEY_ID, ACCESS_KEY_SECRET, SETTING, SIGN_NAME, FakeSmsGateway
from .smtp import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
async def sms_gateway() -> AsyncIterator[FakeSmsGateway]:
    gateway = FakeSmsGateway()
    await gateway.start()
    yield gateway
    await gateway.stop()


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer, sms_gateway: FakeSmsGateway) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port,
                                       "smtp_security": "none", "smtp_from": "noreply@zjj.example.gov.cn",
                                       "smtp_timeout_s": 5.0,
                                       "sms_endpoint": sms_gateway.url, "sms_access_key_id": ACCESS_KEY_ID,
                                       "sms_access_key_secret": ACCESS_KEY_SECRET, "sms_sign_name": SIGN_NAME,
                                       "sms_templates": dict(SETTING), "sms_timeout_s": 1.0})
