"""End-to-end page flows of managing roles, with the Django test client against the real
database and Redis: a superuser adds a user and a team, grants, edits and removes roles,
and the user's own session sees the cluster appear and disappear."""

import pytest
from django.test import Client

from access.models import AuditEvent, Grant
from access.permissions import Action, has_permission

PASSWORD = "Tall-Lighthouse-73-orbit"
NEW_PASSWORD = "Quiet-Harbour-19-signal"
HTMX = {"HX-Request": "true"}

pytestmark = pytest.mark.django_db


def _login(username: str, password: str) -> Client:
    client = Client()
    response = client.post("/login/", {"username": username, "password": password})
    assert response.status_code == 302, f"login of {username} failed"
    return client


def _body(response) -> str:
    return response.content.decode()


def test_team_grant_lifecycle_through_the_pages(page, local_cluster, django_user_model):
    cluster_url = f"/clusters/{local_cluster.pk}/"
    access_url = f"/clusters/{local_cluster.pk}/access/"

    created = page.post(
        "/access/users/new/",
        {"username": "dana", "email": "dana@example.com", "password": PASSWORD, "password_again": PASSWORD},
    )
    assert created.status_code == 302
    dana = django_user_model.objects.get(username="dana")
    dana_web = _login("dana", PASSWORD)
    assert "No cluster has been shared with you yet" in _body(dana_web.get("/access/me/"))
    assert dana_web.get(cluster_url).status_code == 404
    assert cluster_url not in _body(dana_web.get("/clusters/"))
    assert dana_web.get(access_url).status_code == 404

    team_page = page.post("/access/teams/", {"name": "payments"})
    team_id = int(team_page["Location"].rstrip("/").rsplit("/", 1)[-1])
    assert page.post(f"/access/teams/{team_id}/members/", {"user": dana.pk}).status_code == 302
    assert "dana" in _body(page.get(f"/access/teams/{team_id}/"))

    granted = page.post(access_url, {"holder": f"team:{team_id}", "role": "viewer", "topic_pattern": ""})
    assert granted.status_code == 302
    grant = Grant.objects.get(cluster=local_cluster)
    listing = _body(page.get(access_url))
    assert f'id="grant-{grant.pk}"' in listing and "Granted: team payments is viewer" in listing

    assert f'href="{cluster_url}"' in _body(dana_web.get("/clusters/"))
    assert dana_web.get(cluster_url).status_code == 200
    me = _body(dana_web.get("/access/me/"))
    assert f'data-cluster="{local_cluster.pk}"' in me and "team payments" in me
    assert dana_web.get(access_url).status_code == 403  # seeing a cluster is not managing it

    edited = page.post(
        f"{access_url}{grant.pk}/edit/",
        {"role": "operator", "topic_pattern": "payments.*", "read_messages": "on"},
        headers=HTMX,
    )
    assert edited.status_code == 200 and "<code>payments.*</code>" in _body(edited)
    assert has_permission(user=dana, cluster=local_cluster, action=Action.RECORDS_DELETE, topic="payments.x")
    assert not has_permission(user=dana, cluster=local_cluster, action=Action.RECORDS_DELETE, topic="orders.x")
    assert "Operator" in _body(dana_web.get("/access/me/"))

    removed = page.post(f"{access_url}{grant.pk}/delete/", headers=HTMX)
    assert removed.status_code == 200 and not Grant.objects.exists()
    assert dana_web.get(cluster_url).status_code == 404
    assert cluster_url not in _body(dana_web.get("/clusters/"))

    actions = list(AuditEvent.objects.filter(result="ok").order_by("id").values_list("action", flat=True))
    assert actions == ["user.create", "team.create", "team.update", "grant.create", "grant.update", "grant.delete"]
    # Her probes before the grant (404s) are on the record too; the refusal with a grant is the 403.
    denied = AuditEvent.objects.exclude(error="no role on the cluster").get(result="denied", actor="dana")
    assert denied.action == "role.manage" and denied.cluster == local_cluster
    assert PASSWORD not in str(list(AuditEvent.objects.values("before", "after", "error")))


def test_direct_grant_password_reset_and_deactivation(page, local_cluster, django_user_model):
    dana = django_user_model.objects.create_user("dana", "dana@example.com", PASSWORD)
    access_url = f"/clusters/{local_cluster.pk}/access/"
    page.post(access_url, {"holder": f"user:{dana.pk}", "role": "admin"})
    grant = Grant.objects.get(user=dana)
    assert grant.read_messages is True  # admin: payloads by default

    dana_web = _login("dana", PASSWORD)
    assert dana_web.get(f"/clusters/{local_cluster.pk}/").status_code == 200

    reset = page.post(f"/access/users/{dana.pk}/password/", {"password": NEW_PASSWORD, "password_again": NEW_PASSWORD})
    assert reset.status_code == 302
    assert Client().post("/login/", {"username": "dana", "password": PASSWORD}).status_code == 200  # form again
    dana_web = _login("dana", NEW_PASSWORD)

    deactivated = page.post(f"/access/users/{dana.pk}/active/", {"is_active": "false"}, headers=HTMX)
    assert "inactive" in _body(deactivated)
    # An inactive user is logged out on the next request and cannot log in again.
    response = dana_web.get(f"/clusters/{local_cluster.pk}/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert Client().post("/login/", {"username": "dana", "password": NEW_PASSWORD}).status_code == 200
    assert NEW_PASSWORD not in _body(page.get(f"/access/users/{dana.pk}/"))


def test_superuser_cannot_lock_themselves_out_through_the_page(page, admin_user):
    response = page.post(f"/access/users/{admin_user.pk}/active/", {"is_active": "false"})
    assert response.status_code == 302
    assert "cannot deactivate yourself" in _body(page.get("/access/users/"))
    admin_user.refresh_from_db()
    assert admin_user.is_active and admin_user.is_superuser
