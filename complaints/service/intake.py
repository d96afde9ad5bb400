"""Intake: a citizen's report and its photos become a numbered report, with duplicate candidates."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Table, Text, bindparam, cast, func, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

from core import contacts
from core.clock import Clock
from core.db import Database, DriverTransaction
from core.errors import ValidationFailed
from core.fastwrite import Children, insert_family
from core.ids import new_token, token_hash
from core.kit.language import normalize_language
from core.phones import normalize_phone
from core.prepared import PreparedStatement

from .. import custody
from ..geo import bounding_box, haversine_m
from ..models import DuplicateCandidate, Photo, Report, ReportEvent, TrackingCounter
from ..photos import ProcessedPhoto, check_photo
from ..policy import ComplaintPolicy
from ..schemas import CategoryOut, PhotoUpload, ReportInput, SubmitResult
from ..storage import PhotoStore
from ..workflow import OPEN_STATUSES, Status
from .records import REPORTER, CategoryBook, event_values

# A busy site can draw many reports; staff need the nearest recent ones, not all of them.
MAX_DUPLICATE_CANDIDATES = 50


class Intake:
    def __init__(
        self, db: Database, store: PhotoStore, policy: ComplaintPolicy, clock: Clock, categories: CategoryBook,
        contact_keys: contacts.ContactKeys,
    ):
        self.db = db
        self.store = store
        self.policy = policy
        self.clock = clock
        self.categories = categories
        self.contact_keys = contact_keys

    async def submit(self, data: ReportInput, photos: Sequence[PhotoUpload | ProcessedPhoto] = ()) -> SubmitResult:
        """Store a report and its photos as one unit: on any failure nothing half-written remains.

        Photos are raw uploads, or ones a channel already ran through `process_photo` when they
        arrived (the bot checks each photo as it comes, so it is not decoded twice)."""
        self.check_photo_count(len(photos))
        category = await self.categories.ref(data.category)
        # One photo at a time: a request holds at most one decoded image (see PhotoDecoder).
        processed = [await self.processed(p) for p in photos]
        created_keys: list[str] = []
        try:
            blobs = [b for p in processed for b in await asyncio.to_thread(self.store_photo, p, created_keys)]
            stored = [(blobs[i].key, blobs[i + 1].key) for i in range(0, len(blobs), 2)]
            token = new_token()
            # Prepared statements on the driver connection (core.prepared): SQLAlchemy's execution
            # layer was two fifths of a submission's event-loop time, and on aiosqlite each
            # statement was four thread hand-offs instead of one.
            async with self.db.transaction() as tx:
                # Locks the photos' keys and puts back any that a failed twin deleted meanwhile.
                await custody.hold(tx, self.store, blobs)
                now = self.clock.now()
                candidates = await self._duplicate_rows(tx, category.id, data, now)
                # Last: the number (on PostgreSQL the counter's row stays locked until commit,
                # and every submission waits for it), with every row of the report.
                report = await self._insert_report(tx, data, category, processed, stored, token, now, candidates)
            return SubmitResult(
                tracking_number=report.tracking_number,
                status=Status.SUBMITTED.value,
                status_token=token,
                acceptance_due_at=report.acceptance_due_at,
                photo_count=len(processed),
                duplicate_candidates=len(candidates),
            )
        except BaseException:
            # Files this submission created, unless a committed report uses the same bytes.
            await asyncio.shield(custody.discard_unreferenced(self.db, self.store, created_keys))
            raise

    def _contact_rows(self, data: ReportInput, token: str, language: str, now: datetime) -> list[dict[str, Any]]:
        """Where the reporter asked to be told (rows without the report's id). A mobile number is
        kept as a contact even without SMS updates (it lets its owner find their reports by a code
        sent to it), unless the report is anonymous and no updates were asked for."""
        common = {"subject": contacts.REPORT, "token": token, "language": language, "now": now}
        rows = []
        if data.contact_email and data.notify_email:
            rows.append(contacts.values(self.contact_keys, channel=contacts.EMAIL, address=data.contact_email,
                                        notify=True, **common))
        mobile = contacts.mobile_or_none(data.contact_phone)
        if mobile and (data.notify_sms or not data.anonymous):
            rows.append(contacts.values(self.contact_keys, channel=contacts.SMS, address=mobile,
                                        notify=data.notify_sms, **common))
        return rows

    def check_photo_count(self, count: int) -> None:
        """Channels call this before reading the photos' bytes, and submit() again."""
        if count > self.policy.max_photos:
            raise ValidationFailed(
                f"每份举报最多上传 {self.policy.max_photos} 张照片，本次收到 {count} 张",
                f"At most {self.policy.max_photos} photos per report; got {count}",
                code="too_many_photos",
            )

    async def processed(self, photo: PhotoUpload | ProcessedPhoto) -> ProcessedPhoto:
        if isinstance(photo, ProcessedPhoto):
            return photo
        return await check_photo(photo.data, self.policy.photo_limits, photo.filename)

    def store_photo(self, photo: ProcessedPhoto, created: list[str]) -> list[custody.PhotoBlob]:
        original = self.store.put(photo.original, visibility="private", ext=photo.original_format,
                                  sha256=photo.original_sha256)
        if original.created:
            created.append(original.key)
        public = self.store.put(photo.public, visibility="public", ext="jpg", sha256=photo.public_sha256)
        if public.created:
            created.append(public.key)
        return [
            custody.PhotoBlob(original.key, photo.original, "private", photo.original_format, photo.original_sha256),
            custody.PhotoBlob(public.key, photo.public, "public", "jpg", photo.public_sha256),
        ]

    async def _insert_report(
        self,
        tx: DriverTransaction,
        data: ReportInput,
        category: CategoryOut,
        processed: Sequence[ProcessedPhoto],
        stored: Sequence[tuple[str, str]],
        token: str,
        now: datetime,
        candidates: list[dict[str, Any]],
    ) -> NewReport:
        """The report numbered, with its photos, first events, duplicate candidates and contacts,
        as prepared inserts (`core.fastwrite`): one statement on PostgreSQL, the number taken in it
        by the counter's upsert. Through the ORM's flush this was three INSERT ... RETURNING
        statements and the unit of work's bookkeeping, and the number an UPDATE of the new row
        (every index of reports written twice)."""
        hint = next((p.gps for p in processed if p.gps), None) if data.lat is None else None
        anonymous = data.anonymous
        language, due = normalize_language(data.language), self.policy.deadlines.acceptance_due(now)
        values = {
            "category_id": category.id,
            "description": data.description,
            "address": data.address,
            "lat": data.lat,
            "lon": data.lon,
            "hint_lat": hint[0] if hint else None,
            "hint_lon": hint[1] if hint else None,
            "channel": data.channel.value,
            "reporter_channel_id": data.reporter_channel_id,
            "reporter_name": None if anonymous else data.contact_name,
            "reporter_phone": None if anonymous else data.contact_phone,
            "reporter_phone_digits": None if anonymous else normalize_phone(data.contact_phone),
            "anonymous": anonymous,
            "language": language,
            "status": Status.SUBMITTED.value,
            "priority": "normal",
            "department_id": category.department_id,
            "status_token_hash": token_hash(token),
            "created_at": now,
            "updated_at": now,
            "acceptance_due_at": due,
            "extension_days": 0,
        }
        events = [event_values("created", REPORTER, now, to_value=Status.SUBMITTED.value)]
        if data.intake_note:
            events.append(event_values("note", data.channel.value, now, note=data.intake_note))
        children = [
            Children(_PHOTOS, "report_id", self.photo_values(processed, stored, 1, now)),
            Children(_EVENTS, "report_id", events),
            Children(_CANDIDATES, "report_id", candidates),
            Children(_CONTACTS, "subject_id", self._contact_rows(data, token, language, now)),
        ]
        year = self.policy.bureau_time.year(now)
        if tx.is_sqlite:  # the write lock is held since BEGIN IMMEDIATE: the order does not matter
            values["tracking_number"] = _format_number(year, await tx.scalar(_NEXT_NUMBER, year=year))
            row = await insert_family(tx, _REPORTS, values, children, returning=("id", "tracking_number"))
        else:
            row = await insert_family(tx, _REPORTS, values, children, returning=("id", "tracking_number"),
                                      sql_values={"tracking_number": _PG_NUMBER},
                                      sql_params={"year": year, "prefix": f"{year}-"})
        return NewReport(id=row.id, tracking_number=row.tracking_number, acceptance_due_at=due)

    @staticmethod
    def photo_values(processed: Sequence[ProcessedPhoto], stored: Sequence[tuple[str, str]], first: int,
                     now: datetime) -> list[dict[str, Any]]:
        """The photo rows' columns (but report_id) of processed and stored photos, numbered from
        `first` (a supplement's photos follow the report's)."""
        return [
            {
                "position": first + i,
                "filename": photo.filename,
                "original_key": original_key,
                "original_mime": photo.original_mime,
                "original_sha256": photo.original_sha256,
                "original_size": len(photo.original),
                "public_key": public_key,
                "width": photo.width,
                "height": photo.height,
                "gps_lat": photo.gps[0] if photo.gps else None,
                "gps_lon": photo.gps[1] if photo.gps else None,
                "taken_at": photo.taken_at,
                "created_at": now,
            }
            for i, (photo, (original_key, public_key)) in enumerate(zip(processed, stored, strict=True))
        ]

    @classmethod
    def photo_rows(cls, processed: Sequence[ProcessedPhoto], stored: Sequence[tuple[str, str]], first: int,
                   now: datetime) -> list[Photo]:
        return [Photo(**values) for values in cls.photo_values(processed, stored, first, now)]

    async def _duplicate_rows(self, tx: DriverTransaction, category_id: int, data: ReportInput,
                              now: datetime) -> list[dict[str, Any]]:
        """Earlier open reports of the same category nearby and recent, as candidate rows (without
        the new report's id: they are inserted with it). Only ids and points are read."""
        if data.lat is None or data.lon is None:
            return []
        radius = self.policy.duplicate_radius_m
        min_lat, max_lat, min_lon, max_lon = bounding_box(data.lat, data.lon, radius)
        since = now - timedelta(days=self.policy.duplicate_window_days)
        rows = await tx.fetch(_NEARBY, category_id=category_id, since=since,
                              min_lat=min_lat, max_lat=max_lat, min_lon=min_lon, max_lon=max_lon)
        candidates = []
        for other_id, lat, lon in rows:
            distance = haversine_m(data.lat, data.lon, lat, lon)
            if distance <= radius:
                candidates.append({"candidate_id": other_id, "distance_m": round(distance, 1), "created_at": now})
        return candidates


@dataclass(frozen=True)
class NewReport:
    """What the rest of a submission needs of the report it inserted."""

    id: int
    tracking_number: str
    acceptance_due_at: datetime


_REPORTS: Table = Report.__table__  # type: ignore[assignment]
_PHOTOS: Table = Photo.__table__  # type: ignore[assignment]
_EVENTS: Table = ReportEvent.__table__  # type: ignore[assignment]
_COUNTERS: Table = TrackingCounter.__table__  # type: ignore[assignment]
_CANDIDATES: Table = DuplicateCandidate.__table__  # type: ignore[assignment]
_CONTACTS: Table = contacts.Contact.__table__  # type: ignore[assignment]


def _format_number(year: int, last: int) -> str:
    return f"{year}-{last:06d}"


def _next_number(insert_for: Any) -> Any:
    return (insert_for(_COUNTERS).values(year=bindparam("year"), last=1)
            .on_conflict_do_update(index_elements=[_COUNTERS.c.year], set_={"last": _COUNTERS.c.last + 1})
            .returning(_COUNTERS.c.last))


def _pg_number() -> Any:
    """PostgreSQL: the report's number from the counter's upsert (a CTE of the report's insert),
    formatted as `_format_number` does: at least six digits, zero-padded."""
    counter = _next_number(pg_insert).cte("counter")
    digits = cast(select(counter.c.last).scalar_subquery(), Text)
    return bindparam("prefix", type_=Text) + func.lpad(digits, func.greatest(6, func.length(digits)), "0")


# Prepared statements (core.prepared), on the tables: compiled once per dialect.
_NEXT_NUMBER = PreparedStatement(_next_number(sqlite_insert))
_PG_NUMBER = _pg_number()  # built once: the family statement's cache knows it by identity
_NEARBY = PreparedStatement(
    select(_REPORTS.c.id, _REPORTS.c.lat, _REPORTS.c.lon)
    .where(
        _REPORTS.c.category_id == bindparam("category_id"),
        _REPORTS.c.created_at >= bindparam("since"),
        _REPORTS.c.status.in_([s.value for s in OPEN_STATUSES]),
        _REPORTS.c.merged_into_id.is_(None),
        _REPORTS.c.lat.between(bindparam("min_lat"), bindparam("max_lat")),
        _REPORTS.c.lon.between(bindparam("min_lon"), bindparam("max_lon")),
    )
    .order_by(_REPORTS.c.created_at.desc())
    .limit(MAX_DUPLICATE_CANDIDATES)
)
