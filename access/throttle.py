"""Login throttling: failed sign-ins are counted per username and per client address in a
shared cache (Redis, so every web process sees the same counts); past a limit, sign-ins for
that username or from that address are refused for a cool-down, even with the right password.

Settings: LOGIN_THROTTLE_CACHE (cache alias), LOGIN_THROTTLE_USER_FAILURES,
LOGIN_THROTTLE_ADDRESS_FAILURES, LOGIN_THROTTLE_WINDOW_S, LOGIN_THROTTLE_LOCKOUT_S.
"""

from __future__ import annotations

import hashlib
import ipaddress
import logging
import math
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import BaseCache, caches
from redis.exceptions import RedisError

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Lockout:
    """Sign-ins refused for `retry_after_s` more seconds because of `scope` ("username" or "address")."""

    scope: str
    retry_after_s: int

    @property
    def minutes(self) -> int:
        return max(1, math.ceil(self.retry_after_s / 60))

    @property
    def message(self) -> str:
        unit = "minute" if self.minutes == 1 else "minutes"
        return f"Too many failed sign-ins; try again in {self.minutes} {unit}."


def _cache() -> BaseCache:
    return caches[getattr(settings, "LOGIN_THROTTLE_CACHE", "default")]


def _user_key(username: str) -> str:
    # Hashed: usernames may hold characters a cache key may not, and the key reveals nothing.
    digest = hashlib.sha256(username.strip().casefold().encode()).hexdigest()[:32]
    return f"u:{digest}"


def _address_key(address: str) -> str:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return f"a:{hashlib.sha256(address.encode()).hexdigest()[:32]}"
    # One IPv6 host owns a whole /64, so counting single addresses would be trivial to dodge.
    network = ipaddress.ip_network(f"{ip}/64", strict=False) if ip.version == 6 else ip
    return f"a:{network}"


def _subjects(username: str, address: str) -> list[tuple[str, str, int]]:
    """(scope, key, failure limit) for what a sign-in attempt is counted against."""
    subjects = []
    if username.strip():
        subjects.append(("username", _user_key(username), settings.LOGIN_THROTTLE_USER_FAILURES))
    if address:
        subjects.append(("address", _address_key(address), settings.LOGIN_THROTTLE_ADDRESS_FAILURES))
    return subjects


def login_locked(*, username: str, address: str) -> Lockout | None:
    """The lockout in force for this username or address, or None when a sign-in may be tried."""
    subjects = _subjects(username, address)
    try:
        until = _cache().get_many([f"lock:{key}" for _, key, _ in subjects])
    except (RedisError, OSError) as exc:
        # Fail open: the password check still stands, and sign-in must not depend on Redis.
        log.error("Login throttle store unavailable, sign-in not throttled: %s", exc)
        return None
    now = time.time()
    worst: Lockout | None = None
    for scope, key, _ in subjects:
        left = math.ceil(float(until.get(f"lock:{key}", 0)) - now)
        if left > 0 and (worst is None or left > worst.retry_after_s):
            worst = Lockout(scope=scope, retry_after_s=left)
    return worst


def login_failed(*, username: str, address: str) -> Lockout | None:
    """Count one failed sign-in; returns the lockout it started, if it reached a limit."""
    cache = _cache()
    window = settings.LOGIN_THROTTLE_WINDOW_S
    lockout_s = settings.LOGIN_THROTTLE_LOCKOUT_S
    started: Lockout | None = None
    try:
        for scope, key, limit in _subjects(username, address):
            counter = f"fail:{key}"
            cache.add(counter, 0, timeout=window)
            try:
                count = cache.incr(counter)
            except ValueError:  # expired between add and incr
                cache.set(counter, 1, timeout=window)
                count = 1
            if count >= limit:
                cache.set(f"lock:{key}", time.time() + lockout_s, timeout=lockout_s)
                cache.delete(counter)
                started = Lockout(scope=scope, retry_after_s=lockout_s)
    except (RedisError, OSError) as exc:
        log.error("Login throttle store unavailable, failed sign-in not counted: %s", exc)
    return started


def login_succeeded(*, username: str) -> None:
    """Forget the username's failures. The address keeps its count: one good account must not
    reset the budget of an address that is guessing others' passwords."""
    try:
        _cache().delete(f"fail:{_user_key(username)}")
    except (RedisError, OSError) as exc:
        log.error("Login throttle store unavailable, failures not cleared: %s", exc)
