"""Unit tests count sign-in failures in an in-process cache instead of Redis."""

import uuid

import pytest


@pytest.fixture(autouse=True)
def throttle_cache(settings):
    settings.CACHES = {
        **settings.CACHES,
        "login_throttle": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"login-throttle-{uuid.uuid4().hex}",
        },
    }
    settings.LOGIN_THROTTLE_CACHE = "login_throttle"
    settings.LOGIN_THROTTLE_USER_FAILURES = 3
    settings.LOGIN_THROTTLE_ADDRESS_FAILURES = 5
    settings.LOGIN_THROTTLE_WINDOW_S = 600
    settings.LOGIN_THROTTLE_LOCKOUT_S = 900
