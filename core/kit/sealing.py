"""Sealing short values with AES-GCM under a key derived from the app secret: one nonce-plus-ciphertext
format (URL-safe base64) for every sealed token, proof or cookie, so the crypto is written once."""

from __future__ import annotations

import base64
import hashlib
import hmac
import os

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

NONCE_BYTES = 12


def derive_key(secret: str, domain: str, label: bytes) -> bytes:
    """A 32-byte key for one use (`label`) of one domain, from the app secret."""
    root = hashlib.sha256(f"{domain}|{secret}".encode()).digest()
    return hmac.new(root, label, hashlib.sha256).digest()


def seal(key: bytes, data: bytes, aad: bytes) -> str:
    nonce = os.urandom(NONCE_BYTES)
    return base64.urlsafe_b64encode(nonce + AESGCM(key).encrypt(nonce, data, aad)).decode()


def unseal(key: bytes, sealed: str, aad: bytes) -> bytes | None:
    """The sealed bytes, or None when the text is damaged, forged or sealed under another key."""
    try:
        raw = base64.urlsafe_b64decode(sealed.encode())
        return AESGCM(key).decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
    except (InvalidTag, ValueError):
        return None
