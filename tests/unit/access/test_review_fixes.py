"""Holes a review found: each test fails on the code before its fix."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import RequestFactory, override_settings
from rest_framework.test import APIClient

from access.models import ApiToken, AuditEvent
from access.tokens import token_create
from boards.models import Board
from controlplane.request_id import client_ip

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", "a@example.com", "pw-alice-123")


def _bearer(user, scope):
    _, raw = token_create(user=user, name=f"t-{scope}", scope=scope, expires_in_days=1)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_a_read_only_token_changes_no_board(alice):
    reader = _bearer(alice, ApiToken.Scope.READ)
    response = reader.post("/api/v1/boards/", {"name": "sneaky"}, format="json")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert not Board.objects.exists()
    assert AuditEvent.objects.filter(result="denied", action="board.change").exists()
    writer = _bearer(alice, ApiToken.Scope.WRITE)
    assert writer.post("/api/v1/boards/", {"name": "mine"}, format="json").status_code == 201


@pytest.mark.parametrize(
    "params",
    [
        "to=9999-12-31",
        "from=9999-12-31T23:59:59-05:00",
        "from=0001-01-01T00:00:00%2B05:00",
    ],
)
def test_audit_times_at_the_ends_of_the_calendar_are_400s(alice, params):
    client = APIClient()
    client.force_authenticate(alice)
    response = client.get(f"/api/v1/audit/?{params}")
    assert response.status_code == 400, response.content
    field = params.split("=")[0]
    assert "out of range" in response.json()["errors"][field][0]


def test_behind_the_tls_proxy_the_client_address_is_the_proxys_last_hop():
    request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.2", HTTP_X_FORWARDED_FOR="6.6.6.6, 203.0.113.9")
    assert client_ip(request) == "10.0.0.2"  # no proxy configured: the header is ignored
    with override_settings(SECURE_PROXY_SSL_HEADER=("HTTP_X_FORWARDED_PROTO", "https")):
        # The client wrote 6.6.6.6 itself; our proxy appended the address it saw.
        assert client_ip(request) == "203.0.113.9"
