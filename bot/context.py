"""What the handlers get besides the update: the services and the bot's own helpers."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiogram import Bot
from aiogram.types import CallbackQuery, Message

from civicdesk.container import Services
from complaints.service import ComplaintService
from core.settings import Settings
from knowledge.service import KnowledgeService

from conversations.photos import PhotoIntake
from conversations.report import FLOW_TTL, ReportConversation
from core.conversation import StateAccess

from .i18n import Texts
from .photos import AlbumCollector, photo_source
from .users import BotUsers


@dataclass
class BotContext:
    services: Services
    users: BotUsers
    intake: PhotoIntake
    albums: AlbumCollector
    flow_ttl: timedelta = FLOW_TTL
    _photo_locks: dict[int, asyncio.Lock] = field(default_factory=dict, repr=False)

    @classmethod
    def build(cls, services: Services, *, album_delay: float = 0.8) -> BotContext:
        return cls(
            services=services,
            users=BotUsers(services.db, services.clock, services.settings.default_language),
            intake=PhotoIntake(services.complaints.policy.photo_limits),
            albums=AlbumCollector(album_delay),
        )

    @property
    def settings(self) -> Settings:
        return self.services.settings

    @property
    def complaints(self) -> ComplaintService:
        return self.services.complaints

    @property
    def knowledge(self) -> KnowledgeService:
        return self.services.knowledge

    def now(self) -> datetime:
        return self.services.clock.now()

    def local_date(self, value: datetime) -> str:
        """A date in the bureau's time zone, as people read it."""
        return self.services.bureau_time.date_text(value)

    def report(self, state: StateAccess, tr: Texts, bot: Bot) -> ReportConversation:
        """The channel-neutral report flow over this person's aiogram FSM state."""
        return ReportConversation(
            state, tr, self.complaints, self.now, self.local_date, photo_source(self.intake, bot)
        )

    def photo_lock(self, user_id: int) -> asyncio.Lock:
        """Serialises changes to one person's photos (an album is taken in apart from its updates)."""
        lock = self._photo_locks.get(user_id)
        if lock is None:
            if len(self._photo_locks) > 10_000:
                self._photo_locks = {k: v for k, v in self._photo_locks.items() if v.locked()}
            lock = self._photo_locks[user_id] = asyncio.Lock()
        return lock

    async def aclose(self) -> None:
        await self.albums.close()


def chat_id_of(event: Message | CallbackQuery) -> int:
    """The chat to answer in (a callback's message may be too old for Telegram to return it)."""
    if isinstance(event, Message):
        return event.chat.id
    if event.message is not None:
        return event.message.chat.id
    return event.from_user.id
