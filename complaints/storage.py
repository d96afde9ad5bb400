"""Photo storage behind a small interface, so object storage can replace local files later.

Keys are content-addressed: "<visibility>/<ab>/<cd>/<sha256>.<ext>". The same bytes stored twice
are one object, and a key says nothing about the report or the person who sent it.

Methods are synchronous (plain file I/O); async callers use asyncio.to_thread.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import os
import re
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Final, Literal, Protocol

from core.errors import NotFound, ValidationFailed

if TYPE_CHECKING:
    from core.settings import Settings

log = logging.getLogger(__name__)
Visibility = Literal["private", "public"]

_EXT: Final = re.compile(r"[a-z0-9]{1,8}")
_KEY: Final = re.compile(r"(private|public)/([0-9a-f]{2})/([0-9a-f]{2})/(\2\3[0-9a-f]{60})\.[a-z0-9]{1,8}")
_DIGEST: Final = re.compile(r"[0-9a-f]{64}")
_FILE_MODES: Final[dict[str, int]] = {"private": 0o600, "public": 0o644}
_DIR_MODES: Final[dict[str, int]] = {"private": 0o700, "public": 0o755}


@dataclass(frozen=True)
class StoredObject:
    key: str
    created: bool  # False when identical content was already stored
    size: int


class InvalidPhotoKey(ValidationFailed):
    code = "photo_key_invalid"

    def __init__(self, key: str):
        super().__init__("照片标识无效。", "Invalid photo key.")  # the key itself is internal


class PhotoStore(Protocol):
    def put(self, data: bytes, *, visibility: Visibility, ext: str, sha256: str | None = None) -> StoredObject:
        """Store bytes under their content key; storing the same bytes again creates nothing.
        `sha256`: the bytes' digest (hex) when the caller already has it (photo intake does)."""
        ...

    def get(self, key: str) -> bytes:
        """The stored bytes; raises core.errors.NotFound."""
        ...

    def exists(self, key: str) -> bool: ...

    def delete(self, key: str) -> None:
        """Remove an object; deleting a missing object is not an error."""
        ...

    def path_for(self, key: str) -> Path | None:
        """A local file to stream, or None for stores without local files; raises NotFound."""
        ...

    def keys_older_than(self, cutoff: float) -> Iterator[str]:
        """Keys of objects last written before `cutoff` (a Unix time), for the orphan sweep."""
        ...

    def remove_temp_files_older_than(self, cutoff: float) -> int:
        """Delete half-written temporary files a crashed process left; returns how many."""
        ...


def object_key(data: bytes, *, visibility: Visibility, ext: str, sha256: str | None = None) -> str:
    """The content-addressed key every store uses for these bytes. A submission's photos were
    hashed by the intake already; `sha256` passes that digest on (hashing a 1 MB photo and its
    copy again was 0.65 ms of a submission's CPU)."""
    if visibility not in _FILE_MODES:
        raise ValueError(f"unknown visibility {visibility!r}")
    ext = ext.lower().lstrip(".")
    if not _EXT.fullmatch(ext):
        raise ValueError(f"bad file extension {ext!r}")
    if sha256 is not None and not _DIGEST.fullmatch(sha256):
        raise ValueError("sha256 must be 64 lowercase hex digits")
    digest = sha256 or hashlib.sha256(data).hexdigest()
    return f"{visibility}/{digest[:2]}/{digest[2:4]}/{digest}.{ext}"


def check_key(key: str) -> str:
    """A key as object_key makes them; anything else (.., absolute paths, ...) is refused."""
    if not isinstance(key, str) or not _KEY.fullmatch(key):
        raise InvalidPhotoKey(str(key))
    return key


def _not_found(key: str) -> NotFound:
    log.warning("photo file %s is missing", key)  # for the operator; the client only learns "not found"
    return NotFound("照片不存在。", "Photo not found.", code="photo_not_found")


