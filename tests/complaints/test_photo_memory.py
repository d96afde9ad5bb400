"""Photo intake and the heap: decoding photo after photo does not page-fault its pixels anew each
time, even where the heap maps large buffers (core.kit.memory, as in a server with the knowledge
index). Page faults are counted, not timed: the count does not depend on how busy the machine is."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# in a child process: the heap's state must be the child's own
CHILD = """
import asyncio, resource
from complaints.photos import PhotoLimits, check_photo
from core.kit.memory import map_large_buffers
from tests.imaging import jpeg_of_size

async def main():
    photo = jpeg_of_size(1_000_000)  # 1,415 x 1,061: about 6 MB of pixels in Pillow
    limits = PhotoLimits(max_bytes=10 * 2**20, max_pixels=40_000_000, public_max_side=2048)
    await asyncio.gather(check_photo(photo, limits), check_photo(photo, limits))  # both decode threads
    before = resource.getrusage(resource.RUSAGE_SELF).ru_minflt
    for _ in range(4):
        await asyncio.gather(check_photo(photo, limits), check_photo(photo, limits))
    return (resource.getrusage(resource.RUSAGE_SELF).ru_minflt - before) // 8

mapped = map_large_buffers()
print(int(mapped), asyncio.run(main()))
"""


def faults_per_photo(**env: str) -> int:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True, cwd=ROOT,
                          env={**os.environ, **env})
    mapped, faults = map(int, done.stdout.split())
    assert mapped == 1
    return faults


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator is tuned on Linux only")
def test_decoding_photos_reuses_the_heap_instead_of_faulting_each_pixel_page() -> None:
    ours = faults_per_photo()
    pillows_default = faults_per_photo(PILLOW_BLOCK_SIZE=str(16 * 2**20))  # one 6 MB block per image
    assert pillows_default > 1_000  # every page of the pixels, each photo
    assert ours < 400, f"{ours} page faults a photo (Pillow's default blocks: {pillows_default})"
