"""A failed submission never deletes a photo another report committed; the sweep removes what no
row references (after a grace period) and stale temp files, and nothing else."""

from __future__ import annotations

import asyncio
import os
import time

import pytest
from sqlalchemy import select

from civicdesk.container import Services
from complaints import custody
from complaints.models import Photo
from complaints.schemas import PhotoUpload, ReportInput
from core.errors import ValidationFailed
from tests.imaging import jpeg

PAIRS = 30


def _report(i: int, description: str) -> ReportInput:
    return ReportInput(category="dust", description=description, address=f"城东工地 {i} 号")


async def _all_photo_keys(services: Services) -> set[str]:
    async with services.db.session() as session:
        rows = (await session.execute(select(Photo.original_key, Photo.public_key))).all()
    return {key for row in rows for key in row}


def _stored_keys(services: Services) -> set[str]:
    return set(services.photos.keys_older_than(float("inf")))


async def test_a_failed_twin_never_deletes_a_committed_reports_photo(services: Services) -> None:
    """30 pairs with the same photo; one of each pair fails after storing (a NUL byte the database
    refuses). Every committed report's photos are readable afterwards, and no file is left over."""
    photos = [jpeg(96, 64, color=(i * 8 % 256, 40, 90)) for i in range(PAIRS)]

    async def submit(i: int, fail: bool) -> str | None:
        text = "夜里扬尘很大\x00" if fail else "夜里扬尘很大，没有洒水"
        try:
            result = await services.complaints.submit(_report(i, text), [PhotoUpload(photos[i], "a.jpg")])
        except ValidationFailed as exc:
            assert fail and exc.code == "text_nul"
            return None
        return result.tracking_number

    results = await asyncio.gather(*(submit(i, fail) for i in range(PAIRS) for fail in (True, False)))

    assert sum(r is not None for r in results) == PAIRS
    referenced = await _all_photo_keys(services)
    assert len(referenced) == 2 * PAIRS
    for key in referenced:
        assert services.photos.get(key)  # readable
    assert _stored_keys(services) == referenced  # the failed twins left nothing behind


async def test_hold_puts_back_a_file_deleted_before_commit(services: Services) -> None:
    """The other order of the race: the failed twin's cleanup ran between this submission's
    put and its transaction; the submission stores the file again before committing."""
    data = jpeg(80, 60)
    stored = services.photos.put(data, visibility="private", ext="jpeg")
    services.photos.delete(stored.key)
    async with services.db.write_session() as session:
        await custody.hold(session, services.photos, [custody.PhotoBlob(stored.key, data, "private", "jpeg")])
    assert services.photos.get(stored.key) == data


async def test_sweep_removes_only_old_unreferenced_files_and_stale_temp_files(services: Services) -> None:
    kept = await services.complaints.submit(_report(1, "围挡倒了，扬尘很大"), [PhotoUpload(jpeg(90, 70), "k.jpg")])
    assert kept.photo_count == 1
    referenced = await _all_photo_keys(services)
    old_orphan = services.photos.put(jpeg(50, 40, color=(1, 2, 3)), visibility="private", ext="jpeg").key
    new_orphan = services.photos.put(jpeg(50, 40, color=(3, 2, 1)), visibility="public", ext="jpg").key
    temp = services.photos.root / old_orphan.rsplit("/", 1)[0] / ".tmp-crashed.jpeg"
    temp.write_bytes(b"half a photo")
    hour_ago = time.time() - 3600
    for path in (services.photos.root / old_orphan, temp, *(services.photos.root / k for k in referenced)):
        os.utime(path, (hour_ago, hour_ago))

    result = await custody.sweep(services.db, services.photos, grace_s=600)

    assert result.deleted == 1 and result.temp_deleted == 1
    assert not services.photos.exists(old_orphan) and not temp.exists()
    assert services.photos.exists(new_orphan)  # within the grace period: may be a submission in flight
    assert all(services.photos.exists(k) for k in referenced)
    assert _stored_keys(services) == referenced | {new_orphan}


@pytest.mark.parametrize("grace", [0])
async def test_sweep_with_no_grace_keeps_every_referenced_file(services: Services, grace: int) -> None:
    await services.complaints.submit(_report(2, "工地夜间施工"), [PhotoUpload(jpeg(70, 70), "x.jpg")])
    result = await custody.sweep(services.db, services.photos, grace_s=grace, now=time.time() + 1)
    assert result.deleted == 0
    assert _stored_keys(services) == await _all_photo_keys(services)
