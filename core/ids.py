"""Unguessable tokens and their stored hashes."""

from __future__ import annotations

import hashlib
import hmac
import secrets


def new_token(nbytes: int = 24) -> str:
    """A URL-safe random token (192 bits by default)."""
    return secrets.token_urlsafe(nbytes)


def token_hash(token: str) -> str:
    """Tokens are stored as sha256 so a leaked database does not leak working tokens."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def token_matches(token: str, stored_hash: str) -> bool:
    return secrets_equal(token_hash(token), stored_hash)


def secrets_equal(given: str | None, expected: str | None) -> bool:
    """Constant-time comparison of two secrets as UTF-8 bytes: `hmac.compare_digest` raises
    TypeError on non-ASCII str, and anyone can send a non-ASCII header or form field."""
    if given is None or expected is None:
        return False
    return hmac.compare_digest(given.encode("utf-8", "surrogateescape"), expected.encode("utf-8", "surrogateescape"))


def short_code(length: int = 6) -> str:
    """A short human-typeable code without look-alike characters (check-in codes and the like)."""
    alphabet = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
    return "".join(secrets.choice(alphabet) for _ in range(length))
