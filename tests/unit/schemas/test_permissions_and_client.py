"""Who may change schemas (refused before any registry call), and how registry answers map to our
errors and API statuses. No network: the cluster points at a port nothing listens on."""

from __future__ import annotations

import json

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters.models import Cluster
from schemas import registry
from schemas.api import registry_error_response
from tests.grants import grant

pytestmark = pytest.mark.django_db
NOWHERE = "http://127.0.0.1:9/apis/ccompat/v7"  # the discard port: nothing answers


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="prod", bootstrap_servers="kafka:9092", schema_registry_url=NOWHERE)


def client_for(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def user(name: str, superuser: bool = False):
    make = get_user_model().objects.create_superuser if superuser else get_user_model().objects.create_user
    return make(name, f"{name}@example.com", f"pw-{name}-123")


def changes(cluster: Cluster) -> list[tuple[str, str, dict]]:
    b = f"/api/v1/clusters/{cluster.pk}/schemas"
    return [
        ("post", f"{b}/subjects/orders-value/versions/", {"schema": '"string"'}),
        ("put", f"{b}/compatibility/", {"compatibility": "FULL"}),
        ("put", f"{b}/subjects/orders-value/compatibility/", {"compatibility": "FULL"}),
        ("delete", f"{b}/subjects/orders-value/compatibility/", {}),
        ("delete", f"{b}/subjects/orders-value/", {}),
        ("delete", f"{b}/subjects/orders-value/version/?version=1", {}),
    ]


def test_viewer_gets_403_on_every_change(cluster):
    viewer = user("viewer")
    grant(viewer, cluster, "viewer")
    client = client_for(viewer)
    for method, url, body in changes(cluster):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
    assert AuditEvent.objects.filter(result="denied", action="schema.edit").count() == len(changes(cluster))


def test_operator_is_refused_too_and_pages_as_well(cluster):
    operator = user("operator")
    grant(operator, cluster, "operator")
    assert (
        client_for(operator)
        .post(f"/api/v1/clusters/{cluster.pk}/schemas/subjects/x-value/versions/", {}, format="json")
        .status_code
        == 403
    )
    from django.test import Client

    page = Client()
    page.force_login(operator)
    assert page.get(f"/clusters/{cluster.pk}/schemas/~register/").status_code == 403
    assert page.post(f"/clusters/{cluster.pk}/schemas/x-value/delete/", {"confirm": "x-value"}).status_code == 403


def test_user_without_grant_gets_404(cluster):
    client = client_for(user("stranger"))
    assert client.get(f"/api/v1/clusters/{cluster.pk}/schemas/subjects/").status_code == 404
    _method, url, body = changes(cluster)[0]
    assert client.post(url, body, format="json").status_code == 404


def test_read_only_cluster_refuses_changes_even_to_superusers(cluster):
    cluster.read_only = True
    cluster.save()
    client = client_for(user("root", superuser=True))
    for method, url, body in changes(cluster):
        response = getattr(client, method)(url, body, format="json")
        assert response.status_code == 403 and "read-only" in response.json()["detail"], (method, url)


def test_bad_input_is_refused_before_the_registry_is_asked(cluster):
    client = client_for(user("root", superuser=True))
    url = f"/api/v1/clusters/{cluster.pk}/schemas/subjects/orders-value/versions/"
    response = client.post(url, {"schema": '{"type": "recrd"}', "schema_type": "AVRO"}, format="json")
    assert response.status_code == 400 and list(response.json()["errors"]) == ["schema"]
    bad_type = client.post(url, {"schema": "{}", "schema_type": "XML"}, format="json")
    assert bad_type.status_code == 400 and "schema_type" in bad_type.json()["errors"]
    level = client.put(
        f"/api/v1/clusters/{cluster.pk}/schemas/compatibility/", {"compatibility": "NOPE"}, format="json"
    )
    assert level.status_code == 400 and "compatibility" in level.json()["errors"]


@pytest.mark.parametrize(
    ("status", "body", "kind", "field"),
    [
        (404, {"error_code": 40401, "message": "Subject 'x' not found."}, registry.RegistryNotFound, None),
        (404, {"error_code": 40407, "message": "must be soft deleted first"}, registry.RegistryConflict, None),
        (409, {"error_code": 409, "message": "Incompatible artifact"}, registry.RegistryConflict, None),
        (422, {"error_code": 42201, "message": "Invalid schema"}, registry.RegistryRejected, "schema"),
        (
            422,
            {"error_code": 42203, "message": "Invalid compatibility level"},
            registry.RegistryRejected,
            "compatibility",
        ),
        (
            500,
            {"error_code": 50001, "message": "Error in the backend data store"},
            registry.RegistryRequestFailed,
            None,
        ),
    ],
)
def test_registry_answers_map_to_our_errors_with_the_servers_message(status, body, kind, field):
    with pytest.raises(kind) as exc:
        registry._raise_for(status, json.dumps(body).encode(), NOWHERE + "/subjects", "GET")
    assert body["message"] in exc.value.message and NOWHERE in exc.value.message
    assert getattr(exc.value, "field", None) == field


@pytest.mark.parametrize(
    ("exc", "status"),
    [
        (registry.RegistryRejected("bad", field="schema"), 400),
        (registry.RegistryNotFound("gone"), 404),
        (registry.RegistryConflict("incompatible"), 409),
        (registry.RegistryUnreachable("down"), 502),
        (registry.RegistryTimeout("slow"), 504),
        (registry.RegistryRequestFailed("odd"), 502),
    ],
)
def test_api_statuses(exc, status):
    assert registry_error_response(exc).status_code == status


def test_redirects_only_to_the_same_origin():
    assert registry._same_origin("http://reg:8081/a", "http://reg:8081/b")
    assert not registry._same_origin("http://evil:8081/a", "http://reg:8081/b")
    assert not registry._same_origin("https://reg:8081/a", "http://reg:8081/b")
