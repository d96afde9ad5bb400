"""One-time code tests send their SMS through the fake Aliyun gateway on loopback (tests/notify)."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from core.settings import Settings
from tests.notify.sms_gateway import ACCESS_KEY_ID, ACCESS_KEY_SECRET, SETTING, SIGN_NAME, FakeSmsGateway

from .codes import GATEWAYS


@pytest.fixture
async def sms_gateway() -> AsyncIterator[FakeSmsGateway]:
    gateway = FakeSmsGateway()
    await gateway.start()
    GATEWAYS[gateway.url] = gateway
    yield gateway
    GATEWAYS.pop(gateway.url, None)
    await gateway.stop()


@pytest.fixture
def settings(settings: Settings, sms_gateway: FakeSmsGateway) -> Settings:
    return settings.model_copy(update={"sms_endpoint": sms_gateway.url, "sms_access_key_id": ACCESS_KEY_ID,
                                       "sms_access_key_secret": ACCESS_KEY_SECRET, "sms_sign_name": SIGN_NAME,
                                       "sms_templates": dict(SETTING), "sms_timeout_s": 5.0})
