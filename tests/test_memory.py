"""core.kit.memory: freed large buffers go back to the system, whatever was freed before."""

from __future__ import annotations

import subprocess
import sys

import pytest

# in a child process: the test runner's own heap and glibc state must not decide the outcome
CHILD = """
import numpy as np
from core.kit.memory import map_large_buffers, trim_heap

def rss():
    return int(next(l for l in open("/proc/self/status") if l.startswith("VmRSS")).split()[1]) // 1024

mapped = map_large_buffers()
block = np.ones(16 * 2**20 // 8)  # 16 MB, mapped and freed: raises glibc's default threshold to 16 MB
del block
base = rss()
parts = [np.ones(2**20 // 8) for _ in range(24)]  # 24 MB in 1 MB buffers, freed again
del parts
kept = rss() - base
trim_heap()
print(mapped, kept, rss() - base)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's allocator is tuned on Linux only")
def test_large_buffers_are_returned_when_freed() -> None:
    done = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True, check=True)
    mapped, kept, after_trim = map(int, done.stdout.replace("True", "1").split())
    assert mapped == 1
    assert kept < 8  # without the fixed threshold the 24 MB of 1 MB buffers stay in the heap
    assert after_trim <= kept
