"""The users, teams, grants and my-access API: 201, 400 naming the field, 403, 404, no secrets."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from clusters.models import Cluster
from tests.grants import grant

from .conftest import STRONG

pytestmark = pytest.mark.django_db


def _errors(response, field):
    payload = response.json()
    assert field in payload["errors"], payload
    assert field in payload["detail"]
    return " ".join(payload["errors"][field])


# -- grants ----------------------------------------------------------------------------------------


def test_grant_create_list_get_patch_delete(root_api, alice, prod):
    url = f"/api/v1/clusters/{prod.pk}/grants/"
    created = root_api.post(url, {"user": alice.pk, "role": "operator", "topic_pattern": "payments.*"}, format="json")
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["user"] == {"id": alice.pk, "username": "alice"} and body["team"] is None
    assert (body["role"], body["topic_pattern"], body["read_messages"]) == ("operator", "payments.*", True)
    assert body["cluster"] == prod.pk and body["created_by"] == "root" and body["holder"] == "alice"
    listed = root_api.get(url).json()
    assert listed["count"] == 1 and listed["results"][0]["id"] == body["id"]
    detail = f"{url}{body['id']}/"
    assert root_api.get(detail).json()["topic_pattern"] == "payments.*"
    patched = root_api.patch(detail, {"read_messages": False}, format="json")
    assert patched.status_code == 200 and patched.json()["read_messages"] is False
    assert patched.json()["role"] == "operator"
    assert root_api.delete(detail).status_code == 204
    assert not Grant.objects.exists()
    assert root_api.get(detail).status_code == 404
    actions = list(AuditEvent.objects.order_by("id").values_list("action", flat=True))
    assert actions == ["grant.create", "grant.update", "grant.delete"]


def test_grant_for_a_team_and_viewer_default(root_api, ops, prod):
    response = root_api.post(f"/api/v1/clusters/{prod.pk}/grants/", {"team": ops.pk, "role": "viewer"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["team"] == {"id": ops.pk, "name": "ops"} and body["user"] is None
    assert body["read_messages"] is False and body["holder"] == "team ops"


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"role": "viewer"}, "user", "Choose the user or the team"),
        ({"user": 9999, "role": "viewer"}, "user", "does not exist"),
        ({"user": "ALICE", "role": "owner"}, "role", "not a valid choice"),
        ({"user": "ALICE", "role": "viewer", "topic_pattern": "a/b"}, "topic_pattern", "cannot appear"),
        ({"user": "ALICE", "team": "OPS", "role": "viewer"}, "team", "not both"),
    ],
)
def test_grant_bad_input_is_a_400_naming_the_field(root_api, alice, ops, prod, body, field, fragment):
    body = {k: alice.pk if v == "ALICE" else ops.pk if v == "OPS" else v for k, v in body.items()}
    response = root_api.post(f"/api/v1/clusters/{prod.pk}/grants/", body, format="json")
    assert response.status_code == 400, response.content
    assert fragment in _errors(response, field)
    assert not Grant.objects.exists()


def test_duplicate_grant_is_a_400_naming_the_field(root_api, alice, prod):
    url = f"/api/v1/clusters/{prod.pk}/grants/"
    assert root_api.post(url, {"user": alice.pk, "role": "viewer"}, format="json").status_code == 201
    response = root_api.post(url, {"user": alice.pk, "role": "admin"}, format="json")
    assert response.status_code == 400
    assert "already has a grant" in _errors(response, "topic_pattern")
    assert Grant.objects.get().role == "viewer"


def test_unknown_cluster_or_grant_is_a_404(root_api, alice, prod):
    assert root_api.get(f"/api/v1/clusters/{prod.pk + 99}/grants/").status_code == 404
    assert (
        root_api.post(
            f"/api/v1/clusters/{prod.pk + 99}/grants/", {"user": alice.pk, "role": "viewer"}, format="json"
        ).status_code
        == 404
    )
    other = Cluster.objects.create(name="other", bootstrap_servers="k:9092")
    foreign = grant(alice, other)
    assert root_api.get(f"/api/v1/clusters/{prod.pk}/grants/{foreign.pk}/").status_code == 404
    assert root_api.delete(f"/api/v1/clusters/{prod.pk}/grants/{foreign.pk}/").status_code == 404
    assert Grant.objects.filter(pk=foreign.pk).exists()


def test_non_superuser_gets_403_whatever_they_send_and_it_is_audited(alice_api, alice, bob, prod):
    existing = grant(alice, prod, "admin")  # a cluster admin, still not a superuser
    base = f"/api/v1/clusters/{prod.pk}/grants/"
    calls = [
        ("get", base, None),
        ("post", base, {"user": alice.pk, "role": "admin"}),
        ("post", base, {"nonsense": True}),
        ("get", f"{base}{existing.pk}/", None),
        ("patch", f"{base}{existing.pk}/", {"role": "bogus"}),
        ("delete", f"{base}{existing.pk}/", None),
        ("get", "/api/v1/users/", None),
        ("post", "/api/v1/users/", {"username": "eve", "password": STRONG}),
        ("post", "/api/v1/users/", {}),
        ("get", f"/api/v1/users/{bob.pk}/", None),
        ("patch", f"/api/v1/users/{alice.pk}/", {"is_superuser": True}),
        ("patch", "/api/v1/users/9999/", {"is_superuser": True}),
        ("get", "/api/v1/teams/", None),
        ("post", "/api/v1/teams/", {"name": "mine"}),
        ("get", "/api/v1/teams/9999/", None),
        ("post", "/api/v1/teams/9999/members/", {"user": alice.pk}),
        ("delete", "/api/v1/teams/9999/members/1/", None),
    ]
    for method, url, body in calls:
        response = getattr(alice_api, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
        assert "superusers only" in response.json()["detail"]
    alice.refresh_from_db()
    assert not alice.is_superuser and Grant.objects.get().role == "admin"
    assert not Group.objects.exists() and not User.objects.filter(username="eve").exists()
    assert AuditEvent.objects.filter(result="denied", actor="alice", action__startswith="role.").count() == len(calls)


def test_grants_of_a_cluster_the_user_cannot_see_are_a_404(alice_api, prod):
    assert alice_api.get(f"/api/v1/clusters/{prod.pk}/grants/").status_code == 404


def test_anonymous_is_refused(prod):
    client = APIClient()
    for url in ("/api/v1/users/", "/api/v1/teams/", f"/api/v1/clusters/{prod.pk}/grants/", "/api/v1/me/access/"):
        assert client.get(url).status_code in (401, 403), url


# -- users -----------------------------------------------------------------------------------------


def test_user_create_never_echoes_the_password(root_api):
    response = root_api.post(
        "/api/v1/users/", {"username": "carol", "email": "c@example.com", "password": STRONG}, format="json"
    )
    assert response.status_code == 201, response.content
    assert STRONG not in response.content.decode() and "password" not in response.json()
    body = response.json()
    assert body["username"] == "carol" and body["is_superuser"] is False and body["teams"] == []
    assert User.objects.get(username="carol").check_password(STRONG)
    assert STRONG not in str(list(AuditEvent.objects.values("before", "after", "error")))


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"username": "carol", "password": "abc"}, "password", "too short"),
        ({"username": "carol"}, "password", "required"),
        ({"username": "alice", "password": STRONG}, "username", "already exists"),
        ({"username": "carol", "password": STRONG, "email": "nope"}, "email", "valid email"),
    ],
)
def test_user_create_bad_input_is_a_400_naming_the_field(root_api, alice, body, field, fragment):
    response = root_api.post("/api/v1/users/", body, format="json")
    assert response.status_code == 400, response.content
    assert fragment in _errors(response, field)
    assert "abc" not in response.json()["detail"] or field != "password"
    assert not User.objects.filter(username="carol").exists()


def test_user_list_shows_teams_and_grant_counts(root_api, alice, ops, prod):
    ops.user_set.add(alice)
    grant(alice, prod)
    grant(alice, prod, topic_pattern="x.*")
    rows = {r["username"]: r for r in root_api.get("/api/v1/users/").json()["results"]}
    assert rows["alice"]["teams"] == [{"id": ops.pk, "name": "ops"}]
    assert rows["alice"]["grant_count"] == 2 and rows["root"]["grant_count"] == 0


def test_user_patch_deactivates_and_sets_a_password(root_api, alice):
    response = root_api.patch(f"/api/v1/users/{alice.pk}/", {"is_active": False, "password": STRONG}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["is_active"] is False and STRONG not in response.content.decode()
    alice.refresh_from_db()
    assert not alice.is_active and alice.check_password(STRONG)


def test_form_encoded_patch_does_not_flip_flags_that_were_not_sent(root_api, alice):
    response = root_api.patch(f"/api/v1/users/{alice.pk}/", {"email": "new@example.com"})  # multipart
    assert response.status_code == 200, response.content
    alice.refresh_from_db()
    assert alice.email == "new@example.com" and alice.is_active


def test_superuser_cannot_demote_themselves_over_the_api(root_api, root):
    response = root_api.patch(f"/api/v1/users/{root.pk}/", {"is_superuser": False}, format="json")
    assert response.status_code == 400
    assert "own superuser flag" in _errors(response, "is_superuser")
    response = root_api.patch(f"/api/v1/users/{root.pk}/", {"is_active": False}, format="json")
    assert "cannot deactivate yourself" in _errors(response, "is_active")
    root.refresh_from_db()
    assert root.is_superuser and root.is_active


def test_unknown_user_is_a_404(root_api):
    assert root_api.get("/api/v1/users/9999/").status_code == 404
    assert root_api.patch("/api/v1/users/9999/", {"is_active": False}, format="json").status_code == 404


# -- teams -----------------------------------------------------------------------------------------


def test_team_lifecycle(root_api, alice, prod):
    created = root_api.post("/api/v1/teams/", {"name": "payments"}, format="json")
    assert created.status_code == 201, created.content
    pk = created.json()["id"]
    added = root_api.post(f"/api/v1/teams/{pk}/members/", {"user": alice.pk}, format="json")
    assert added.status_code == 200 and added.json()["members"] == [{"id": alice.pk, "username": "alice"}]
    again = root_api.post(f"/api/v1/teams/{pk}/members/", {"user": alice.pk}, format="json")
    assert again.status_code == 400 and "already a member" in _errors(again, "user")
    renamed = root_api.patch(f"/api/v1/teams/{pk}/", {"name": "payments-oncall"}, format="json")
    assert renamed.status_code == 200 and renamed.json()["name"] == "payments-oncall"
    listed = root_api.get("/api/v1/teams/").json()
    assert listed["count"] == 1 and listed["results"][0]["member_count"] == 1
    assert root_api.delete(f"/api/v1/teams/{pk}/members/{alice.pk}/").status_code == 204
    assert root_api.get(f"/api/v1/teams/{pk}/").json()["members"] == []
    assert root_api.delete(f"/api/v1/teams/{pk}/").status_code == 204
    assert not Group.objects.exists()
    assert root_api.get(f"/api/v1/teams/{pk}/").status_code == 404


@pytest.mark.parametrize(("name", "fragment"), [("", "Give the team a name"), ("Ops", "already exists")])
def test_team_bad_name_is_a_400(root_api, ops, name, fragment):
    response = root_api.post("/api/v1/teams/", {"name": name}, format="json")
    assert response.status_code == 400
    assert fragment in _errors(response, "name")


def test_member_unknown_user_is_a_400_naming_user(root_api, ops):
    response = root_api.post(f"/api/v1/teams/{ops.pk}/members/", {"user": 9999}, format="json")
    assert response.status_code == 400 and "does not exist" in _errors(response, "user")


# -- my access -------------------------------------------------------------------------------------


def test_my_access_for_a_plain_user(alice_api, alice, ops, prod):
    hidden = Cluster.objects.create(name="hidden", bootstrap_servers="k:9092")
    ops.user_set.add(alice)
    grant(alice, prod, "viewer")
    grant(None, prod, "operator", topic_pattern="payments.*", read_messages=True, team=ops)
    response = alice_api.get("/api/v1/me/access/")
    assert response.status_code == 200
    rows = response.json()
    assert [r["cluster_name"] for r in rows] == ["prod"]
    assert hidden.pk not in [r["cluster_id"] for r in rows]
    row = rows[0]
    assert row["role"] == "viewer" and row["read_messages"] is False and row["superuser"] is False
    assert row["topic_grants"] == [{"pattern": "payments.*", "role": "operator", "read_messages": True}]
    assert row["via"] == ["direct", "team ops"]


def test_my_access_for_a_superuser_lists_every_cluster_as_admin(root_api, prod):
    Cluster.objects.create(name="another", bootstrap_servers="k:9092")
    rows = root_api.get("/api/v1/me/access/").json()
    assert [(r["cluster_name"], r["role"], r["superuser"]) for r in rows] == [
        ("another", "admin", True),
        ("prod", "admin", True),
    ]


def test_my_access_without_grants_is_empty(alice_api, prod):
    assert alice_api.get("/api/v1/me/access/").json() == []


def test_schema_documents_the_endpoints(root_api):
    schema = root_api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    for path in (
        "/api/v1/users/",
        "/api/v1/users/{id}/",
        "/api/v1/teams/",
        "/api/v1/teams/{id}/members/",
        "/api/v1/clusters/{cluster_id}/grants/",
        "/api/v1/clusters/{cluster_id}/grants/{id}/",
        "/api/v1/me/access/",
    ):
        assert path in paths, path
    create = paths["/api/v1/clusters/{cluster_id}/grants/"]["post"]
    assert create["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith("GrantCreateRequest")
    assert "201" in create["responses"]
    user_props = schema["components"]["schemas"]["UserAccount"]["properties"]
    assert "password" not in user_props


def test_bearer_tokens_a_read_only_token_cannot_change_roles(root, alice, prod):
    from access.tokens import token_create

    _, read_only = token_create(user=root, name="ro", scope="read", expires_in_days=1)
    _, read_write = token_create(user=root, name="rw", scope="write", expires_in_days=1)
    url = f"/api/v1/clusters/{prod.pk}/grants/"
    body = {"user": alice.pk, "role": "viewer"}
    refused = APIClient().post(url, body, format="json", HTTP_AUTHORIZATION=f"Bearer {read_only}")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert not Grant.objects.exists()
    accepted = APIClient().post(url, body, format="json", HTTP_AUTHORIZATION=f"Bearer {read_write}")
    assert accepted.status_code == 201, accepted.content
    event = AuditEvent.objects.get(action="grant.create")
    assert event.token_name.startswith("rw (") and event.actor == "root"
    assert read_write not in str(list(AuditEvent.objects.values("before", "after", "error", "target")))
