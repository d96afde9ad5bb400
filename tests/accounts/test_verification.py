"""The one-time code rules (accounts/verification.py): pure, no database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from accounts import verification as v
from core.errors import TooManyRequests, ValidationFailed
from core.ratelimit import MemoryRateLimiter

NOW = datetime(2026, 3, 10, 2, 0, tzinfo=UTC)
KEYS = v.VerificationKeys("test-secret")


def test_codes_are_six_digits_and_vary() -> None:
    codes = {v.new_code() for _ in range(200)}
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(codes) > 150  # from secrets, not a constant or a clock


def test_typed_codes_are_cleaned_or_refused() -> None:
    assert v.clean_code(" 123 456 ") == "123456"
    assert v.clean_code("１２３４５６") == "123456"
    for bad in ("12345", "1234567", "12a456", "", "١٢٣٤٥٦"):
        with pytest.raises(ValidationFailed):
            v.clean_code(bad)


def test_only_mobiles_receive_codes() -> None:
    assert v.mobile("+86 138-0013-8000") == v.mobile("13800138000") == "13800138000"
    for bad in ("12345", "0571-87654321", "abc", ""):
        with pytest.raises(ValidationFailed):
            v.mobile(bad)


def test_hashes_are_keyed_and_bound_to_number_and_purpose() -> None:
    h = KEYS.code_hash("13800138000", v.MY_REPORTS, "123456")
    assert h != KEYS.code_hash("13800138001", v.MY_REPORTS, "123456")
    assert h != KEYS.code_hash("13800138000", v.REGISTRATION, "123456")
    assert h != v.VerificationKeys("other-secret").code_hash("13800138000", v.MY_REPORTS, "123456")
    assert "13800138000" not in KEYS.phone_hash("13800138000") and len(KEYS.phone_hash("13800138000")) == 64


def test_check_outcomes() -> None:
    right = KEYS.code_hash("13800138000", v.MY_REPORTS, "123456")
    wrong = KEYS.code_hash("13800138000", v.MY_REPORTS, "654321")
    pending = v.Pending(right, NOW + v.CODE_TTL, attempts=0)
    assert v.check(pending, right, NOW) is v.Outcome.OK
    assert v.check(pending, wrong, NOW) is v.Outcome.WRONG and v.attempts_left(pending) == 4
    assert v.check(None, right, NOW) is v.Outcome.NONE
    assert v.check(pending, right, NOW + v.CODE_TTL) is v.Outcome.EXPIRED
    # the fifth wrong try locks; after it even the right code is refused
    assert v.check(v.Pending(right, NOW + v.CODE_TTL, 3), wrong, NOW) is v.Outcome.WRONG
    assert v.check(v.Pending(right, NOW + v.CODE_TTL, 4), wrong, NOW) is v.Outcome.LOCKED
    assert v.check(v.Pending(right, NOW + v.CODE_TTL, 4), right, NOW) is v.Outcome.OK
    assert v.check(v.Pending(right, NOW + v.CODE_TTL, 5), right, NOW) is v.Outcome.LOCKED


def test_refusals_are_bilingual_with_codes() -> None:
    wrong = v.refusal(v.Outcome.WRONG, 3)
    assert wrong.code == "code_wrong" and "3" in wrong.message_zh and "3 tries" in wrong.message_en
    assert v.refusal(v.Outcome.EXPIRED).code == "code_expired"
    assert v.refusal(v.Outcome.LOCKED).code == "code_locked"


def test_proofs_are_sealed_bound_and_expire() -> None:
    sealed = KEYS.seal_proof(v.Proof("13800138000", v.MY_REPORTS, NOW + v.PROOF_TTL, "cookie-a"))
    assert "13800138000" not in sealed
    assert KEYS.open_proof(sealed, purpose=v.MY_REPORTS, binding="cookie-a", now=NOW) == "13800138000"
    assert KEYS.open_proof(sealed, purpose=v.MY_REPORTS, binding="cookie-b", now=NOW) is None
    assert KEYS.open_proof(sealed, purpose=v.REGISTRATION, binding="cookie-a", now=NOW) is None
    assert KEYS.open_proof(sealed, purpose=v.MY_REPORTS, binding="cookie-a", now=NOW + v.PROOF_TTL) is None
    assert v.VerificationKeys("other").open_proof(sealed, purpose=v.MY_REPORTS, binding="cookie-a", now=NOW) is None
    tampered = sealed[:-4] + ("AAAA" if not sealed.endswith("AAAA") else "BBBB")
    for bad in (tampered, "", None, "not base64 !", "x" * 600):
        assert KEYS.open_proof(bad, purpose=v.MY_REPORTS, binding="cookie-a", now=NOW) is None


async def test_send_limits_per_client_and_per_number() -> None:
    now = [0.0]
    limiter = MemoryRateLimiter(now=lambda: now[0])
    limits = v.SendLimits(per_number=2, per_client=3)
    for _ in range(2):
        await v.check_send_limits(limiter, limits, phone_hash="n1", client="c1")
    with pytest.raises(TooManyRequests) as number_over:
        await v.check_send_limits(limiter, limits, phone_hash="n1", client="c2")
    assert number_over.value.retry_after == 3600 and "one number" in number_over.value.message_en
    await v.check_send_limits(limiter, limits, phone_hash="n2", client="c1")  # the client's third
    with pytest.raises(TooManyRequests) as client_over:
        await v.check_send_limits(limiter, limits, phone_hash="n3", client="c1")
    assert "one address" in client_over.value.message_en
    now[0] = 3600.0  # a new window
    await v.check_send_limits(limiter, limits, phone_hash="n1", client="c1")
    await v.check_send_limits(limiter, v.SendLimits(0, 0), phone_hash="n1", client="c1")  # 0: off
