"""`civicdesk backup PATH` and `civicdesk restore PATH`: one tar file with everything a deployment
keeps, taken while it runs.

    manifest.json              what, when, from which schema revision, counts
    database.sqlite            SQLite: a consistent copy by SQLite's online backup API
    database.pgdump            PostgreSQL: `pg_dump --format=custom`
    photos/...                 the photo store (content-addressed files; temporary files left out)
    knowledge/catalog.sqlite   the knowledge catalog (documents, chunks, BM25 tokens) and
    knowledge/jobs.sqlite      the ingest jobs, by the online backup API, and
    knowledge/uploads/...      uploads waiting to be indexed
    knowledge/vectors.npy      every vector of the Chroma collection (embedded or a server), with
    knowledge/vectors.jsonl    its id, text and metadata, read through Chroma's client API
    secret_key                 the generated session key, when there is one under the data dir

Order matters: the database first, then the files. A photo row committed before the dump has its
file stored already (a submission stores files before it commits), so every restored row finds its
photo; files newer than the dump are orphans the photo sweep removes. Left out on purpose: the
embedding cache and the derived e5 graph (rebuilt on use).

Restore puts it all into the configured database and data dir, and refuses a database or a photo
store that already holds data unless `--force` (PostgreSQL: `pg_restore --clean`, one transaction).
"""

from __future__ import annotations

import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy.engine import URL, make_url

from civicdesk import __version__
from complaints.storage import LocalPhotoStore, check_key
from core.errors import ValidationFailed
from core.settings import Settings

FORMAT = 1
KNOWLEDGE_FILES = ("catalog.sqlite", "jobs.sqlite")


class BackupError(Exception):
    """A backup or restore that cannot go on; the message says why (both languages)."""


@dataclass
class Summary:
    database: str
    revision: str | None
    reports: int
    photos: int
    documents: int
    vectors: int
    created_at: str = field(default_factory=lambda: datetime.now(UTC).isoformat(timespec="seconds"))

    def line(self) -> str:
        return (f"{self.database} at {self.revision or 'no schema'}: {self.reports} reports, {self.photos} photo "
                f"files, {self.documents} knowledge documents, {self.vectors} vectors")


# --- databases --------------------------------------------------------------------------------------
def _is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_path(url: str) -> Path:
    database = make_url(url).database
    if not database or database == ":memory:":
        raise BackupError("SQLite 数据库必须是文件 / an in-memory SQLite database cannot be backed up")
    return Path(database)


def sqlite_copy(source: Path, target: Path) -> None:
    """A consistent copy of a live SQLite file (WAL included) by the online backup API."""
    target.parent.mkdir(parents=True, exist_ok=True)
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True, timeout=30)
    dst = sqlite3.connect(str(target))
    try:
        src.backup(dst)
    finally:
        dst.close()
        src.close()


def _libpq(url: str) -> tuple[str, dict[str, str]]:
    """The libpq connection URL for pg_dump/pg_restore, its password in the environment (never in
    the process list)."""
    u: URL = make_url(url)
    env = dict(os.environ)
    if u.password:
        env["PGPASSWORD"] = str(u.password)
    plain = URL.create("postgresql", username=u.username, host=u.host, port=u.port, database=u.database)
    return plain.render_as_string(hide_password=False), env


def _run(command: list[str], env: dict[str, str]) -> None:
    try:
        result = subprocess.run(command, env=env, capture_output=True, text=True, timeout=3600)
    except FileNotFoundError:
        raise BackupError(f"找不到 {command[0]}，请安装 PostgreSQL 客户端 / {command[0]} is not installed "
                          "(the PostgreSQL client tools, at least the server's major version)") from None
    if result.returncode != 0:
        raise BackupError(f"{command[0]} failed: {result.stderr.strip()[-2000:]}")


async def _database_state(url: str) -> tuple[str | None, int, int]:
    """(schema revision, reports, tables) of a database; zeros for an empty one."""
    from sqlalchemy import inspect, text

    from core.db import Database

    db = Database(url)
    try:
        async with db.read() as conn:
            tables = await conn.run_sync(lambda sync: inspect(sync).get_table_names())
            revision = reports = None
            if "alembic_version" in tables:
                revision = (await conn.execute(text("SELECT version_num FROM alembic_version"))).scalar()
            if "reports" in tables:
                reports = (await conn.execute(text("SELECT COUNT(*) FROM reports"))).scalar()
            return revision, int(reports or 0), len(tables)
    finally:
        await db.dispose()


