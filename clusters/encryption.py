"""Encryption at rest for cluster secrets (SASL passwords), with Fernet.

FIELD_ENCRYPTION_KEY holds one or more comma-separated Fernet keys: the first
encrypts, all decrypt, so keys can be rotated without losing stored secrets.
"""

from __future__ import annotations

import base64
import hashlib
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


class SecretUnreadable(Exception):
    """A stored secret cannot be decrypted with the configured keys."""


@lru_cache(maxsize=4)
def _fernet(raw_keys: str, fallback_seed: str) -> MultiFernet:
    keys = [k.strip() for k in raw_keys.split(",") if k.strip()]
    if not keys:
        # Development only (settings refuse an empty key outside DEBUG).
        keys = [base64.urlsafe_b64encode(hashlib.sha256(fallback_seed.encode()).digest()).decode()]
    try:
        return MultiFernet([Fernet(k.encode()) for k in keys])
    except ValueError as exc:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be Fernet keys (32 url-safe base64-encoded bytes), "
            "comma-separated; generate one with Fernet.generate_key()."
        ) from exc


def _box() -> MultiFernet:
    return _fernet(settings.FIELD_ENCRYPTION_KEY, settings.SECRET_KEY)


def encrypt_secret(plain: str) -> str:
    """Ciphertext for a secret; "" stays "" so "no password" needs no key."""
    if not plain:
        return ""
    return _box().encrypt(plain.encode()).decode()


def decrypt_secret(token: str) -> str:
    if not token:
        return ""
    try:
        return _box().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise SecretUnreadable(
            "A stored secret cannot be decrypted: FIELD_ENCRYPTION_KEY changed. Restore the old key "
            "(list it after the new one to rotate) or enter the password again."
        ) from exc
