"""Knowledge fixtures: indexes built from the project's own sample documents, and (when ../shared is
present) from a subset of four laws of the shared corpus with the dev questions about them.

Document vectors are cached on disk under var/test-cache (git-ignored, keyed by text), so only the
first run on a machine pays for embedding; every test still builds its own index and Chroma store.
"""

from __future__ import annotations

import json
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

from core.settings import Settings
from knowledge.service import SAMPLE_DIR, KnowledgeService, build_knowledge
from tests.support import TEST_MODELS_DIR, shared_path

ROOT = Path(__file__).resolve().parents[2]
DATA = Path(__file__).parent / "data"
SAMPLE_GUIDE = SAMPLE_DIR / "县住建局办事指南.md"
TEST_LAW = DATA / "示范县建筑工地文明施工管理办法(2024-05-01).md"
EMBEDDINGS_CACHE = ROOT / "var" / "test-cache" / "knowledge-embeddings.sqlite"
# Four laws and the dev questions about them (the whole corpus is for `make bench`).
SUBSET_FILES = (
    "建筑法(2019-04-23).md",
    "建设工程质量管理条例(2019-04-23).md",
    "建设工程安全生产管理条例(2003-11-24).md",
    "保障农民工工资支付条例(2019-12-30).md",
)


def knowledge_settings(directory: Path, **overrides: object) -> Settings:
    return Settings(
        _env_file=None,  # type: ignore[call-arg]
        environment="test",
        data_dir=directory,
        **{"models_dir": TEST_MODELS_DIR, **overrides},  # type: ignore[arg-type]
    )


def make_service(directory: Path, db=None, **overrides: object) -> KnowledgeService:  # noqa: ANN001
    return build_knowledge(knowledge_settings(directory, **overrides), db, embeddings_cache=EMBEDDINGS_CACHE)


@pytest.fixture
def sample_service(tmp_path: Path) -> KnowledgeService:
    """A fresh index holding the sample guide and the test regulation."""
    service = make_service(tmp_path / "var")
    service.seed_if_empty()
    service.ingest([DATA])
    return service


@pytest.fixture(scope="session")
def subset_files() -> list[Path]:
    corpus = shared_path("corpus", "regulations")
    return [corpus / name for name in SUBSET_FILES]


@pytest.fixture(scope="session")
def subset_service(tmp_path_factory: pytest.TempPathFactory, subset_files: list[Path]) -> KnowledgeService:
    """Four laws of the shared corpus plus the sample guide, indexed once per test run."""
    service = make_service(tmp_path_factory.mktemp("knowledge-subset"))
    service.seed_if_empty()
    report = service.ingest(subset_files)
    assert not report.failed
    return service


@pytest.fixture(scope="session")
def subset_questions(subset_files: list[Path]) -> list[dict[str, object]]:
    dev = shared_path("eval", "dev.jsonl")
    items = [json.loads(line) for line in dev.read_text(encoding="utf-8").splitlines() if line.strip()]
    return [item for item in items if item.get("file") in SUBSET_FILES]


@pytest.fixture(scope="session")
def abstain_questions() -> list[str]:
    """Out-of-scope questions of our own (dev's four abstain items are used where ../shared is present)."""
    return [
        "明天从北京到上海的航班几点起飞？",
        "红烧肉怎么做才不腻？",
        "我的猫不吃猫粮怎么办？",
        "英超联赛今年谁是冠军？",
    ]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def chroma_server(tmp_path: Path):  # noqa: ANN201
    """A real Chroma server (`chroma run`) on a loopback port, stopped after the test."""
    executable = Path(sys.executable).parent / "chroma"
    if not executable.exists():
        found = shutil.which("chroma")
        if not found:
            pytest.skip("the chroma command is not installed")
        executable = Path(found)
    port = free_port()
    log = (tmp_path / "chroma.log").open("wb")
    process = subprocess.Popen(
        [str(executable), "run", "--path", str(tmp_path / "chroma-server"), "--host", "127.0.0.1",
         "--port", str(port)],
        stdout=log, stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}"
    try:
        import httpx

        deadline = time.monotonic() + 60
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"chroma run exited: {(tmp_path / 'chroma.log').read_text()[-2000:]}")
            try:
                if httpx.get(f"{url}/api/v2/heartbeat", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError("chroma server did not start within 60 s")
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
