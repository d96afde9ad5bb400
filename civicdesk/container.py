"""Builds the process's services from settings. Everything is passed in from here; no globals."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

from accounts.client_keys import ClientKeys
from accounts.departments import DepartmentService
from accounts.links import ChannelLinks
from accounts.phone_codes import PhoneVerification
from accounts.service import AccountService
from accounts.verification import SendLimits, VerificationKeys
from complaints.service import ComplaintPolicy, ComplaintService
from complaints.storage import LocalPhotoStore, PhotoStore
from core.clock import Clock, SystemClock
from core.contacts import ContactKeys
from core.db import Database
from core.ids import new_token
from core.kit.bureau_time import BureauTime
from core.ratelimit import MemoryRateLimiter, RateLimiter, RedisRateLimiter
from core.settings import Settings
from knowledge.service import KnowledgeService, build_knowledge
from opendays.service import OpenDayPolicy, OpenDayService
from projects.service import ProjectService


@dataclass
class Services:
    settings: Settings
    clock: Clock
    db: Database
    photos: PhotoStore
    complaints: ComplaintService
    accounts: AccountService
    departments: DepartmentService
    opendays: OpenDayService
    limiter: RateLimiter
    links: ChannelLinks
    projects: ProjectService
    client_keys: ClientKeys
    phone_codes: PhoneVerification
    bureau_time: BureauTime = field(default_factory=BureauTime)
    redis: Any = None  # redis.asyncio.Redis when CIVICDESK_REDIS_URL is set
    contact_keys: ContactKeys = field(default_factory=lambda: ContactKeys(new_token()))
    extras: dict[str, Any] = field(default_factory=dict)

    @property
    def knowledge(self) -> KnowledgeService:
        """Policy answers; built on first use (the embedding model and Chroma load lazily inside)."""
        service = self.extras.get("knowledge")
        if service is None:
            service = self.extras["knowledge"] = build_knowledge(
                self.settings, self.db, clock=self.clock, categories=self.report_categories
            )
        return service

    async def report_categories(self) -> list[str]:
        """The active report category codes (what a policy answer may suggest reporting under)."""
        return [category.code for category in await self.complaints.categories()]

    async def aclose(self) -> None:
        if self.redis is not None:
            await self.redis.aclose()
        await self.db.dispose()


def build_services(settings: Settings, clock: Clock | None = None) -> Services:
    clock = clock or SystemClock()
    db = Database(settings.resolved_database_url, echo=settings.database_echo)
    photos = LocalPhotoStore(settings.resolved_photos_dir)
    contact_keys = ContactKeys(settings.resolved_secret_key())
    redis = None
    if settings.redis_url:
        from redis.asyncio import Redis

        redis = Redis.from_url(settings.redis_url)
    bureau_time = BureauTime.from_settings(settings)
    limiter: RateLimiter = RedisRateLimiter(redis) if redis is not None else MemoryRateLimiter()
    phone_limits = SendLimits(per_number=settings.phone_codes_per_number_per_hour,
                              per_client=settings.phone_codes_per_client_per_hour)
    return Services(
        settings=settings,
        clock=clock,
        db=db,
        photos=photos,
        complaints=ComplaintService(db, photos, ComplaintPolicy.from_settings(settings), clock, contact_keys),
        accounts=AccountService(db, clock),
        departments=DepartmentService(db, clock),
        opendays=OpenDayService(db, OpenDayPolicy.from_settings(settings), clock, contact_keys),
        limiter=limiter,
        links=ChannelLinks(db, clock, timedelta(minutes=settings.staff_link_code_minutes)),
        projects=ProjectService(db, clock, bureau_time),
        client_keys=ClientKeys(db, clock, settings.open311_api_keys),
        phone_codes=PhoneVerification(db, clock, VerificationKeys(settings.resolved_secret_key()), limiter,
                                      phone_limits, contact_keys),
        bureau_time=bureau_time,
        redis=redis,
        contact_keys=contact_keys,
    )
