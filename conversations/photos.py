"""Photos arriving in a chat, whatever the channel: checked by the same
`complaints.photos.check_photo` the API uses as soon as they arrive (the person hears at once if one
is refused), kept in the conversation by reference (a dict naming the channel's file), and handed to
the submission from a small in-process cache, or fetched and checked again if the cache lost them.

A channel supplies only `fetch(ref) -> bytes` (Telegram: getFile and the file URL; WeChat: media/get).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from complaints.photos import PhotoLimits, PhotoRejected, ProcessedPhoto, check_photo
from complaints.schemas import PhotoUpload

CACHE_BYTES = 64 * 1024 * 1024
# A photo reference: at least `unique_id` (what makes two sends the same photo), `filename`, `size`.
PhotoRef = dict[str, Any]
Fetch = Callable[[PhotoRef], Awaitable[bytes]]


class PhotoUnavailable(Exception):
    """The channel did not hand the file over (network, expired id...): the person may send it again."""


def too_large(limits: PhotoLimits, filename: str | None, size: int) -> PhotoRejected:
    return PhotoRejected("photo_too_large", limits, filename, size_mb=round(size / (1024 * 1024), 1))


class PhotoIntake:
    def __init__(self, limits: PhotoLimits, cache_bytes: int = CACHE_BYTES):
        self.limits = limits
        self._cache: OrderedDict[str, ProcessedPhoto] = OrderedDict()
        self._cache_bytes = cache_bytes
        self._cached = 0

    async def check(self, fetch: Fetch, photo: PhotoRef) -> None:
        """Fetch and validate; raises PhotoRejected (with the reason) or PhotoUnavailable."""
        data = await self._fetch(fetch, photo)
        processed = await check_photo(data, self.limits, photo.get("filename"))
        self._remember(photo["unique_id"], processed)

    async def upload(self, fetch: Fetch, photo: PhotoRef) -> PhotoUpload | ProcessedPhoto:
        processed = self._cache.get(photo["unique_id"])
        if processed is not None:
            return processed
        return PhotoUpload(data=await self._fetch(fetch, photo), filename=photo.get("filename"))

    def forget(self, photos: Sequence[PhotoRef]) -> None:
        for photo in photos:
            processed = self._cache.pop(photo["unique_id"], None)
            if processed is not None:
                self._cached -= _size(processed)

    async def _fetch(self, fetch: Fetch, photo: PhotoRef) -> bytes:
        # Refuse what is declared too large before downloading a byte of it.
        size = photo.get("size")
        if size is not None and size > self.limits.max_bytes:
            raise too_large(self.limits, photo.get("filename"), size)
        data = await fetch(photo)
        if len(data) > self.limits.max_bytes:
            raise too_large(self.limits, photo.get("filename"), len(data))
        return data

    def _remember(self, key: str, processed: ProcessedPhoto) -> None:
        size = _size(processed)
        if size > self._cache_bytes:
            return
        old = self._cache.pop(key, None)
        if old is not None:
            self._cached -= _size(old)
        self._cache[key] = processed
        self._cached += size
        while self._cached > self._cache_bytes:
            _, dropped = self._cache.popitem(last=False)
            self._cached -= _size(dropped)


def _size(photo: ProcessedPhoto) -> int:
    return len(photo.original) + len(photo.public)


class BoundPhotos:
    """The intake bound to one channel's fetch: what `conversations.report.PhotoSource` asks for."""

    def __init__(self, intake: PhotoIntake, fetch: Fetch):
        self.intake = intake
        self.fetch = fetch

    async def check(self, photo: PhotoRef) -> None:
        await self.intake.check(self.fetch, photo)

    async def upload(self, photo: PhotoRef) -> PhotoUpload | ProcessedPhoto:
        return await self.intake.upload(self.fetch, photo)

    def forget(self, photos: Sequence[PhotoRef]) -> None:
        self.intake.forget(photos)