# --- the knowledge index ----------------------------------------------------------------------------
def _knowledge_index(settings: Settings):  # type: ignore[no-untyped-def]
    from knowledge.service import build_knowledge

    return build_knowledge(settings).index


def _export_vectors(settings: Settings, folder: Path) -> int:
    index = _knowledge_index(settings)
    ids: list[str] = []
    vectors: list[np.ndarray] = []
    with (folder / "vectors.jsonl").open("w", encoding="utf-8") as out:
        for page in index.export_vectors():
            for chunk_id, vector, document, metadata in zip(
                    page["ids"], page["embeddings"], page["documents"], page["metadatas"], strict=True):
                ids.append(chunk_id)
                vectors.append(np.asarray(vector, dtype=np.float32))
                out.write(json.dumps({"id": chunk_id, "document": document, "metadata": metadata},
                                     ensure_ascii=False) + "\n")
    np.save(folder / "vectors.npy", np.stack(vectors) if vectors else np.zeros((0, 0), dtype=np.float32))
    return len(ids)


def _import_vectors(settings: Settings, folder: Path) -> int:
    rows = [json.loads(line) for line in (folder / "vectors.jsonl").read_text(encoding="utf-8").splitlines() if line]
    vectors = np.load(folder / "vectors.npy")
    if len(rows) != len(vectors) and rows:
        raise BackupError("备份中的向量不完整 / the backup's vectors and their ids differ in number")
    index = _knowledge_index(settings)
    index.replace_vectors([r["id"] for r in rows], vectors, [r["document"] for r in rows],
                          [r["metadata"] for r in rows])
    return len(rows)


# --- files ------------------------------------------------------------------------------------------
def _photo_files(root: Path) -> Iterator[tuple[Path, str]]:
    """(file, key) for every stored photo; temporary files of unfinished writes are not photos."""
    if not root.exists():
        return
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        key = path.relative_to(root).as_posix()
        try:
            check_key(key)
        except ValidationFailed:
            continue
        yield path, key


