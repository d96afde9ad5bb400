"""E-mail and SMS tests: the real SMTP server (aiosmtpd) and the fake SMS gateway on loopback,
and settings pointing the channels at them."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from core.settings import Settings

from .smtp import SmtpServer


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def settings(settings: Settings, smtp_server: SmtpServer) -> Settings:
    return settings.model_copy(update={"smtp_host": "127.0.0.1", "smtp_port": smtp_server.port,
                                       "smtp_security": "none", "smtp_from": "noreply@zjj.example.gov.cn",
                                       "smtp_timeout_s": 5.0})