class LocalPhotoStore:
    """Files under one root directory. Private files are 0600 in 0700 folders; public ones are
    world-readable so a web server may serve them directly."""

    def __init__(self, root: Path | str, *, fsync: bool = True):
        self.root = Path(root).resolve()
        self.fsync = fsync  # durability of evidence photos; tests may turn it off for speed

    @classmethod
    def from_settings(cls, settings: Settings) -> LocalPhotoStore:
        return cls(settings.resolved_photos_dir)

    def put(self, data: bytes, *, visibility: Visibility, ext: str, sha256: str | None = None) -> StoredObject:
        key = object_key(data, visibility=visibility, ext=ext, sha256=sha256)
        path = self._path(key)
        existing = _size(path)
        if existing == len(data):
            return StoredObject(key, created=False, size=existing)
        self._make_dirs(path.parent, visibility)
        created = self._write(path, data, _FILE_MODES[visibility], repair=existing is not None)
        return StoredObject(key, created=created, size=len(data))

    def get(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError):
            raise _not_found(key) from None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def path_for(self, key: str) -> Path | None:
        path = self._path(key)
        if not path.is_file():
            raise _not_found(key)
        return path

    def keys_older_than(self, cutoff: float) -> Iterator[str]:
        for visibility in _FILE_MODES:
            for path in (self.root / visibility).glob("*/*/*"):
                key = path.relative_to(self.root).as_posix()
                if _KEY.fullmatch(key) and _mtime(path) < cutoff:
                    yield key

    def remove_temp_files_older_than(self, cutoff: float) -> int:
        removed = 0
        for visibility in _FILE_MODES:
            for path in (self.root / visibility).glob("*/*/.tmp-*"):
                if _mtime(path) < cutoff:
                    path.unlink(missing_ok=True)
                    removed += 1
        return removed

    def _path(self, key: str) -> Path:
        path = self.root / check_key(key)
        # The key pattern already rules out "..": this also catches symlinked folders inside root.
        if path.exists() and not path.resolve().is_relative_to(self.root):
            raise InvalidPhotoKey(key)
        return path

    def _make_dirs(self, folder: Path, visibility: Visibility) -> None:
        """Each level gets the visibility's mode (mkdir(parents=True) would give parents 0755)."""
        if not folder.is_dir():
            self.root.mkdir(parents=True, exist_ok=True)
            current = self.root
            for part in folder.relative_to(self.root).parts:
                current = current / part
                with contextlib.suppress(FileExistsError):
                    current.mkdir(mode=_DIR_MODES[visibility])
        if not folder.resolve().is_relative_to(self.root):
            raise InvalidPhotoKey(str(folder.relative_to(self.root)))

    def _write(self, path: Path, data: bytes, mode: int, *, repair: bool) -> bool:
        """Write to a temp file in the same folder, then publish it in one step, so readers never
        see half a file. Returns whether this call created the object."""
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-", suffix=path.suffix)
        try:
            with os.fdopen(fd, "wb") as file:
                file.write(data)
                os.fchmod(file.fileno(), mode)
                if self.fsync:
                    file.flush()
                    os.fsync(file.fileno())
            created = _publish(tmp, path, replace=repair)
            if self.fsync:
                _fsync_dir(path.parent)
            return created
        finally:
            Path(tmp).unlink(missing_ok=True)


def _publish(tmp: str, path: Path, *, replace: bool) -> bool:
    """Hard-link when possible, so of two writers of the same new content exactly one reports
    created=True (callers delete what they created when their transaction fails)."""
    if not replace:
        try:
            os.link(tmp, path)
            return True
        except FileExistsError:
            return False
        except OSError:  # a filesystem without hard links
            pass
    os.replace(tmp, path)
    return not replace


def _mtime(path: Path) -> float:
    try:
        return path.stat().st_mtime
    except FileNotFoundError:
        return float("inf")  # gone already: never a candidate


def _size(path: Path) -> int | None:
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return None


def _fsync_dir(folder: Path) -> None:
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
