"""Aliyun's RPC-style API signature (signature version 1.0, HMAC-SHA1), as documented for every
RPC API (Dysmsapi's SendSms among them), pure and tested against the documentation's example.

1. Every parameter but `Signature`, sorted by name; names and values percent-encoded as UTF-8
   where only A-Z a-z 0-9 - _ . ~ stay as they are (a space is %20, never +; * is %2A);
   joined as `name=value` with `&`: the canonicalised query string.
2. StringToSign = METHOD & percentEncode("/") & percentEncode(canonicalised query string).
3. Signature = Base64(HMAC-SHA1(key = AccessKeySecret + "&", StringToSign)).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime
from urllib.parse import quote

SIGNATURE_METHOD, SIGNATURE_VERSION = "HMAC-SHA1", "1.0"


def percent_encode(value: str) -> str:
    return quote(value, safe="-_.~", encoding="utf-8")


def string_to_sign(method: str, params: Mapping[str, str]) -> str:
    canonical = "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items())
                         if k != "Signature")
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical)}"


def signature(secret: str, method: str, params: Mapping[str, str]) -> str:
    digest = hmac.new(f"{secret}&".encode(), string_to_sign(method, params).encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def timestamp(now: datetime) -> str:
    """ISO 8601 in UTC, as the API wants it: 2017-07-12T02:42:19Z."""
    return now.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def signed(action: str, version: str, access_key_id: str, secret: str, params: Mapping[str, str], *,
           method: str = "POST", now: datetime | None = None, nonce: str | None = None,
           region: str | None = None) -> dict[str, str]:
    """The request's parameters: the common ones (with a fresh nonce), `params` and the signature."""
    full = {
        "AccessKeyId": access_key_id, "Action": action, "Format": "JSON", "SignatureMethod": SIGNATURE_METHOD,
        "SignatureNonce": nonce or uuid.uuid4().hex, "SignatureVersion": SIGNATURE_VERSION,
        "Timestamp": timestamp(now or datetime.now(UTC)), "Version": version, **params,
    }
    if region:
        full["RegionId"] = region
    full["Signature"] = signature(secret, method, full)
    return full
