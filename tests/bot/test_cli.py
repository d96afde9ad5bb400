"""`civicdesk bot` as an operator runs it: a process polling the (fake) Bot API."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from .fakes import TOKEN, FakeBotAPI, Person

CIVICDESK = Path(sys.executable).parent / "civicdesk"


async def test_civicdesk_bot_polls_answers_and_stops_cleanly(fake_api: FakeBotAPI, tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env.update(
        CIVICDESK_DATA_DIR=str(tmp_path / "var"),
        CIVICDESK_TELEGRAM_TOKEN=TOKEN,
        CIVICDESK_TELEGRAM_API_URL=fake_api.url,
        CIVICDESK_LOG_LEVEL="WARNING",
    )
    process = await asyncio.create_subprocess_exec(
        str(CIVICDESK),
        "bot",
        env=env,
        cwd=tmp_path,  # no .env of the developer's
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        # It starts by leaving webhook mode and publishing its commands in Chinese and English.
        await fake_api.wait_for(lambda c: c.method == "getUpdates", timeout=60)
        assert fake_api.calls_of("deleteWebhook")
        assert set(fake_api.commands) == {"", "en"}
        person = Person(fake_api)
        start = len(fake_api.calls)
        await fake_api.push_update(person.text("/start"))
        reply = await fake_api.wait_for(lambda c: c.method == "sendMessage", start=start, timeout=30)
        assert reply.chat_id == person.id and "民生服务台" in reply.text
    finally:
        process.send_signal(signal.SIGINT)
        _, stderr = await asyncio.wait_for(process.communicate(), 30)
    assert process.returncode == 0, stderr.decode()[-2000:]
    assert (tmp_path / "var" / "civicdesk.db").exists()  # migrated on start


async def test_civicdesk_bot_without_a_token_says_what_to_do(tmp_path: Path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("CIVICDESK_")}
    env["CIVICDESK_DATA_DIR"] = str(tmp_path)
    process = await asyncio.create_subprocess_exec(
        str(CIVICDESK),
        "bot",
        env=env,
        cwd=tmp_path,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), 60)
    assert process.returncode == 1
    assert "CIVICDESK_TELEGRAM_TOKEN is not set" in stderr.decode()
