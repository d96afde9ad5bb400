"""Photos from Telegram: downloaded through the Bot API (getFile, then the file URL) into the
channel-neutral `conversations.photos.PhotoIntake`, which checks them with the same
`complaints.photos.check_photo` the API uses, so a refusal reads the same everywhere. The file id is
what the conversation keeps; albums (one message per photo) are gathered here.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass
from typing import Any

from aiogram import Bot
from aiogram.exceptions import TelegramBadRequest
from aiogram.types import Message

from complaints.photos import PhotoLimits, PhotoRejected
from conversations.photos import BoundPhotos, Fetch, PhotoIntake, PhotoRef, PhotoUnavailable, too_large

log = logging.getLogger(__name__)

# The cloud Bot API serves files up to 20 MB to bots.
BOT_API_DOWNLOAD_LIMIT = 20 * 1024 * 1024


@dataclass(frozen=True)
class IncomingPhoto:
    file_id: str
    unique_id: str
    filename: str | None
    size: int | None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> IncomingPhoto:
        return cls(data["file_id"], data["unique_id"], data.get("filename"), data.get("size"))

    @classmethod
    def of(cls, message: Message) -> IncomingPhoto | None:
        """The photo a message carries: the largest size of a photo, or any document (the bytes
        decide whether it is an image, not its name or declared type)."""
        if message.photo:
            best = max(message.photo, key=lambda p: (p.width * p.height, p.file_size or 0))
            return cls(best.file_id, best.file_unique_id, None, best.file_size)
        if message.document:
            doc = message.document
            return cls(doc.file_id, doc.file_unique_id, doc.file_name, doc.file_size)
        return None


class DownloadFailed(PhotoUnavailable):
    """Telegram did not hand the file over (network, expired id...): the person may send it again."""


def telegram_fetch(bot: Bot, limits: PhotoLimits) -> Fetch:
    """Downloads a photo reference (`IncomingPhoto.as_dict()`) through the Bot API."""

    async def fetch(photo: PhotoRef) -> bytes:
        filename = photo.get("filename")
        try:
            file = await bot.get_file(photo["file_id"])
            if file.file_size is not None and file.file_size > limits.max_bytes:
                raise too_large(limits, filename, file.file_size)
            if not file.file_path:
                raise DownloadFailed("Telegram gave no file path")
            buffer = io.BytesIO()
            await bot.download_file(file.file_path, buffer, timeout=60)
        except TelegramBadRequest as exc:
            if "too big" in exc.message.lower():
                raise too_large(limits, filename, photo.get("size") or BOT_API_DOWNLOAD_LIMIT + 1) from exc
            raise DownloadFailed(str(exc)) from exc
        except PhotoRejected:
            raise
        except Exception as exc:  # noqa: BLE001 - network and server errors: ask to send again
            log.warning("photo download failed: %s", exc)
            raise DownloadFailed(str(exc)) from exc
        return buffer.getvalue()

    return fetch


def photo_source(intake: PhotoIntake, bot: Bot) -> BoundPhotos:
    """The conversations' photo source for one Telegram bot."""
    return BoundPhotos(intake, telegram_fetch(bot, intake.limits))


class AlbumCollector:
    """Telegram delivers an album as one message per photo, sharing a `media_group_id`. The parts
    are gathered here and handed over together once none has arrived for `delay` seconds."""

    def __init__(self, delay: float = 0.8):
        self.delay = delay
        self._groups: dict[tuple[int, str], list[Message]] = {}
        self._timers: dict[tuple[int, str], asyncio.Task[None]] = {}
        self._running: dict[int, set[asyncio.Task[None]]] = {}

    def add(
        self, user_id: int, message: Message, complete: Callable[[list[Message]], Awaitable[None]]
    ) -> None:
        key = (user_id, message.media_group_id or "")
        self._groups.setdefault(key, []).append(message)
        timer = self._timers.get(key)
        if timer is not None:
            timer.cancel()
        task = asyncio.create_task(self._fire(key, complete))
        self._timers[key] = task
        self._running.setdefault(user_id, set()).add(task)
        task.add_done_callback(lambda t: self._running.get(user_id, set()).discard(t))

    async def _fire(self, key: tuple[int, str], complete: Callable[[list[Message]], Awaitable[None]]) -> None:
        await asyncio.sleep(self.delay)
        # From here on the group is closed: a late part starts a group of its own.
        self._timers.pop(key, None)
        messages = self._groups.pop(key, [])
        messages.sort(key=lambda m: m.message_id)
        try:
            await complete(messages)
        except Exception:
            log.exception("handling an album failed")

    async def wait(self, user_id: int) -> None:
        """Until every album this person sent has been handled (before moving past the photo step)."""
        while tasks := {t for t in self._running.get(user_id, set()) if not t.done()}:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def wait_all(self) -> None:
        while tasks := {t for ts in self._running.values() for t in ts if not t.done()}:
            await asyncio.gather(*tasks, return_exceptions=True)

    async def close(self) -> None:
        for task in list(self._timers.values()):
            task.cancel()
        await self.wait_all()
