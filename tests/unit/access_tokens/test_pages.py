"""The Tokens page: list, create with the secret shown once, revoke with confirmation."""

import re

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from access.models import ApiToken, AuditEvent

pytestmark = pytest.mark.django_db

URL = "/account/tokens/"


def _secret(html: str) -> str:
    match = re.search(r'id="tokens-secret"[^>]*value="(sbx_[^"]+)"', html)
    assert match, "no secret on the page"
    return match.group(1)


def test_url_names():
    assert reverse("tokens:list") == URL
    assert reverse("tokens:revoke", args=[3]) == "/account/tokens/3/revoke/"


def test_login_required(client):
    response = client.get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_empty_state_says_what_to_do(client, alice):
    client.force_login(alice)
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert 'id="tokens-empty"' in html and "Create one below" in html
    for days in (30, 90, 365):
        assert f'data-days="{days}"' in html
    assert "tokens-everyone" not in html  # superusers only


def test_create_shows_the_secret_once_and_never_again(client, alice):
    client.force_login(alice)
    response = client.post(URL, {"name": "ci-deploy", "scope": "write", "expires_in_days": "90"})
    html = response.content.decode()
    assert response.status_code == 200
    raw = _secret(html)
    assert "only time it is shown" in html and 'id="tokens-copy"' in html
    assert response["Cache-Control"] == "no-store"
    token = ApiToken.objects.get(name="ci-deploy")
    assert raw.startswith(f"sbx_{token.prefix}_") and token.scope == "write"
    # Not on the next page view, not in the session (messages live there), not in the DB.
    later = client.get(URL).content.decode()
    assert raw not in later and "ci-deploy" in later and 'id="tokens-secret"' not in later
    for session in Session.objects.all():
        assert raw not in str(session.get_decoded())
    assert all(raw not in str(v) for v in ApiToken.objects.values().first().values())
    assert raw not in str(list(AuditEvent.objects.values()))


@pytest.mark.parametrize(
    ("data", "field", "fragment"),
    [
        ({"name": "", "scope": "read", "expires_in_days": "30"}, "name", "Give the token a name"),
        ({"name": "x", "scope": "god", "expires_in_days": "30"}, "scope", "valid choice"),
        ({"name": "x", "scope": "read", "expires_in_days": "0"}, "expires_in_days", "1 to 365"),
        ({"name": "x", "scope": "read", "expires_in_days": "abc"}, "expires_in_days", "whole number"),
    ],
)
def test_bad_input_is_shown_next_to_the_field(client, alice, data, field, fragment):
    client.force_login(alice)
    response = client.post(URL, data)
    html = response.content.decode()
    assert response.status_code == 400
    start = html.index(f'id="field-{field}"')
    end = min(i for i in (html.find('<div class="field', start), html.find('<div class="actions"', start)) if i > 0)
    assert "invalid" in html[start - 30 : start]
    assert fragment in html[start:end]  # the message sits next to its field
    assert not ApiToken.objects.exists() and 'id="tokens-secret"' not in html


def test_list_shows_status_last_use_and_never_the_secret(client, alice, make_token):
    active, raw = make_token(alice, "active-one")
    expired, _ = make_token(alice, "expired-one")
    revoked, _ = make_token(alice, "revoked-one")
    from access.tokens import token_authenticate, token_revoke
    from tests.unit.access_tokens.conftest import expire

    token_authenticate(raw=raw, client_ip="192.0.2.44")
    expire(expired)
    token_revoke(user=alice, token=revoked)
    client.force_login(alice)
    html = client.get(URL).content.decode()
    assert raw not in html
    row = {t.name: html[html.index(f'data-token="{t.pk}"') :][:1500] for t in (active, expired, revoked)}
    assert "pill ok" in row["active-one"] and "192.0.2.44" in row["active-one"] and "Revoke" in row["active-one"]
    assert "pill wait" in row["expired-one"] and "never" in row["expired-one"]
    assert "pill bad" in row["revoked-one"] and "Revoke</a>" not in row["revoked-one"].split("</tr>")[0]


def test_revoke_asks_for_confirmation_then_revokes(client, alice, make_token):
    token, _ = make_token(alice, "ci")
    client.force_login(alice)
    confirm = client.get(f"{URL}{token.pk}/revoke/")
    assert confirm.status_code == 200 and "Revoke token" in confirm.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None  # GET changes nothing
    done = client.post(f"{URL}{token.pk}/revoke/", follow=True)
    assert done.status_code == 200 and "is revoked" in done.content.decode()
    assert ApiToken.objects.get(pk=token.pk).revoked_at is not None
    assert AuditEvent.objects.filter(action="token.revoke", result="ok", actor="alice").count() == 1


def test_other_users_cannot_see_or_revoke(client, alice, bob, make_token):
    # A name no CSRF token or markup can contain by chance (a bare "ci" once matched the CSRF token).
    token, _ = make_token(alice, "alice-private-deploy")
    client.force_login(bob)
    assert "alice-private-deploy" not in client.get(URL).content.decode()
    assert client.get(f"{URL}{token.pk}/revoke/").status_code == 404
    assert client.post(f"{URL}{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None


def test_superuser_sees_everyones_tokens_filters_and_revokes(client, alice, bob, root, make_token):
    a, _ = make_token(alice, "alice-ci")
    make_token(bob, "bob-ci")
    client.force_login(root)
    html = client.get(URL).content.decode()
    everyone = html[html.index('id="tokens-everyone"') :]
    assert "alice-ci" in everyone and "bob-ci" in everyone
    filtered = client.get(URL, {"user": "bob"}).content.decode()
    everyone = filtered[filtered.index('id="tokens-everyone"') :]
    assert "bob-ci" in everyone and "alice-ci" not in everyone
    unknown = client.get(URL, {"user": "ghost"})
    assert unknown.status_code == 400 and "no user named" in unknown.content.decode()
    confirm = client.get(f"{URL}{a.pk}/revoke/").content.decode()
    assert "of alice" in confirm
    client.post(f"{URL}{a.pk}/revoke/")
    assert ApiToken.objects.get(pk=a.pk).revoked_at is not None
