"""The knowledge index: a catalog of documents and chunks (SQLite), their vectors (Chroma) and the
keyword index (BM25 tokens stored with each chunk).

Ingestion is incremental: a document's content hash decides. Unchanged documents are skipped, changed
ones have their chunks replaced in every index, and documents whose files disappeared from an ingested
folder are deleted from every index. Each change bumps the catalog's generation, so a running server
reloads its in-memory search state on the next question.
"""

from __future__ import annotations

import hashlib
import json
import sqlite3
import threading
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlparse

import numpy as np

from core.errors import NotFound, ValidationFailed
from knowledge.embeddings import CachedEmbeddings
from knowledge.loaders import LoadedDocument, is_supported, load_bytes
from knowledge.splitter import Chunk, document_id, is_law, split_document
from knowledge.text import fingerprint, tokenize

SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS documents (
    id TEXT PRIMARY KEY,
    origin TEXT NOT NULL UNIQUE,       -- resolved file path, or upload:<name>
    source TEXT NOT NULL,              -- file name shown to people
    title TEXT NOT NULL,
    kind TEXT NOT NULL,                -- law | guide
    version TEXT NOT NULL,
    sha256 TEXT NOT NULL,              -- of the file's bytes: the quick check
    content_sha TEXT NOT NULL,         -- of the extracted text: decides when the bytes differ
    size INTEGER NOT NULL,
    chunk_count INTEGER NOT NULL,
    article_count INTEGER NOT NULL,
    text TEXT NOT NULL,
    ingested_at TEXT NOT NULL
);
CREATE TABLE IF NOT EXISTS chunks (
    id TEXT PRIMARY KEY,
    doc_id TEXT NOT NULL REFERENCES documents(id) ON DELETE CASCADE,
    seq INTEGER NOT NULL,
    kind TEXT NOT NULL,
    data TEXT NOT NULL,                -- the Chunk as JSON
    tokens TEXT NOT NULL               -- BM25 tokens, space separated ('' for vector-only chunks)
);
CREATE INDEX IF NOT EXISTS ix_chunks_doc ON chunks(doc_id);
"""


@dataclass
class DocumentInfo:
    id: str
    source: str
    title: str
    kind: str
    version: str
    chunk_count: int
    article_count: int
    size: int
    ingested_at: str
    origin: str

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class IngestReport:
    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)
    ignored: list[str] = field(default_factory=list)  # files in folders that are not a supported type
    chunks: int = 0
    embedded: int = 0
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class _Pending:
    doc_id: str
    origin: str
    doc: LoadedDocument
    sha: str
    size: int
    chunks: list[Chunk]
    replaces: bool


class KnowledgeIndex:
    def __init__(
        self,
        directory: Path,
        embeddings: CachedEmbeddings,
        *,
        chroma_url: str | None = None,
        collection: str = "civicdesk",
    ):
        self.directory = Path(directory)
        self.directory.mkdir(parents=True, exist_ok=True)
        self.embeddings = embeddings
        self.chroma_url = chroma_url
        self.collection_name = collection
        self._collection = None
        self._lock = threading.RLock()
        with self._db() as conn:
            conn.executescript(SCHEMA)

    # --- storage ----------------------------------------------------------------------------------
    @contextmanager
    def _db(self) -> Iterator[sqlite3.Connection]:
        conn = sqlite3.connect(str(self.directory / "catalog.sqlite"), timeout=30)
        conn.execute("PRAGMA foreign_keys=ON")
        conn.execute("PRAGMA journal_mode=WAL")
        try:
            with conn:
                yield conn
        finally:
            conn.close()

    @property
    def collection(self):  # type: ignore[no-untyped-def]
        """The Chroma collection of chunk vectors: embedded under the index directory, or on a Chroma server.

        Only this class talks to Chroma (public client API); the rest of the package asks it for
        `nearest`, `vector_count` and `stored_vectors`.
        """
        if self._collection is None:
            with self._lock:
                if self._collection is None:
                    self._collection = self._client().get_or_create_collection(
                        self.collection_name,
                        embedding_function=None,  # vectors always come from self.embeddings
                        # a wide search beam: at a few thousand vectors HNSW is then exact in practice, so
                        # results do not vary with the order vectors were inserted in
                        metadata={"hnsw:space": "cosine", "hnsw:search_ef": 400, "hnsw:construction_ef": 200},
                    )
        return self._collection

    def _client(self):  # type: ignore[no-untyped-def]
        import chromadb
        from chromadb.config import Settings as ChromaSettings

        chroma_settings = ChromaSettings(anonymized_telemetry=False)
        if self.chroma_url:
            url = urlparse(self.chroma_url)
            return chromadb.HttpClient(
                host=url.hostname or "127.0.0.1",
                port=url.port or (443 if url.scheme == "https" else 8000),
                ssl=url.scheme == "https",
                settings=chroma_settings,
            )
        return chromadb.PersistentClient(path=str(self.directory / "chroma"), settings=chroma_settings)

    def _drop_collection(self) -> None:
        with self._lock:
            self._client().delete_collection(self.collection_name)
            self._collection = None

    def all_vectors(self) -> dict[str, np.ndarray]:
        """Every stored vector by chunk id (the search keeps them in memory: a few thousand rows)."""
        out: dict[str, np.ndarray] = {}
        total = self.vector_count()
        for offset in range(0, total, 2000):
            result = self.collection.get(limit=2000, offset=offset, include=["embeddings"])
            for chunk_id, vector in zip(result["ids"], result["embeddings"], strict=True):
                out[chunk_id] = np.asarray(vector, dtype=np.float32)
        return out

    def chunk_vectors(self, chunks: list[Chunk]) -> dict[str, np.ndarray]:
        """The stored vector of each of `chunks` by chunk id, read from the embeddings cache where it has
        the chunk's text (the same vector Chroma was given, keyed by back end and text) and from Chroma for
        the rest. A serving process whose cache holds them all never opens Chroma: the embedded store and
        its caches cost about 65 MB of memory for the regulations corpus."""
        texts = [chunk.embed_text() for chunk in chunks]
        cached = self.embeddings.lookup(texts)
        out: dict[str, np.ndarray] = {}
        missing: list[str] = []
        for chunk, text in zip(chunks, texts, strict=True):
            vector = cached.get(text)
            if vector is None:
                missing.append(chunk.id)
            else:
                out[chunk.id] = vector
        for start in range(0, len(missing), 2000):
            result = self.collection.get(ids=missing[start : start + 2000], include=["embeddings"])
            for chunk_id, vector in zip(result["ids"], result["embeddings"], strict=True):
                out[chunk_id] = np.asarray(vector, dtype=np.float32)
        return out

    def stored_vectors(self, limit: int = 10) -> dict[str, np.ndarray]:
        """Some stored vectors by chunk id (for checks and tests)."""
        result = self.collection.get(limit=limit, include=["embeddings"])
        return {chunk_id: np.asarray(v, dtype=np.float32) for chunk_id, v in zip(result["ids"], result["embeddings"], strict=True)}

    def generation(self) -> int:
        with self._db() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='generation'").fetchone()
        return int(row[0]) if row else 0

    def _bump(self, conn: sqlite3.Connection) -> None:
        conn.execute(
            "INSERT INTO meta VALUES ('generation', '1') "
            "ON CONFLICT(key) DO UPDATE SET value = CAST(value AS INTEGER) + 1"
        )

    def built_with(self) -> str | None:
        """The embeddings back end the stored vectors were made with (None for a new index)."""
        with self._db() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='embeddings'").fetchone()
        return row[0] if row else None

    def check_embeddings(self) -> None:
        """Searching vectors made by another back end gives nonsense: refuse clearly."""
        built = self.built_with()
        if built is not None and built != self.embeddings.key:
            raise ValidationFailed(
                f"知识库索引由另一个向量模型（{built}）建立，当前配置为 {self.embeddings.key}。"
                "请运行 civicdesk ingest（任意路径）重建索引。",
                f"The knowledge index was built with {built} but {self.embeddings.key} is configured; "
                "run `civicdesk ingest` (any path) to rebuild it.",
                code="index_needs_rebuild",
            )

    def _ensure_embeddings(self, report: IngestReport, progress: bool) -> None:
        """After a change of embeddings back end, re-embed every document from its stored text."""
        built = self.built_with()
        if built == self.embeddings.key:
            return
        if built is not None:
            self._drop_collection()
            with self._db() as conn:
                rows = conn.execute("SELECT id, origin, text, title, source, version, sha256, size FROM documents").fetchall()
            pending = [
                _Pending(doc_id, origin, doc, sha, size, split_document(doc, doc_id), False)
                for doc_id, origin, text, title, source, version, sha, size in rows
                for doc in [LoadedDocument(text=text, title=title, source=source, version=version)]
            ]
            rebuilt = IngestReport()
            self._write(pending, rebuilt, progress=progress)
            report.embedded += rebuilt.embedded
        with self._db() as conn:
            conn.execute(
                "INSERT INTO meta VALUES ('embeddings', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (self.embeddings.key,),
            )

    # --- reading --------------------------------------------------------------------------------
    def documents(self) -> list[DocumentInfo]:
        with self._db() as conn:
            rows = conn.execute(
                "SELECT id, source, title, kind, version, chunk_count, article_count, size, ingested_at, origin "
                "FROM documents ORDER BY title"
            ).fetchall()
        return [DocumentInfo(*row) for row in rows]

    def document(self, doc_id: str) -> DocumentInfo:
        for info in self.documents():
            if info.id == doc_id:
                return info
        raise NotFound(f"没有找到文档 {doc_id}", f"Document {doc_id} not found", id=doc_id)

    def is_empty(self) -> bool:
        with self._db() as conn:
            return conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0] == 0

    def load_chunks(self) -> tuple[list[Chunk], list[list[str]]]:
        """Every chunk with its BM25 tokens, in document order."""
        self._retokenize_if_stale()
        chunks, tokens = [], []
        with self._db() as conn:
            rows = conn.execute("SELECT data, tokens FROM chunks ORDER BY doc_id, seq").fetchall()
        for data, token_text in rows:
            chunks.append(Chunk.from_json(data))
            tokens.append(token_text.split() if token_text else [])
        return chunks, tokens

    def _retokenize_if_stale(self) -> None:
        """Stored tokens were made by another tokeniser (a thesaurus update): redo them, once."""
        current = fingerprint()
        with self._lock, self._db() as conn:
            row = conn.execute("SELECT value FROM meta WHERE key='tokenizer'").fetchone()
            if row is not None and row[0] == current:
                return
            rows = conn.execute("SELECT id, data FROM chunks WHERE tokens != ''").fetchall()
            conn.executemany(
                "UPDATE chunks SET tokens = ? WHERE id = ?",
                [(" ".join(tokenize(Chunk.from_json(data).search_text())), chunk_id) for chunk_id, data in rows],
            )
            conn.execute(
                "INSERT INTO meta VALUES ('tokenizer', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
                (current,),
            )

    # --- writing --------------------------------------------------------------------------------
    def ingest(self, paths: Iterable[Path | str], *, progress: bool = False) -> IngestReport:
        """Ingest files and folders (recursively); see the module docstring for what is skipped."""
        started = time.perf_counter()
        report = IngestReport()
        files: list[Path] = []
        for raw in paths:
            path = Path(raw).expanduser().resolve()
            if path.is_dir():
                for found in sorted(p for p in path.rglob("*") if p.is_file() and not p.name.startswith(".")):
                    if is_supported(found):
                        files.append(found)
                    else:
                        report.ignored.append(found.name)
            elif path.is_file():
                files.append(path)
            else:
                report.failed[str(raw)] = "文件或目录不存在 / no such file or folder"
        self._ensure_embeddings(report, progress)
        with self._db() as conn:
            known = {
                row[0]: (row[1], row[2], row[3])
                for row in conn.execute("SELECT origin, id, sha256, content_sha FROM documents")
            }
        pending: list[_Pending] = []
        for path in files:
            origin = str(path)
            try:
                data = path.read_bytes()
                sha = hashlib.sha256(data).hexdigest()
                previous = known.get(origin)
                if previous and previous[1] == sha:
                    report.unchanged.append(path.name)
                    continue
                doc = load_bytes(path.name, data)
                if previous and previous[2] == _content_sha(doc):
                    self._touch(previous[0], sha)  # same text in new bytes (a re-saved PDF)
                    report.unchanged.append(path.name)
                    continue
            except ValidationFailed as exc:
                report.failed[path.name] = exc.message_zh
                continue
            except OSError as exc:
                report.failed[path.name] = str(exc)
                continue
            doc_id = previous[0] if previous else document_id(origin)
            pending.append(_Pending(doc_id, origin, doc, sha, len(data), split_document(doc, doc_id), bool(previous)))
        # documents whose files were removed from disk (uploads are kept until deleted by staff)
        gone = [
            (origin, entry[0]) for origin, entry in known.items()
            if not origin.startswith("upload:") and not Path(origin).exists()
        ]
        for origin, doc_id in gone:
            self.delete(doc_id)
            report.removed.append(Path(origin).name)
        self._write(pending, report, progress=progress)
        report.seconds = round(time.perf_counter() - started, 3)
        return report

    def ingest_bytes(self, filename: str, data: bytes) -> tuple[DocumentInfo, bool]:
        """An uploaded document (kept in the catalog by file name). Returns (info, changed)."""
        name = Path(filename).name
        doc = load_bytes(name, data)  # raises a clear error for a wrong type or an unreadable file
        origin = f"upload:{name}"
        sha = hashlib.sha256(data).hexdigest()
        self._ensure_embeddings(IngestReport(), False)
        with self._db() as conn:
            row = conn.execute(
                "SELECT id, sha256, content_sha FROM documents WHERE origin = ?", (origin,)
            ).fetchone()
        if row and _content_sha(doc) == row[2]:
            if row[1] != sha:
                self._touch(row[0], sha)
            return self.document(row[0]), False
        doc_id = row[0] if row else document_id(origin)
        report = IngestReport()
        self._write([_Pending(doc_id, origin, doc, sha, len(data), split_document(doc, doc_id), bool(row))], report)
        return self.document(doc_id), True

    def _write(self, pending: list[_Pending], report: IngestReport, *, progress: bool = False) -> None:
        if not pending:
            return
        texts = [chunk.embed_text() for item in pending for chunk in item.chunks]
        cached = self.embeddings.lookup(texts)
        missing = len({t for t in texts if t not in cached})
        bar = None
        if progress and missing:
            from tqdm import tqdm

            bar = tqdm(total=missing, desc="向量化 embedding", unit="段", leave=False)
            self.embeddings.progress = bar.update
        try:
            vectors = self.embeddings.embed_documents(texts)
        finally:
            self.embeddings.progress = None
            if bar is not None:
                bar.close()
        report.embedded += missing
        offset = 0
        for item in pending:
            count = len(item.chunks)
            item_vectors = np.asarray(vectors[offset : offset + count], dtype=np.float32)
            offset += count
            self._replace(item, item_vectors)
            (report.updated if item.replaces else report.added).append(item.doc.source)
            report.chunks += count

    def _replace(self, item: _Pending, vectors: np.ndarray) -> None:
        with self._lock:
            if item.replaces:
                self._delete_vectors(item.doc_id)
            chunks = item.chunks
            if chunks:
                ids = [c.id for c in chunks]
                metadatas = [_metadata(c) for c in chunks]
                collection = self.collection
                for start in range(0, len(chunks), 1000):
                    end = start + 1000
                    collection.upsert(
                        ids=ids[start:end],
                        embeddings=vectors[start:end],
                        documents=[c.embed_text() for c in chunks[start:end]],
                        metadatas=metadatas[start:end],
                    )
            searchable = [c.kind != "paragraph" for c in chunks]
            articles = len({c.ref for c in chunks if c.article})
            now = datetime.now(UTC).isoformat(timespec="seconds")
            with self._db() as conn:
                conn.execute("DELETE FROM documents WHERE id = ?", (item.doc_id,))
                conn.execute(
                    "INSERT INTO documents VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
                    (
                        item.doc_id, item.origin, item.doc.source, item.doc.title,
                        "law" if is_law(item.doc.text) else "guide", item.doc.version, item.sha,
                        _content_sha(item.doc), item.size,
                        len(chunks), articles, item.doc.text, now,
                    ),
                )
                conn.executemany(
                    "INSERT INTO chunks VALUES (?,?,?,?,?,?)",
                    [
                        (
                            c.id, item.doc_id, seq, c.kind, json.dumps(c.to_dict(), ensure_ascii=False),
                            " ".join(tokenize(c.search_text())) if keep else "",
                        )
                        for seq, (c, keep) in enumerate(zip(chunks, searchable, strict=True))
                    ],
                )
                self._bump(conn)

    def _touch(self, doc_id: str, sha: str) -> None:
        with self._db() as conn:
            conn.execute("UPDATE documents SET sha256 = ? WHERE id = ?", (sha, doc_id))

    def delete(self, doc_id: str) -> DocumentInfo:
        info = self.document(doc_id)
        with self._lock:
            self._delete_vectors(doc_id)
            with self._db() as conn:
                conn.execute("DELETE FROM documents WHERE id = ?", (doc_id,))
                self._bump(conn)
        return info

    def _delete_vectors(self, doc_id: str) -> None:
        self.collection.delete(where={"doc_id": doc_id})

    def vector_count(self) -> int:
        return int(self.collection.count())

    # --- backups --------------------------------------------------------------------------------
    def export_vectors(self, page: int = 2000) -> Iterator[dict[str, Any]]:
        """Every stored vector with its id, text and metadata, a page at a time (`civicdesk backup`:
        read through the client API, so an embedded store and a Chroma server are saved alike)."""
        for offset in range(0, self.vector_count(), page):
            yield self.collection.get(limit=page, offset=offset, include=["embeddings", "documents", "metadatas"])

    def replace_vectors(self, ids: list[str], vectors: np.ndarray, documents: list[str],
                        metadatas: list[dict[str, Any]]) -> None:
        """The collection emptied and refilled with a backup's vectors (`civicdesk restore`)."""
        with self._lock:
            try:
                self._drop_collection()
            except Exception:  # noqa: BLE001 - nothing to drop: a new store or server (Chroma's error types vary)
                self._collection = None
            for start in range(0, len(ids), 1000):
                end = start + 1000
                self.collection.upsert(ids=ids[start:end], embeddings=vectors[start:end],
                                       documents=documents[start:end], metadatas=metadatas[start:end])


def _content_sha(doc: LoadedDocument) -> str:
    return hashlib.sha256(f"{doc.title}\0{doc.version}\0{doc.text}".encode()).hexdigest()


def _metadata(chunk: Chunk) -> dict[str, str | int]:
    return {
        "doc_id": chunk.doc_id, "kind": chunk.kind, "ref": chunk.ref, "law": chunk.law,
        "article": chunk.article, "chapter": chunk.chapter, "section": chunk.section, "file": chunk.file,
        "version": chunk.version, "part": chunk.part,
    }
