"""Processes sharing one data dir (the compose file's app-data volume) agree on what they generate."""

from __future__ import annotations

import threading
from pathlib import Path

from core.settings import Settings


def test_processes_starting_at_once_generate_one_secret_key(tmp_path: Path) -> None:
    keys: list[str] = []

    def start() -> None:
        keys.append(Settings(_env_file=None, data_dir=tmp_path).resolved_secret_key())  # type: ignore[call-arg]

    threads = [threading.Thread(target=start) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16 and len(set(keys)) == 1 and len(keys[0]) >= 40
    assert (tmp_path / "secret_key").stat().st_mode & 0o777 == 0o600
