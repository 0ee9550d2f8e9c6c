"""The tokens API and Bearer authentication on other endpoints (no network)."""

import pytest
from django.urls import reverse
from rest_framework.test import APIClient

from access.models import ApiToken, AuditEvent
from clusters.models import Cluster
from tests.grants import grant
from tests.unit.access_tokens.conftest import expire

pytestmark = pytest.mark.django_db

LIST = "/api/v1/tokens/"


def test_url_names_resolve():
    assert reverse("token-list") == LIST
    assert reverse("token-detail", args=[7]) == "/api/v1/tokens/7/"
    assert reverse("token-revoke", args=[7]) == "/api/v1/tokens/7/revoke/"


def test_create_with_a_session_returns_the_secret_only_in_that_response(alice, session_api):
    api = session_api(alice)
    response = api.post(LIST, {"name": "ci", "scope": "write", "expires_in_days": 30}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    raw = body["token"]
    assert raw.startswith("sbx_") and body["scope"] == "write" and body["status"] == "active"
    assert body["user"] == "alice" and body["last_used_at"] is None and "digest" not in body
    assert response["Cache-Control"] == "no-store"
    listed = api.get(LIST)
    detail = api.get(f"{LIST}{body['id']}/")
    assert listed.status_code == 200 and detail.status_code == 200
    for later in (listed, detail):
        assert raw not in later.content.decode() and "token" not in later.json().get("results", [later.json()])[0]
    assert listed.json()["count"] == 1 and listed.json()["results"][0]["prefix"] == body["prefix"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"scope": "read", "expires_in_days": 30}, "name"),
        ({"name": "", "scope": "read", "expires_in_days": 30}, "name"),
        ({"name": "x", "scope": "root", "expires_in_days": 30}, "scope"),
        ({"name": "x", "scope": "read", "expires_in_days": "soon"}, "expires_in_days"),
        ({"name": "x", "scope": "read", "expires_in_days": 0}, "expires_in_days"),
        ({"name": "x", "scope": "read", "expires_in_days": 400}, "expires_in_days"),
        ({"name": "x", "scope": "read"}, "expires_in_days"),
    ],
)
def test_bad_input_is_400_naming_the_field(alice, session_api, body, field):
    response = session_api(alice).post(LIST, body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()
    assert not ApiToken.objects.exists()


def test_bearer_token_works_on_an_existing_endpoint_and_records_its_use(alice, make_token, bearer):
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="kafka:9092")
    grant(alice, cluster, "viewer")
    token, raw = make_token(alice, "ci")
    response = bearer(raw, ip="10.9.8.7").get("/api/v1/clusters/")
    assert response.status_code == 200, response.content
    assert [c["name"] for c in response.json()["results"]] == ["prod"]
    token.refresh_from_db()
    assert token.last_used_ip == "10.9.8.7" and token.last_used_at is not None
    # The same list through the tokens API shows where it was used from.
    assert bearer(raw).get(LIST).json()["results"][0]["last_used_ip"] in ("10.9.8.7", "10.1.2.3")


def test_sessions_and_tokens_both_work_on_the_same_endpoint(alice, make_token, bearer, session_api):
    token, raw = make_token(alice, "ci")
    by_session = session_api(alice).get(LIST)
    by_token = bearer(raw).get(LIST)
    assert by_session.status_code == by_token.status_code == 200
    assert [(t["id"], t["name"]) for t in by_session.json()["results"]] == [(token.pk, "ci")]
    assert [(t["id"], t["name"]) for t in by_token.json()["results"]] == [(token.pk, "ci")]


@pytest.mark.parametrize("scope", ["read", "write"])
def test_no_token_may_create_tokens(alice, make_token, bearer, scope):
    _, raw = make_token(alice, "ci", scope=scope)
    response = bearer(raw).post(LIST, {"name": "minted", "scope": "write", "expires_in_days": 365}, format="json")
    assert response.status_code == 403
    assert "API tokens cannot create tokens" in response.json()["detail"]
    assert not ApiToken.objects.filter(name="minted").exists()
    event = AuditEvent.objects.get(action="token.create", result="denied")
    assert event.token_name.startswith("ci (") and event.source_ip == "10.1.2.3"


def test_a_token_is_refused_before_its_body_is_read(alice, make_token, bearer):
    _, raw = make_token(alice, "ci", scope="write")
    response = bearer(raw).post(LIST, {"scope": "nonsense"}, format="json")
    assert response.status_code == 403


