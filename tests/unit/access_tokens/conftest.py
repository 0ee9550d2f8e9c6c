"""Users, tokens and clients for the token tests (no network)."""

import datetime as dt

import pytest
from django.utils import timezone
from rest_framework.test import APIClient

from access.models import ApiToken
from access.tokens import token_create


@pytest.fixture
def alice(django_user_model):
    return django_user_model.objects.create_user("alice", "alice@example.com", "alice-pass-123")


@pytest.fixture
def bob(django_user_model):
    return django_user_model.objects.create_user("bob", "bob@example.com", "bob-pass-123")


@pytest.fixture
def make_token():
    """make_token(user, name, scope="read", days=30) -> (ApiToken, raw secret)."""

    def make(user, name="ci", scope=ApiToken.Scope.READ, days=30):
        return token_create(user=user, name=name, scope=scope, expires_in_days=days)

    return make


@pytest.fixture
def bearer():
    """bearer(raw, ip="10.1.2.3") -> an APIClient sending `Authorization: Bearer <raw>` from that address."""

    def make(raw, ip="10.1.2.3"):
        client = APIClient(REMOTE_ADDR=ip)
        client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
        return client

    return make


@pytest.fixture
def session_api(client):
    """session_api(user) -> an APIClient logged in with a session (CSRF enforced like a browser)."""

    def make(user):
        api = APIClient(enforce_csrf_checks=False)
        api.force_login(user)
        return api

    return make


def expire(token: ApiToken) -> None:
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(minutes=1))
