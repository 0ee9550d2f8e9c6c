"""The login page: throttled after repeated failures (429, even with the right password),
every failed or refused attempt logged and audited without the password."""

import logging

import pytest
from django.contrib.auth import get_user_model
from django.test import Client

from access.models import AuditEvent

pytestmark = pytest.mark.django_db

PASSWORD = "correct-horse-battery-9"
WRONG = "wrong-guess-3141"


@pytest.fixture
def alice():
    return get_user_model().objects.create_user("alice", "alice@example.com", PASSWORD)


def _login(username, password, address="127.0.0.1", client=None):
    client = client or Client(REMOTE_ADDR=address)
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=address)


def test_right_password_logs_in(alice):
    response = _login("alice", PASSWORD)
    assert response.status_code == 302 and response["Location"] == "/clusters/"


def test_wrong_password_says_so_and_is_logged_and_audited_without_the_password(alice, caplog):
    with caplog.at_level(logging.DEBUG):
        response = _login("alice", WRONG, address="192.0.2.10")
    assert response.status_code == 200
    assert "didn't match" in response.content.decode()
    event = AuditEvent.objects.get(action="auth.login")
    assert (event.result, event.target, event.source_ip, event.actor) == ("denied", "alice", "192.0.2.10", "anonymous")
    assert event.error == "wrong username or password"
    logged = [r.getMessage() for r in caplog.records if r.name == "access.views_login"]
    assert logged == ["Failed sign-in for username 'alice' from 192.0.2.10: wrong username or password"]
    assert WRONG not in caplog.text and WRONG not in str(list(AuditEvent.objects.values()))


def test_after_the_limit_even_the_right_password_is_refused_with_429(alice, caplog):
    assert _login("alice", WRONG).status_code == 200
    assert _login("alice", WRONG).status_code == 200
    third = _login("alice", WRONG)  # reaches the limit of 3: says so at once
    assert third.status_code == 429
    with caplog.at_level(logging.WARNING):
        refused = _login("alice", PASSWORD, address="198.51.100.20")  # another address: the username is locked
    assert refused.status_code == 429
    assert refused["Retry-After"] in {"899", "900"}
    page = refused.content.decode()
    assert "Too many failed sign-ins; try again in 15 minutes." in page
    assert "_auth_user_id" not in refused.client.session
    assert 'value="alice"' in page  # the form keeps the username, never the password
    assert PASSWORD not in page
    events = list(AuditEvent.objects.filter(action="auth.login").order_by("id").values_list("result", "error"))
    assert events[-1] == ("denied", "too many failed sign-ins for this username; refused")
    assert len(events) == 4
    assert "Refused sign-in for username 'alice' from 198.51.100.20" in caplog.text
    assert PASSWORD not in caplog.text


def test_a_success_clears_the_username_count(alice):
    _login("alice", WRONG)
    _login("alice", WRONG)
    assert _login("alice", PASSWORD).status_code == 302
    assert _login("alice", WRONG).status_code == 200
    assert _login("alice", WRONG).status_code == 200
    assert _login("alice", PASSWORD).status_code == 302


def test_one_address_guessing_many_usernames_is_locked_out(alice):
    for name in ("bob", "carol", "dave", "erin"):
        assert _login(name, WRONG, address="203.0.113.9").status_code == 200
    assert _login("frank", WRONG, address="203.0.113.9").status_code == 429
    assert _login("alice", PASSWORD, address="203.0.113.9").status_code == 429
    assert _login("alice", PASSWORD, address="203.0.113.10").status_code == 302


def test_the_login_page_still_works_for_get_and_logged_in_users(alice):
    client = Client()
    assert client.get("/login/").status_code == 200
    client.force_login(alice)
    response = client.get("/login/")
    assert response.status_code == 302 and response["Location"] == "/clusters/"