def test_read_only_token_gets_403_on_a_change_and_it_is_audited(alice, root, make_token, bearer):
    target, _ = make_token(alice, "target")
    _, read_raw = make_token(alice, "reader", scope="read")
    response = bearer(read_raw).post(f"{LIST}{target.pk}/revoke/")
    assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert ApiToken.objects.get(pk=target.pk).revoked_at is None
    assert AuditEvent.objects.filter(action="token.revoke", result="denied", token_name__startswith="reader").exists()
    # And on another app's change: a superuser's read-only token may not add a cluster.
    _, root_read = make_token(root, "root-reader", scope="read")
    body = {"name": "new", "bootstrap_servers": "kafka:9092"}
    refused = bearer(root_read).post("/api/v1/clusters/", body, format="json")
    assert refused.status_code == 403 and not Cluster.objects.filter(name="new").exists()
    assert AuditEvent.objects.filter(action="cluster.manage", result="denied", actor="root").exists()
    _, root_write = make_token(root, "root-writer", scope="write")
    created = bearer(root_write).post("/api/v1/clusters/", body, format="json")
    assert created.status_code == 201, created.content
    assert AuditEvent.objects.get(action="cluster.create").token_name.startswith("root-writer (")


@pytest.mark.parametrize(
    ("setup", "fragment"),
    [("expired", "expired on"), ("revoked", "was revoked on"), ("wrong", "not valid")],
)
def test_unusable_tokens_get_401_with_the_reason_and_an_audit_event(alice, make_token, bearer, setup, fragment):
    token, raw = make_token(alice, "ci")
    if setup == "expired":
        expire(token)
    elif setup == "revoked":
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=token.expires_at.replace(year=2020))
    else:
        raw = f"sbx_{token.prefix}_not-the-secret"
    response = bearer(raw).get("/api/v1/clusters/")
    assert response.status_code == 401
    assert fragment in response.json()["detail"]
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert raw not in response.content.decode()
    event = AuditEvent.objects.get(action="token.use")
    assert event.result == "denied" and fragment in event.error and event.source_ip == "10.1.2.3"


def test_malformed_authorization_header_is_401(alice):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Bearer two words")
    response = client.get(LIST)
    assert response.status_code == 401 and "Malformed" in response.json()["detail"]


def test_revoke_with_delete_or_post_and_the_token_stops_working(alice, make_token, bearer, session_api):
    token, raw = make_token(alice, "ci")
    other, other_raw = make_token(alice, "other")
    api = session_api(alice)
    deleted = api.delete(f"{LIST}{token.pk}/")
    assert deleted.status_code == 200 and deleted.json()["status"] == "revoked"
    assert bearer(raw).get(LIST).status_code == 401
    posted = api.post(f"{LIST}{other.pk}/revoke/")
    assert posted.status_code == 200 and posted.json()["revoked_at"]
    assert bearer(other_raw).get(LIST).status_code == 401
    assert ApiToken.objects.filter(pk__in=[token.pk, other.pk]).count() == 2  # kept, revoked


def test_a_read_write_token_may_revoke_itself(alice, make_token, bearer):
    token, raw = make_token(alice, "ci", scope="write")
    response = bearer(raw).post(f"{LIST}{token.pk}/revoke/")
    assert response.status_code == 200 and response.json()["status"] == "revoked"
    assert bearer(raw).get(LIST).status_code == 401


def test_other_users_tokens_are_404_for_non_superusers(alice, bob, make_token, session_api):
    token, _ = make_token(alice, "ci")
    api = session_api(bob)
    assert api.get(f"{LIST}{token.pk}/").status_code == 404
    assert api.delete(f"{LIST}{token.pk}/").status_code == 404
    assert api.post(f"{LIST}{token.pk}/revoke/").status_code == 404
    assert ApiToken.objects.get(pk=token.pk).revoked_at is None
    assert api.get(LIST, {"user": "alice"}).status_code == 403
    assert api.get(LIST, {"all": "true"}).status_code == 403
    assert api.get(LIST).json()["count"] == 0


def test_superuser_lists_and_revokes_anyones_tokens(alice, bob, root, make_token, session_api, bearer):
    token, _ = make_token(alice, "a")
    make_token(bob, "b")
    api = session_api(root)
    assert [t["name"] for t in api.get(LIST, {"user": "alice"}).json()["results"]] == ["a"]
    assert {t["user"] for t in api.get(LIST, {"all": "true"}).json()["results"]} == {"alice", "bob"}
    missing = api.get(LIST, {"user": "nobody"})
    assert missing.status_code == 400 and "user" in missing.json()["errors"]
    assert api.post(f"{LIST}{token.pk}/revoke/").json()["status"] == "revoked"
    event = AuditEvent.objects.get(action="token.revoke", result="ok")
    assert event.actor == "root" and event.target == "a"
    # A superuser's read-only token may still list (a read).
    _, raw = make_token(root, "root-ro")
    assert bearer(raw).get(LIST, {"all": "1"}).json()["count"] == 3


def test_anonymous_is_401():
    assert APIClient().get(LIST).status_code in (401, 403)
    assert APIClient().post(LIST, {}, format="json").status_code in (401, 403)
    assert not AuditEvent.objects.filter(result="ok").exists()


def test_an_impossible_id_is_404(alice, session_api):
    assert session_api(alice).get(f"{LIST}{2**70}/").status_code == 404
