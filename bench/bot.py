"""The Telegram bot behind `civicdesk serve` in webhook mode, over loopback, with a fake Bot API
server (tests/bot/fakes.py) standing in for Telegram. Two numbers:

- webhook updates/s for plain menu messages: POST an update, the bot answers through the fake
  Bot API; an update counts when its answer has arrived (target >= 300/s on 2 cores);
- complete report flows/s with one photo: menu, category button, address, description, a 1 MB
  photo (downloaded with getFile + the file URL and checked), done, skip contact, submit; each
  person waits for the bot's answer before the next step, as people do.
"""

from __future__ import annotations

import asyncio
import os
import random
from collections import defaultdict
from collections.abc import Callable

import aiohttp

from tests.bot.fakes import TOKEN, Call, FakeBotAPI, Person
from tests.imaging import jpeg_of_size

from .harness import Result, database, load, postgres_admin_url, server, table

UPDATES = int(os.environ.get("BENCH_BOT_UPDATES", "3000"))
FLOWS = int(os.environ.get("BENCH_BOT_FLOWS", "100"))
CONCURRENCY = int(os.environ.get("BENCH_BOT_CONCURRENCY", "32"))
FLOW_CONCURRENCY = int(os.environ.get("BENCH_BOT_FLOW_CONCURRENCY", "16"))
HEADER_SECRET = "bench-webhook-secret"
WEBHOOK_URL = "http://127.0.0.1/telegram/webhook"
DEFAULT_REDIS = "redis://127.0.0.1:6379/15"


class Replies:
    """Waits for the bot's next message to a chat, as recorded by the fake Bot API."""

    def __init__(self, api: FakeBotAPI):
        self.waiters: dict[int, list[tuple[Callable[[Call], bool], asyncio.Future[Call]]]] = defaultdict(list)
        api.on_call = self._seen

    def _seen(self, call: Call) -> None:
        if call.chat_id is None or call.method not in ("sendMessage", "editMessageText"):
            return
        for entry in list(self.waiters.get(call.chat_id, [])):
            match, future = entry
            if not future.done() and match(call):
                future.set_result(call)
                self.waiters[call.chat_id].remove(entry)

    def expect(self, chat_id: int, needle: str) -> asyncio.Future[Call]:
        future: asyncio.Future[Call] = asyncio.get_running_loop().create_future()
        self.waiters[chat_id].append((lambda c: needle in c.text, future))
        return future


async def run(base: str, api: FakeBotAPI, route: str, photo: bytes) -> list[Result]:
    replies = Replies(api)
    headers = {"X-Telegram-Bot-Api-Secret-Token": HEADER_SECRET}
    connector = aiohttp.TCPConnector(limit=CONCURRENCY * 2)
    async with aiohttp.ClientSession(base, connector=connector) as http:

        async def deliver(update: dict, chat_id: int, needle: str) -> Call | None:
            reply = replies.expect(chat_id, needle)
            async with http.post(route, json=update, headers=headers) as response:
                if response.status != 200:
                    reply.cancel()
                    return None
            return await asyncio.wait_for(reply, 30)

        base_id = random.randrange(10**9, 2 * 10**9)  # fresh people each run (state and limits in Redis)
        people = [Person(api, user_id=base_id + i, first_name=f"用户{i}") for i in range(1000)]

        async def menu(i: int) -> bool:
            person = people[i % len(people)]
            return await deliver(person.text("政策咨询"), person.id, "请直接输入您的问题") is not None

        for i in range(20):  # warm-up: connections, imports, first queries
            await menu(i)
        menus = await load("webhook: menu message", UPDATES, CONCURRENCY, menu)

        async def flow(i: int) -> bool:
            person = Person(api, user_id=base_id + 10_000 + i, first_name=f"举报人{i}")
            pid = person.id
            categories = await deliver(person.text("我要举报"), pid, "请选择要反映的问题类别")
            if categories is None:
                return False
            data = next(b["callback_data"] for b in categories.buttons() if b["text"] == "施工扬尘")
            steps = [
                (person.press(data, categories.message_id or 0), "问题发生在哪里"),
                (person.text(f"城关镇人民路 {i} 号工地"), "请描述"),
                (person.text("工地裸土没有覆盖，刮风时扬尘很大"), "请发送现场照片"),
                (person.photo(photo), "已收到 1 张照片"),
                (person.text("✅ 完成"), "需要工作人员联系您"),
                (person.text("跳过"), "问题类别："),
            ]
            summary = None
            for update, needle in steps:
                summary = await deliver(update, pid, needle)
                if summary is None:
                    return False
            assert summary is not None
            submit = next(b["callback_data"] for b in summary.buttons() if "提交" in b["text"])
            return await deliver(person.press(submit, summary.message_id or 0), pid, "举报已提交") is not None

        await flow(-1)  # warm-up
        flows = await load("webhook: report flow, 1 photo", FLOWS, FLOW_CONCURRENCY, flow)
        return [menus, flows]


