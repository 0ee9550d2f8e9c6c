"""CSRF on every form: each page URL that takes a POST refuses one without the token (403),
even from a logged-in superuser, and so does every session-authenticated API change."""

from __future__ import annotations

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.integration.security.endpoints import UNSAFE
from tests.integration.security.sweep import world_endpoints, world_state

pytestmark = pytest.mark.django_db


def _superuser_client(world, cls):
    client = cls(enforce_csrf_checks=True)
    client.force_login(world.admin)
    client.get("/clusters/")  # a page visit sets the CSRF cookie, as in a browser
    assert "csrftoken" in client.cookies
    return client


def test_every_page_post_without_the_token_is_refused(world):
    client = _superuser_client(world, Client)
    before = world_state(world)
    posts = [e for e in world_endpoints(world) if not e.api and "POST" in e.methods]
    assert len(posts) > 30, "the URL walk found too few forms"
    failures = []
    for endpoint in posts:
        response = client.post(endpoint.path, {"name": "x", "confirm": "yes"})
        body = response.content.decode(errors="replace")
        if response.status_code != 403 or "CSRF" not in body:
            failures.append(f"POST {endpoint} [{endpoint.name}]: {response.status_code}")
    assert not failures, "Forms accepted without a CSRF token:\n" + "\n".join(failures)
    assert world_state(world) == before


def test_the_login_form_needs_the_token_too(world):
    client = Client(enforce_csrf_checks=True)
    client.get("/login/")
    response = client.post("/login/", {"username": world.admin.username, "password": "admin-pass-8812"})
    assert response.status_code == 403
    assert "_auth_user_id" not in client.session


def test_every_session_authenticated_api_change_without_the_token_is_refused(world):
    client = _superuser_client(world, APIClient)
    before = world_state(world)
    changes = [(e, m) for e in world_endpoints(world) if e.api for m in e.methods if m in UNSAFE]
    assert len(changes) > 30, "the URL walk found too few API changes"
    failures = []
    for endpoint, method in changes:
        response = client.generic(method, endpoint.path, "{}", content_type="application/json")
        if response.status_code != 403 or "CSRF" not in response.content.decode(errors="replace"):
            failures.append(f"{method} {endpoint} [{endpoint.name}]: {response.status_code}")
    assert not failures, "API changes accepted over a session without a CSRF token:\n" + "\n".join(failures)
    assert world_state(world) == before


def test_with_the_token_the_same_session_gets_through(world):
    """The refusals above are CSRF's, not something else's: with the token a form works."""
    client = _superuser_client(world, Client)
    token = client.cookies["csrftoken"].value
    response = client.post("/boards/", {"name": "csrf-ok-board", "csrfmiddlewaretoken": token})
    assert response.status_code == 302
    api = _superuser_client(world, APIClient)
    response = api.post("/api/v1/boards/", {"name": "csrf-ok-api"}, format="json", HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 403  # a token from another session is not this session's
    response = api.post(
        "/api/v1/boards/", {"name": "csrf-ok-api"}, format="json", HTTP_X_CSRFTOKEN=api.cookies["csrftoken"].value
    )
    assert response.status_code == 201
