"""The process's heap: give freed memory back to the system (glibc on Linux; elsewhere nothing to do).

A long-running server that builds large structures once (a model's weights, a search index) keeps the
memory freed while building them unless the C library returns it: by default glibc's mmap threshold
grows to the largest buffer freed so far, after which such buffers come from the heap and stay there.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import sys
from functools import cache

M_TRIM_THRESHOLD = -1
M_MMAP_THRESHOLD = -3
MAPPED_FROM = 128 * 1024  # map_large_buffers' threshold: buffers this large or larger are mapped
KEPT_ON_TOP = 16 * 2**20  # free memory at the top of a heap that stays for the next allocations


@cache
def _libc():  # type: ignore[no-untyped-def]
    if not sys.platform.startswith("linux"):
        return None
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.mallopt  # noqa: B018 - musl and others have no mallopt/malloc_trim
        libc.malloc_trim  # noqa: B018
    except (OSError, AttributeError):
        return None
    return libc


def map_large_buffers(threshold: int = MAPPED_FROM) -> bool:
    """Buffers of `threshold` bytes and more are mapped and unmapped when freed (a fixed threshold also ends
    glibc's dynamic adjustment). Process-wide; True when it took effect.

    The price: every page of a mapped buffer faults when first touched, each time one is allocated. Code
    that allocates large buffers over and over (photo decoding) keeps its pieces below MAPPED_FROM, and
    up to KEPT_ON_TOP of freed heap stays for it: glibc's default with a fixed threshold gives back all
    but 128 kB at once, so each photo's pixels faulted in again. Neither moved the knowledge index's
    memory (an ingest of four laws: peak 379 MB against 380; serving after the asks: 298 MB)."""
    libc = _libc()
    return bool(libc is not None and libc.mallopt(M_MMAP_THRESHOLD, threshold)
                and libc.mallopt(M_TRIM_THRESHOLD, KEPT_ON_TOP))


def trim_heap() -> None:
    """Return the free pages of the heap to the system (after a large structure is built)."""
    libc = _libc()
    if libc is not None:
        libc.malloc_trim(0)