@contextmanager
def _atomic_file(path: Path) -> Iterator[Path]:
    """Write beside the target and rename at the end: a failed backup leaves no half file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    os.chmod(tmp, 0o600)  # personal data: reporters' contacts, photos
    try:
        yield Path(tmp)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


# --- backup -----------------------------------------------------------------------------------------
async def backup(settings: Settings, target: Path) -> Summary:
    url = settings.resolved_database_url
    revision, reports, _ = await _database_state(url)
    knowledge_dir = settings.resolved_knowledge_dir
    with tempfile.TemporaryDirectory(prefix="civicdesk-backup-") as scratch, _atomic_file(target) as tmp:
        stage = Path(scratch)
        if _is_sqlite(url):
            database, kind = stage / "database.sqlite", "sqlite"
            sqlite_copy(_sqlite_path(url), database)
        else:
            database, kind = stage / "database.pgdump", "postgresql"
            dsn, env = _libpq(url)
            _run(["pg_dump", "--format=custom", "--no-owner", "--no-privileges", f"--file={database}",
                  f"--dbname={dsn}"], env)
        knowledge = stage / "knowledge"
        knowledge.mkdir()
        for name in KNOWLEDGE_FILES:
            if (knowledge_dir / name).exists():
                sqlite_copy(knowledge_dir / name, knowledge / name)
        vectors = _export_vectors(settings, knowledge)
        documents = 0
        if (knowledge / "catalog.sqlite").exists():
            with sqlite3.connect(knowledge / "catalog.sqlite") as conn:
                documents = conn.execute("SELECT COUNT(*) FROM documents").fetchone()[0]
        photos = 0
        with tarfile.open(tmp, "w") as tar:
            tar.add(database, arcname=database.name)
            tar.add(knowledge, arcname="knowledge")
            uploads = knowledge_dir / "uploads"
            if uploads.exists():
                tar.add(uploads, arcname="knowledge/uploads")
            secret = settings.data_dir / "secret_key"
            if secret.exists():
                tar.add(secret, arcname="secret_key")
            for path, key in _photo_files(settings.resolved_photos_dir):
                tar.add(path, arcname=f"photos/{key}")
                photos += 1
            summary = Summary(kind, revision, reports, photos, documents, vectors)
            manifest = stage / "manifest.json"
            manifest.write_text(json.dumps({"format": FORMAT, "civicdesk": __version__, **summary.__dict__},
                                           ensure_ascii=False, indent=2))
            tar.add(manifest, arcname="manifest.json")
    return summary


# --- restore ----------------------------------------------------------------------------------------
def read_manifest(source: Path) -> dict[str, Any]:
    if not source.is_file():
        raise BackupError(f"没有这个备份文件 / no backup file at {source}")
    try:
        with tarfile.open(source, "r") as tar:
            member = tar.extractfile("manifest.json")
            manifest = json.loads(member.read()) if member else None
    except (tarfile.TarError, KeyError, json.JSONDecodeError):
        manifest = None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{source} 不是 civicdesk 备份 / {source} is not a civicdesk backup (format {FORMAT})")
    return manifest


async def restore(settings: Settings, source: Path, *, force: bool = False) -> Summary:
    manifest = read_manifest(source)
    url = settings.resolved_database_url
    kind = "sqlite" if _is_sqlite(url) else "postgresql"
    if manifest["database"] != kind:
        raise BackupError(f"备份来自 {manifest['database']}，当前配置为 {kind} / the backup holds a "
                          f"{manifest['database']} database but {kind} is configured")
    photos_dir = settings.resolved_photos_dir
    if not force:
        _, reports, tables = await _database_state(url) if kind == "postgresql" or _sqlite_path(url).exists() \
            else (None, 0, 0)
        if tables:
            raise BackupError(f"目标数据库不是空的（{reports} 条举报）；确认覆盖请加 --force / the target database "
                              f"is not empty ({tables} tables, {reports} reports); add --force to replace it")
        if any(_photo_files(photos_dir)):
            raise BackupError(f"照片目录 {photos_dir} 不是空的；确认请加 --force / the photo store {photos_dir} "
                              "is not empty; add --force to restore into it")
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=".restore-", dir=settings.data_dir) as scratch:
        stage = Path(scratch)
        with tarfile.open(source, "r") as tar:
            tar.extractall(stage, filter="data")  # no absolute paths, no `..`, no links out
        if kind == "sqlite":
            target = _sqlite_path(url)
            for suffix in ("", "-wal", "-shm"):
                Path(f"{target}{suffix}").unlink(missing_ok=True)
            sqlite_copy(stage / "database.sqlite", target)
        else:
            dsn, env = _libpq(url)
            _run(["pg_restore", "--no-owner", "--no-privileges", "--single-transaction", "--exit-on-error",
                  *(["--clean", "--if-exists"] if force else []), f"--dbname={dsn}",
                  str(stage / "database.pgdump")], env)
        photos = 0
        store = LocalPhotoStore(photos_dir)  # its own modes (private files 0600) and fsync
        for path, key in _photo_files(stage / "photos"):
            visibility, ext = key.split("/", 1)[0], key.rsplit(".", 1)[1]
            stored = store.put(path.read_bytes(), visibility=visibility, ext=ext)  # type: ignore[arg-type]
            if stored.key != key:  # content-addressed: other bytes than the name promises
                raise BackupError(f"备份中的照片已损坏 / photo {key} in the backup is damaged")
            photos += 1
        knowledge_dir = settings.resolved_knowledge_dir
        knowledge_dir.mkdir(parents=True, exist_ok=True)
        for name in KNOWLEDGE_FILES:
            for suffix in ("", "-wal", "-shm"):
                (knowledge_dir / f"{name}{suffix}").unlink(missing_ok=True)
            if (stage / "knowledge" / name).exists():
                sqlite_copy(stage / "knowledge" / name, knowledge_dir / name)
        if (stage / "knowledge" / "uploads").exists():
            shutil.copytree(stage / "knowledge" / "uploads", knowledge_dir / "uploads", dirs_exist_ok=True)
        vectors = _import_vectors(settings, stage / "knowledge")
        secret = settings.data_dir / "secret_key"
        if (stage / "secret_key").exists() and (force or not secret.exists()):
            shutil.copy2(stage / "secret_key", secret)
    revision, reports, _ = await _database_state(url)
    return Summary(kind, revision, reports, photos, int(manifest.get("documents", 0)), vectors,
                   created_at=manifest["created_at"])
