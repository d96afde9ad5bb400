"""Photo intake and the heap: decoding photo after photo does not page-fault its pixels anew each
time, even where the heap maps large buffers (core.kit.memory, as in a server with the knowledge
index), and what the heap keeps for the next photo goes back once none come. Page faults and RSS
are counted, not timed: the counts do not depend on how busy the machine is."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from complaints.photos.idle import IdleTrim

ROOT = Path(__file__).resolve().parents[2]
# in a child process: the heap's state must be the child's own; it prints integers
PRELUDE = """
import asyncio, resource, sys
import complaints.photos as photos
from complaints.photos import PhotoLimits, check_photo
from core.kit.memory import map_large_buffers
from tests.imaging import jpeg_of_size

mapped = map_large_buffers()  # as a server with the knowledge index
photo = jpeg_of_size(1_000_000)  # 1,415 x 1,061: about 6 MB of pixels in Pillow
limits = PhotoLimits(max_bytes=10 * 2**20, max_pixels=40_000_000, public_max_side=2048)
"""
CHILD = PRELUDE + """
async def main():
    await asyncio.gather(check_photo(photo, limits), check_photo(photo, limits))  # both decode threads
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(4):
        await asyncio.gather(check_photo(photo, limits), check_photo(photo, limits))
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 8

print(int(mapped), asyncio.run(main()))
"""


def run_child(script: str, *args: str, **env: str) -> list[int]:
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True,
                          cwd=ROOT, env={**os.environ, **env})
    return [int(value) for value in done.stdout.split()]


def faults_per_photo(**env: str) -> int:
    mapped, faults = run_child(CHILD, **env)
    assert mapped == 1
    return faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator is tuned on Linux only")
def test_decoding_photos_reuses_the_heap_instead_of_faulting_each_pixel_page() -> None:
    ours = faults_per_photo()
    pillows_default = faults_per_photo(PILLOW_BLOCK_SIZE=str(16 * 2**20))  # one 6 MB block per image
    assert pillows_default > 1_000  # every page of the pixels, each photo
    assert ours < 400, f"{ours} page faults a photo (Pillow's default blocks: {pillows_default})"


# --- the heap given back between bursts --------------------------------------------------------

TRIM_CHILD = PRELUDE + """
def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024

async def main():
    photos._IDLE_TRIM.idle_s = float(sys.argv[1])
    for _ in range(3):
        await asyncio.gather(*(check_photo(photo, limits) for _ in range(4)))
    busy = rss()
    await asyncio.sleep(1.0)  # no photo for longer than the idle delay: the pool gives its memory back
    return busy, rss()

print(*asyncio.run(main()))
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator is tuned on Linux only")
def test_the_memory_kept_for_photos_goes_back_once_none_come() -> None:
    def freed_mb(idle_s: float) -> int:
        busy, idle = run_child(TRIM_CHILD, str(idle_s))
        return busy - idle

    kept = freed_mb(3600)  # the trim not due yet: the heap keeps the pixel blocks
    freed = freed_mb(0.2)
    assert kept <= 1 and freed >= 4, f"{freed} MB given back once idle ({kept} MB without the trim)"


async def test_the_trim_waits_for_the_last_photo_of_a_burst() -> None:
    trims: list[int] = []
    idle = IdleTrim(idle_s=0.15, trim=lambda: trims.append(1))
    loop = asyncio.get_running_loop()
    with ThreadPoolExecutor(1) as pool:
        idle.started()
        idle.started()  # two photos in the pool
        idle.finished(loop, pool)
        await asyncio.sleep(0.3)
        assert trims == []  # one still decoding
        idle.finished(loop, pool)
        await asyncio.sleep(0.05)
        idle.started()  # the next photo of the burst, before the delay ran out: no trim
        await asyncio.sleep(0.3)
        assert trims == []
        idle.finished(loop, pool)
        await asyncio.sleep(0.4)
        assert len(trims) == 1  # once, the delay after the last one
