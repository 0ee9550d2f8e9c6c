"""Login throttling on the real Redis: the counts and the lock live there (shared by every web
process), expire on their own, and the page answers 429 while locked."""

from __future__ import annotations

import uuid

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import caches
from django.test import Client

from access.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "throttle-pass-4471"


@pytest.fixture
def redis_throttle(settings, stack_env):
    prefix = f"test-throttle-{uuid.uuid4().hex[:8]}"
    settings.CACHES = {
        **settings.CACHES,
        "login_throttle": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": stack_env["REDIS_URL"],
            "KEY_PREFIX": prefix,
        },
    }
    settings.LOGIN_THROTTLE_CACHE = "login_throttle"
    settings.LOGIN_THROTTLE_USER_FAILURES = 3
    settings.LOGIN_THROTTLE_ADDRESS_FAILURES = 10
    settings.LOGIN_THROTTLE_LOCKOUT_S = 120
    client = redis.Redis.from_url(stack_env["REDIS_URL"])
    yield prefix, client
    for key in client.scan_iter(f"{prefix}:*"):
        client.delete(key)
    client.close()


def _post(username, password, address):
    return Client(REMOTE_ADDR=address).post("/login/", {"username": username, "password": password})


def test_a_locked_username_is_refused_from_redis_and_the_lock_expires(redis_throttle):
    prefix, raw = redis_throttle
    get_user_model().objects.create_user("dora", "d@example.com", PASSWORD)
    assert [_post("dora", "nope-1", "192.0.2.50").status_code for _ in range(3)] == [200, 200, 429]
    locks = [k.decode() for k in raw.scan_iter(f"{prefix}:*:lock:*")]
    assert len(locks) == 1 and ":lock:u:" in locks[0]
    assert 100 < raw.ttl(locks[0]) <= 120
    assert not list(raw.scan_iter(f"{prefix}:*:fail:u:*"))  # the count gave way to the lock

    refused = _post("dora", PASSWORD, "198.51.100.50")
    assert refused.status_code == 429
    assert "Too many failed sign-ins; try again in 2 minutes." in refused.content.decode()
    assert AuditEvent.objects.filter(action="auth.login", result="denied", target="dora").count() == 4

    caches["login_throttle"].delete("lock:" + locks[0].split(":lock:")[1])  # as if the lockout ran out
    assert _post("dora", PASSWORD, "198.51.100.50").status_code == 302


def test_counts_in_redis_expire_with_the_window(redis_throttle, settings):
    prefix, raw = redis_throttle
    settings.LOGIN_THROTTLE_WINDOW_S = 60
    _post("erin", "nope", "192.0.2.51")
    counts = {k.decode(): raw.ttl(k) for k in raw.scan_iter(f"{prefix}:*:fail:*")}
    assert len(counts) == 2  # one for the username, one for the address
    assert all(0 < ttl <= 60 for ttl in counts.values())
