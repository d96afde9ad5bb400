"""Fixed-window rate limits: in memory for one process, Redis when several share the count."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Protocol


class RateLimiter(Protocol):
    async def hit(self, key: str, limit: int, window_s: int) -> bool:
        """Count one event for `key`; False when it is over `limit` in the current window."""
        ...

    async def reset(self, key: str) -> None: ...

    async def retry_after(self, key: str, window_s: int) -> int:
        """Seconds until `key`'s current window ends (at least 1)."""
        ...


class MemoryRateLimiter:
    def __init__(self, now: Callable[[], float] = time.monotonic):
        self._now = now
        self._windows: dict[str, tuple[float, int]] = {}

    async def hit(self, key: str, limit: int, window_s: int) -> bool:
        now = self._now()
        started, count = self._windows.get(key, (now, 0))
        if now - started >= window_s:
            started, count = now, 0
        count += 1
        self._windows[key] = (started, count)
        if len(self._windows) > 100_000:  # keep memory bounded under a flood of distinct keys
            self._evict(now, window_s)
        return count <= limit

    async def reset(self, key: str) -> None:
        self._windows.pop(key, None)

    async def retry_after(self, key: str, window_s: int) -> int:
        started, _ = self._windows.get(key, (self._now(), 0))
        return max(1, int(started + window_s - self._now() + 0.999))

    def _evict(self, now: float, window_s: int) -> None:
        for key in [k for k, (started, _) in self._windows.items() if now - started >= window_s]:
            del self._windows[key]


class RedisRateLimiter:
    def __init__(self, redis: object, prefix: str = "civicdesk:rl:"):
        self._redis = redis
        self._prefix = prefix

    async def hit(self, key: str, limit: int, window_s: int) -> bool:
        name = self._prefix + key
        pipe = self._redis.pipeline()  # type: ignore[attr-defined]
        pipe.incr(name)
        pipe.expire(name, window_s, nx=True)
        count, _ = await pipe.execute()
        return int(count) <= limit

    async def reset(self, key: str) -> None:
        await self._redis.delete(self._prefix + key)  # type: ignore[attr-defined]

    async def retry_after(self, key: str, window_s: int) -> int:
        ttl = await self._redis.ttl(self._prefix + key)  # type: ignore[attr-defined]
        return max(1, int(ttl)) if ttl and ttl > 0 else window_s
