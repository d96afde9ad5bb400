"""Local photo storage: content-addressed keys, dedupe, atomic writes, permissions, traversal."""

from __future__ import annotations

import hashlib
import os
import stat
import threading
from pathlib import Path
from unittest import mock

import pytest

from complaints.storage import (
    InvalidPhotoKey,
    LocalPhotoStore,
    PhotoStore,
    StoredObject,
    check_key,
    object_key,
)
from core.errors import NotFound, ValidationFailed
from core.settings import Settings

DATA = b"\xff\xd8 not really a photo \xff\xd9"
DIGEST = hashlib.sha256(DATA).hexdigest()


@pytest.fixture
def store(tmp_path: Path) -> LocalPhotoStore:
    return LocalPhotoStore(tmp_path / "photos", fsync=False)


def mode_of(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_local_store_satisfies_the_protocol(store: LocalPhotoStore) -> None:
    typed: PhotoStore = store  # checked by type checkers; here it just must import and assign
    assert typed is store


def test_put_get_exists_delete(store: LocalPhotoStore) -> None:
    stored = store.put(DATA, visibility="private", ext="jpg")

    key = f"private/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg"
    assert stored == StoredObject(key=key, created=True, size=len(DATA))
    assert store.exists(stored.key)
    assert store.get(stored.key) == DATA
    assert store.path_for(stored.key) == store.root / stored.key

    store.delete(stored.key)
    assert not store.exists(stored.key)
    with pytest.raises(NotFound) as error:
        store.get(stored.key)
    assert error.value.message_zh and error.value.message_en
    with pytest.raises(NotFound):
        store.path_for(stored.key)
    store.delete(stored.key)  # deleting again is fine


def test_same_content_is_stored_once(store: LocalPhotoStore) -> None:
    first = store.put(DATA, visibility="public", ext="jpg")
    second = store.put(DATA, visibility="public", ext="jpg")
    assert first.created and not second.created
    assert first.key == second.key and second.size == len(DATA)
    other_visibility = store.put(DATA, visibility="private", ext="jpg")
    assert other_visibility.created and other_visibility.key.startswith("private/")


def test_a_known_digest_is_used_and_a_malformed_one_refused(store: LocalPhotoStore) -> None:
    given = store.put(DATA, visibility="private", ext="jpg", sha256=DIGEST)
    assert given.key == object_key(DATA, visibility="private", ext="jpg")  # the same key as hashing
    assert store.get(given.key) == DATA
    for bad in ("", DIGEST.upper(), DIGEST[:-1], DIGEST + "0", "../" + DIGEST[3:]):
        with pytest.raises(ValueError):
            store.put(DATA, visibility="private", ext="jpg", sha256=bad)


def test_extension_is_normalised_and_validated(store: LocalPhotoStore) -> None:
    assert store.put(DATA, visibility="private", ext=".HEIC").key.endswith(".heic")
    for bad in ("", "j/pg", "../x", "toolongext", "jp g"):
        with pytest.raises(ValueError):
            store.put(DATA, visibility="private", ext=bad)
    with pytest.raises(ValueError):
        store.put(DATA, visibility="secret", ext="jpg")  # type: ignore[arg-type]


def test_object_key_is_the_same_for_every_store() -> None:
    expected = f"public/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg"
    assert object_key(DATA, visibility="public", ext="jpg") == expected
    assert check_key(object_key(DATA, visibility="public", ext="jpg"))


def test_permissions(store: LocalPhotoStore) -> None:
    private = store.root / store.put(DATA, visibility="private", ext="jpg").key
    public = store.root / store.put(b"public bytes", visibility="public", ext="jpg").key
    assert mode_of(private) == 0o600
    assert mode_of(public) == 0o644
    for folder in (private.parent, private.parent.parent, private.parent.parent.parent):
        assert mode_of(folder) == 0o700
    assert mode_of(public.parent) == 0o755


def test_write_is_atomic_and_leaves_no_temp_files(store: LocalPhotoStore) -> None:
    key = object_key(DATA, visibility="private", ext="jpg")
    with mock.patch("os.link", side_effect=OSError("disk gone")), mock.patch(
        "os.replace", side_effect=OSError("disk gone")
    ):
        with pytest.raises(OSError):
            store.put(DATA, visibility="private", ext="jpg")
    assert not store.exists(key)
    assert not [p for p in store.root.rglob("*") if p.is_file()]  # the temp file was removed

    store.put(DATA, visibility="private", ext="jpg")
    assert [p.name for p in store.root.rglob("*") if p.is_file()] == [f"{DIGEST}.jpg"]


def test_partial_file_is_repaired_and_not_reported_as_created(store: LocalPhotoStore) -> None:
    key = store.put(DATA, visibility="private", ext="jpg").key
    (store.root / key).write_bytes(DATA[:5])  # e.g. written by something that was not atomic
    repaired = store.put(DATA, visibility="private", ext="jpg")
    assert not repaired.created
    assert store.get(key) == DATA


def test_without_hard_links_it_falls_back_to_replace(store: LocalPhotoStore) -> None:
    with mock.patch("os.link", side_effect=PermissionError("no hard links here")):
        stored = store.put(DATA, visibility="public", ext="jpg")
    assert stored.created and store.get(stored.key) == DATA


def test_concurrent_puts_of_the_same_bytes_create_it_once(store: LocalPhotoStore) -> None:
    data = os.urandom(256 * 1024)
    results: list[StoredObject] = []
    barrier = threading.Barrier(8)

    def put() -> None:
        barrier.wait()
        results.append(store.put(data, visibility="private", ext="jpg"))

    threads = [threading.Thread(target=put) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(result.created for result in results) == 1
    assert store.get(results[0].key) == data


def test_fsync_mode_writes_too(tmp_path: Path) -> None:
    durable = LocalPhotoStore(tmp_path, fsync=True)
    stored = durable.put(DATA, visibility="private", ext="png")
    assert durable.get(stored.key) == DATA


@pytest.mark.parametrize(
    "key",
    [
        "../etc/passwd",
        "/etc/passwd",
        "private/../../etc/passwd",
        f"private/{DIGEST[:2]}/{DIGEST[2:4]}/../../../../{DIGEST}.jpg",
        f"private/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg/..",
        f"secret/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg",
        f"private/00/00/{DIGEST}.jpg",  # folders must match the digest
        f"private/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}",
        f"private/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg\x00.png",
        f"PRIVATE/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg",
        "",
    ],
)
def test_keys_that_could_escape_the_root_are_refused(store: LocalPhotoStore, key: str) -> None:
    for method in (store.get, store.exists, store.delete, store.path_for):
        with pytest.raises(InvalidPhotoKey) as error:
            method(key)
        assert isinstance(error.value, ValidationFailed)


def test_symlinked_folder_pointing_outside_is_refused(store: LocalPhotoStore, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    (outside / DIGEST[2:4]).mkdir(parents=True)
    (outside / DIGEST[2:4] / f"{DIGEST}.jpg").write_bytes(b"someone else's file")
    (store.root / "private").mkdir(parents=True)
    (store.root / "private" / DIGEST[:2]).symlink_to(outside, target_is_directory=True)
    key = f"private/{DIGEST[:2]}/{DIGEST[2:4]}/{DIGEST}.jpg"

    with pytest.raises(InvalidPhotoKey):
        store.get(key)
    with pytest.raises(InvalidPhotoKey):
        store.put(DATA, visibility="private", ext="jpg")
    assert (outside / DIGEST[2:4] / f"{DIGEST}.jpg").read_bytes() == b"someone else's file"


def test_from_settings_uses_the_photos_dir(tmp_path: Path) -> None:
    store = LocalPhotoStore.from_settings(Settings(data_dir=tmp_path))
    assert store.root == (tmp_path / "photos").resolve()
    assert store.put(DATA, visibility="public", ext="jpg").created
