"""Sending and checking one-time codes (the rules are in `accounts/verification.py`).

One pending code per number and purpose (a new one replaces it). The code row holds keyed hashes
only; the number itself goes to the SMS contact the message is sent to (`send` below, the outbox
and `core/contacts.py`), never into this table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Integer, String, UniqueConstraint, delete, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from core.clock import Clock, as_utc
from core.contacts import ContactKeys
from core.db import Base, Database
from core.errors import ValidationFailed
from core.ratelimit import RateLimiter

from . import verification as rules
from .messages import send_phone_code
from .verification import Outcome, Pending, Proof, SendLimits, VerificationKeys


class PendingCode(Base):
    __tablename__ = "phone_codes"
    __table_args__ = (UniqueConstraint("phone_hash", "purpose", name="uq_phone_codes_phone_purpose"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    phone_hash: Mapped[str] = mapped_column(String(64))
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]


class PhoneVerification:
    def __init__(self, db: Database, clock: Clock, keys: VerificationKeys, limiter: RateLimiter,
                 limits: SendLimits, contact_keys: ContactKeys):
        self.db = db
        self.clock = clock
        self.keys = keys
        self.limiter = limiter
        self.limits = limits
        self.contact_keys = contact_keys

    async def request_code(self, raw_phone: str, purpose: str, client: str, language: str = "zh") -> datetime:
        """Send a new code to the number (replacing a pending one); when it expires. The same
        answer whether or not the number has reports or registrations."""
        phone = rules.mobile(raw_phone)
        rules.check_purpose(purpose)
        phone_hash = self.keys.phone_hash(phone)
        await rules.check_send_limits(self.limiter, self.limits, phone_hash=phone_hash, client=client)
        now = self.clock.now()
        try:
            return await self._store_and_send(phone, phone_hash, purpose, now, language)
        except IntegrityError:  # two requests for one number at once: the other one's insert won
            return await self._store_and_send(phone, phone_hash, purpose, now, language)

    async def _store_and_send(self, phone: str, phone_hash: str, purpose: str, now: datetime, language: str) -> datetime:
        code = rules.new_code()
        expires = now + rules.CODE_TTL
        async with self.db.write_session() as session:
            await session.execute(delete(PendingCode).where(PendingCode.phone_hash == phone_hash,
                                                            PendingCode.purpose == purpose))
            session.add(PendingCode(phone_hash=phone_hash, purpose=purpose,
                                    code_hash=self.keys.code_hash(phone, purpose, code), attempts=0,
                                    created_at=now, expires_at=expires))
            await session.flush()
            await send_phone_code(session, self.contact_keys, phone=phone, code=code,
                                  minutes=int(rules.CODE_TTL.total_seconds() // 60), now=now, language=language)
        return expires

    async def verify(self, raw_phone: str, purpose: str, raw_code: str, binding: str) -> tuple[str, str, datetime]:
        """Check a code; on success the code is used up and the sealed proof returned with the number
        and its expiry. CodeRefused (wrong with the tries left, expired, locked, none) otherwise."""
        phone = rules.mobile(raw_phone)
        rules.check_purpose(purpose)
        code = rules.clean_code(raw_code)
        now = self.clock.now()
        phone_hash = self.keys.phone_hash(phone)
        async with self.db.write_session() as session:
            row = await session.scalar(
                select(PendingCode).where(PendingCode.phone_hash == phone_hash, PendingCode.purpose == purpose)
                .with_for_update())
            pending = Pending(row.code_hash, as_utc(row.expires_at), row.attempts) if row else None
            outcome = rules.check(pending, self.keys.code_hash(phone, purpose, code), now)
            if outcome is Outcome.OK:
                await session.delete(row)
            elif outcome in (Outcome.WRONG, Outcome.LOCKED) and row is not None and row.attempts < rules.MAX_ATTEMPTS:
                row.attempts += 1
        if outcome is not Outcome.OK:
            raise rules.refusal(outcome, rules.attempts_left(pending) if pending else 0)
        expires = now + rules.PROOF_TTL
        return self.keys.seal_proof(Proof(phone, purpose, expires, binding)), phone, expires

    def verified_phone(self, sealed: str | None, purpose: str, binding: str) -> str | None:
        """The number a proof shows verified (for this purpose and holder, not expired), else None."""
        return self.keys.open_proof(sealed, purpose=purpose, binding=binding, now=self.clock.now())

    def proves(self, sealed: str | None, purpose: str, binding: str, raw_phone: str | None) -> bool:
        """Whether a proof shows `raw_phone` (as typed) verified for this purpose and holder."""
        verified = self.verified_phone(sealed, purpose, binding)
        if verified is None:
            return False
        try:
            return rules.mobile(raw_phone) == verified
        except ValidationFailed:
            return False

    async def sweep(self) -> int:
        """Delete codes that expired (a periodic job may call it; expired codes never verify anyway)."""
        async with self.db.write_session() as session:
            result = await session.execute(delete(PendingCode).where(PendingCode.expires_at < self.clock.now()))
            return result.rowcount or 0
