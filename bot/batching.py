"""Coalescing many concurrent one-key database calls into one call for all of them.

A busy webhook handles dozens of updates at once, each wanting one row (a seen update id, a
person's language, a conversation). While one batch is in flight, the keys asked for meanwhile
gather and go together in the next: one query or insert per batch instead of one per update.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Hashable
from typing import Generic, TypeVar

K = TypeVar("K", bound=Hashable)
V = TypeVar("V")

_NO_REPEAT = object()


class Coalescer(Generic[K, V]):
    def __init__(
        self,
        fetch: Callable[[list[K]], Awaitable[dict[K, V]]],
        *,
        max_batch: int = 500,
        repeat: object = _NO_REPEAT,
    ):
        """`fetch(keys)` returns a value for every key. With `repeat`, only the first caller of a key
        in a batch gets the fetched value and the others get `repeat` (for "first time?" checks)."""
        self.fetch = fetch
        self.max_batch = max_batch
        self.repeat = repeat
        self._pending: list[tuple[K, asyncio.Future[V]]] = []
        self._runner: asyncio.Task[None] | None = None

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._pending.append((key, future))
        if self._runner is None or self._runner.done():
            self._runner = asyncio.create_task(self._run())
        return await future

    async def _run(self) -> None:
        while self._pending:
            batch, self._pending = self._pending[: self.max_batch], self._pending[self.max_batch :]
            try:
                values = await self.fetch(list(dict.fromkeys(key for key, _ in batch)))
            except Exception as exc:  # noqa: BLE001 - every caller hears of it
                for _, future in batch:
                    if not future.done():
                        future.set_exception(exc)
                continue
            served: set[K] = set()
            for key, future in batch:
                if future.done():
                    continue
                if self.repeat is not _NO_REPEAT and key in served:
                    future.set_result(self.repeat)  # type: ignore[arg-type]
                else:
                    future.set_result(values[key])
                    served.add(key)

    async def close(self) -> None:
        if self._runner is not None:
            await asyncio.gather(self._runner, return_exceptions=True)