def _redis_url() -> str | None:
    """The Redis to benchmark with, if one answers (CI's by default)."""
    url = (
        os.environ.get("CIVICDESK_BENCH_REDIS_URL")
        or os.environ.get("CIVICDESK_TEST_REDIS_URL")
        or DEFAULT_REDIS
    )
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        return url
    except Exception:  # noqa: BLE001 - no Redis: that row is left out
        return None


async def _with_fake_api(backend: str, url: str, redis_url: str | None, photo: bytes) -> list[Result]:
    api = FakeBotAPI()
    await api.start()
    env = {
        "CIVICDESK_TELEGRAM_TOKEN": TOKEN,
        "CIVICDESK_TELEGRAM_API_URL": api.url,
        "CIVICDESK_TELEGRAM_WEBHOOK_URL": WEBHOOK_URL,
        "CIVICDESK_TELEGRAM_WEBHOOK_SECRET": HEADER_SECRET,
    }
    if redis_url:
        env["CIVICDESK_REDIS_URL"] = redis_url
    try:
        from bot.webhook import WebhookConfig
        from core.settings import Settings

        route = WebhookConfig.from_settings(
            Settings(  # type: ignore[call-arg]
                _env_file=None, telegram_webhook_url=WEBHOOK_URL, telegram_webhook_secret=HEADER_SECRET
            )
        ).route
        # The server process starts in a thread, so this loop keeps serving the fake Bot API meanwhile.
        started = asyncio.Event()
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        base_holder: list[str] = []

        def serve() -> None:
            with server(url, env) as base:
                base_holder.append(base)
                loop.call_soon_threadsafe(started.set)
                asyncio.run_coroutine_threadsafe(stop.wait(), loop).result()

        thread = asyncio.create_task(asyncio.to_thread(serve))
        await started.wait()
        try:
            return await run(base_holder[0], api, route, photo)
        finally:
            stop.set()
            await thread
    finally:
        await api.stop()


def main() -> None:
    photo = jpeg_of_size(1_000_000)
    configs = [("sqlite", None)]
    if postgres_admin_url():
        configs.append(("postgres", None))
    redis_url = _redis_url()
    if redis_url:
        configs.append(("postgres" if postgres_admin_url() else "sqlite", redis_url))
    rows = []
    load_before = os.getloadavg()[0]
    for backend, redis_url in configs:
        with database(backend) as url:
            results = asyncio.run(_with_fake_api(backend, url, redis_url, photo))
            for result in results:
                unit = "flows/s" if "flow" in result.name else "updates/s"
                rows.append(
                    [
                        backend + (" + redis" if redis_url else ""),
                        result.name,
                        result.count,
                        f"{result.rate:,.1f} {unit}",
                        result.quantile(0.5),
                        result.quantile(0.99),
                        result.errors,
                    ]
                )
    print(
        "one `civicdesk serve` process in webhook mode; fake Bot API on loopback; "
        f"menu concurrency {CONCURRENCY}, "
        f"flow concurrency {FLOW_CONCURRENCY}; photo {len(photo) / 1e6:.2f} MB JPEG; "
        f"load average {load_before:.1f} before, {os.getloadavg()[0]:.1f} after (target >= 300 menu updates/s)\n"
    )
    print(table(["storage", "operation", "count", "rate", "p50 ms", "p99 ms", "errors"], rows))


if __name__ == "__main__":
    main()
