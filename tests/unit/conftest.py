"""Fixtures every unit-test area shares."""

import pytest
from django.test import override_settings


@pytest.fixture(autouse=True)
def _fast_passwords():
    """Test users need a password, not a slow hash of it (the real hasher is slow on purpose).
    override_settings, not pytest-django's `settings`: some areas name their own fixture `settings`."""
    with override_settings(PASSWORD_HASHERS=["django.contrib.auth.hashers.MD5PasswordHasher"]):
        yield


@pytest.fixture
def root(django_user_model):
    """A superuser."""
    return django_user_model.objects.create_superuser("root", "root@example.com", "root-pass-123")
