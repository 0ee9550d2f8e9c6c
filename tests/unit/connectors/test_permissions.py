"""Who may do what with connectors: refused before Connect is ever asked (no network here)."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters.models import Cluster
from connectors import connect
from tests.grants import grant

pytestmark = pytest.mark.django_db

API = "/api/v1/clusters/{pk}/connect/connectors/"


@pytest.fixture(autouse=True)
def no_connect_calls(monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError(f"Connect was called: {args}")

    monkeypatch.setattr(connect.requests, "request", refuse)


@pytest.fixture
def cluster():
    return Cluster.objects.create(
        name="prod", bootstrap_servers="kafka:9092", connect_urls=["http://connect.invalid:8083"]
    )


def _user(name, cluster=None, role=None, superuser=False):
    model = get_user_model()
    user = (
        model.objects.create_superuser(name, f"{name}@example.com", "pw-123-abc")
        if superuser
        else model.objects.create_user(name, f"{name}@example.com", "pw-123-abc")
    )
    if role:
        grant(user, cluster, role)
    return user


def _api(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_viewer_may_not_pause_restart_or_create(cluster):
    client = _api(_user("v", cluster, "viewer"))
    for suffix in ("src/pause/", "src/resume/", "src/stop/", "src/restart/", "src/tasks/restart/"):
        response = client.post(API.format(pk=cluster.pk) + suffix, {}, format="json")
        assert response.status_code == 403, suffix
        assert "operator" in response.json()["detail"]
    assert client.post(API.format(pk=cluster.pk), {}, format="json").status_code == 403
    assert AuditEvent.objects.filter(result="denied", action="connector.operate").count() == 5


def test_operator_may_not_create_edit_delete_or_reset_offsets(cluster):
    client = _api(_user("op", cluster, "operator"))
    base = API.format(pk=cluster.pk)
    body = {"name": "x", "config": {"connector.class": "FileStreamSource"}}
    assert client.post(base, body, format="json").status_code == 403
    assert client.put(base + "src/config/", {"config": {"a": "b"}}, format="json").status_code == 403
    assert client.delete(base + "src/").status_code == 403
    assert client.delete(base + "src/offsets/").status_code == 403
    assert AuditEvent.objects.filter(result="ok").count() == 0


def test_operator_page_forms_are_refused_for_edit(cluster):
    client = Client()
    client.force_login(_user("op", cluster, "operator"))
    assert client.get(f"/clusters/{cluster.pk}/connect/~new/").status_code == 403
    assert client.post(f"/clusters/{cluster.pk}/connect/connectors/src/delete/", {"confirm": "src"}).status_code == 403
    viewer = Client()
    viewer.force_login(_user("v", cluster, "viewer"))
    assert (
        viewer.post(f"/clusters/{cluster.pk}/connect/connectors/src/operate/", {"operation": "pause"}).status_code
        == 403
    )


def test_no_grant_sees_no_cluster(cluster):
    client = _api(_user("stranger"))
    assert client.get(f"/api/v1/clusters/{cluster.pk}/connect/").status_code == 404
    assert client.post(API.format(pk=cluster.pk) + "src/pause/").status_code == 404
    page = Client()
    page.force_login(get_user_model().objects.get(username="stranger"))
    assert page.get(f"/clusters/{cluster.pk}/connect/").status_code == 404


def test_read_only_cluster_refuses_even_a_superuser(cluster):
    cluster.read_only = True
    cluster.save()
    client = _api(_user("root", superuser=True))
    response = client.post(API.format(pk=cluster.pk) + "src/pause/")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert client.delete(API.format(pk=cluster.pk) + "src/").status_code == 403


def test_no_connect_url_is_an_empty_state_not_an_error():
    cluster = Cluster.objects.create(name="bare", bootstrap_servers="kafka:9092")
    root = _user("root", superuser=True)
    page = Client()
    page.force_login(root)
    response = page.get(f"/clusters/{cluster.pk}/connect/")
    assert response.status_code == 200
    assert "No Kafka Connect URL is configured" in response.content.decode()
    assert _api(root).get(f"/api/v1/clusters/{cluster.pk}/connect/").json() == []
    listed = _api(root).get(API.format(pk=cluster.pk))
    assert listed.status_code == 400
    assert "connect" in listed.json()["errors"]


def test_api_create_validates_input_after_permission(cluster):
    client = _api(_user("root", superuser=True))
    response = client.post(API.format(pk=cluster.pk), {"name": "x", "config": {}}, format="json")
    assert response.status_code == 400
    assert "config" in response.json()["errors"]
    response = client.post(API.format(pk=cluster.pk), {"name": "x", "config": {"topic": "t"}}, format="json")
    assert response.status_code == 400
    assert "connector.class" in response.json()["errors"]
