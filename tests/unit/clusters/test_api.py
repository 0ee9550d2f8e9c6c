"""The clusters API without a network: validation, permissions, audit, secrets."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from clusters.models import Cluster
from tests.grants import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client():
    user = get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def viewer():
    return get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")


@pytest.fixture
def viewer_client(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client


VALID = {"name": "prod", "bootstrap_servers": "kafka-1:9092,kafka-2:9092"}


def test_create_returns_cluster_without_secrets_and_audits(admin_client):
    body = {
        **VALID,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": "svc",
        "sasl_password": "very-secret-pw",
    }
    response = admin_client.post("/api/v1/clusters/", body, format="json")
    assert response.status_code == 201, response.content
    assert "very-secret-pw" not in response.content.decode()
    assert response.json()["has_password"] is True
    assert "sasl_password" not in response.json()
    event = AuditEvent.objects.get(action="cluster.create")
    assert event.actor == "root" and event.result == "ok" and event.target == "prod"
    assert event.after["has_password"] is True
    assert "very-secret-pw" not in str(event.after)
    assert response["X-Request-ID"] == event.request_id


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"name": "x", "bootstrap_servers": "nonsense"}, "bootstrap_servers", "not host:port"),
        (
            {"name": "x", "bootstrap_servers": "h:9092", "security_protocol": "BOGUS"},
            "security_protocol",
            "not a valid choice",
        ),
        (
            {"name": "x", "bootstrap_servers": "h:9092", "security_protocol": "SASL_SSL"},
            "sasl_mechanism",
            "SASL mechanism",
        ),
        (
            {"name": "x", "bootstrap_servers": "h:9092", "security_protocol": "SSL", "ca_certificate": "abc"},
            "ca_certificate",
            "PEM",
        ),
        (
            {"name": "x", "bootstrap_servers": "h:9092", "poll_interval_s": 0},
            "poll_interval_s",
            "greater than or equal to 1",
        ),
        (
            {"name": "x", "bootstrap_servers": "h:9092", "connect_urls": ["ftp://x"]},
            "connect_urls",
            "http:// or https://",
        ),
        ({"bootstrap_servers": "h:9092"}, "name", "required"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_saves_nothing(admin_client, body, field, fragment):
    response = admin_client.post("/api/v1/clusters/", body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert field in payload["errors"], payload
    assert fragment in " ".join(payload["errors"][field]), payload
    assert field in payload["detail"]
    assert Cluster.objects.count() == 0
    assert not AuditEvent.objects.filter(result="ok").exists()


def test_duplicate_name_is_rejected(admin_client):
    assert admin_client.post("/api/v1/clusters/", VALID, format="json").status_code == 201
    response = admin_client.post("/api/v1/clusters/", VALID, format="json")
    assert response.status_code == 400
    assert "already exists" in " ".join(response.json()["errors"]["name"])


def test_viewer_can_read_but_not_change_and_denial_is_audited(admin_client, viewer, viewer_client):
    pk = admin_client.post("/api/v1/clusters/", VALID, format="json").json()["id"]
    # Without a grant the cluster does not exist for a non-superuser.
    assert viewer_client.get("/api/v1/clusters/").json()["results"] == []
    assert viewer_client.get(f"/api/v1/clusters/{pk}/").status_code == 404
    grant(viewer, Cluster.objects.get(pk=pk), "viewer")
    assert viewer_client.get("/api/v1/clusters/").json()["results"][0]["name"] == "prod"
    assert viewer_client.get(f"/api/v1/clusters/{pk}/").status_code == 200
    for method, url, body in [
        ("post", "/api/v1/clusters/", {**VALID, "name": "other"}),
        ("patch", f"/api/v1/clusters/{pk}/", {"bootstrap_servers": "evil:9092"}),
        ("delete", f"/api/v1/clusters/{pk}/", None),
        ("post", f"/api/v1/clusters/{pk}/test-connection/", None),
        ("post", "/api/v1/clusters/test-connection/", {**VALID, "bootstrap_servers": "internal:22"}),
    ]:
        response = getattr(viewer_client, method)(url, body, format="json")
        assert response.status_code == 403, (method, url, response.content)
        assert "detail" in response.json()
    # Even an admin of the cluster may not change where Signalbox connects to: superusers only.
    Grant.objects.filter(user=viewer).update(role="admin")
    response = viewer_client.patch(f"/api/v1/clusters/{pk}/", {"bootstrap_servers": "evil:9092"}, format="json")
    assert response.status_code == 403, response.content
    assert Cluster.objects.get(pk=pk).bootstrap_servers == "kafka-1:9092,kafka-2:9092"
    assert Cluster.objects.count() == 1
    # The probe without a grant (404) is on the record too: 1 + 5 + 1.
    assert AuditEvent.objects.filter(result="denied", actor="viewer").count() == 7


def test_anonymous_is_refused():
    response = APIClient().get("/api/v1/clusters/")
    assert response.status_code == 401
    assert response["WWW-Authenticate"].startswith("Bearer")
    assert response.json()["detail"]


def test_update_keeps_password_when_omitted_and_audits_before_after(admin_client):
    body = {
        **VALID,
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "PLAIN",
        "sasl_username": "u",
        "sasl_password": "keep-me",
    }
    pk = admin_client.post("/api/v1/clusters/", body, format="json").json()["id"]
    response = admin_client.patch(f"/api/v1/clusters/{pk}/", {"poll_interval_s": 30}, format="json")
    assert response.status_code == 200, response.content
    cluster = Cluster.objects.get(pk=pk)
    assert cluster.poll_interval_s == 30 and cluster.sasl_password == "keep-me"
    event = AuditEvent.objects.get(action="cluster.update")
    assert event.before["poll_interval_s"] == 5 and event.after["poll_interval_s"] == 30


def test_failed_update_changes_nothing(admin_client):
    pk = admin_client.post("/api/v1/clusters/", VALID, format="json").json()["id"]
    response = admin_client.patch(
        f"/api/v1/clusters/{pk}/", {"bootstrap_servers": "no-port", "poll_interval_s": 9}, format="json"
    )
    assert response.status_code == 400
    cluster = Cluster.objects.get(pk=pk)
    assert (cluster.bootstrap_servers, cluster.poll_interval_s) == ("kafka-1:9092,kafka-2:9092", 5)


def test_delete_removes_and_audits(admin_client):
    pk = admin_client.post("/api/v1/clusters/", VALID, format="json").json()["id"]
    assert admin_client.delete(f"/api/v1/clusters/{pk}/").status_code == 204
    assert not Cluster.objects.exists()
    assert AuditEvent.objects.filter(action="cluster.delete", target="prod", result="ok").exists()


def test_unknown_cluster_is_404_with_json(admin_client):
    response = admin_client.get("/api/v1/clusters/999/")
    assert response.status_code == 404
    assert response.json()["detail"]


def test_openapi_schema_lists_cluster_endpoints(admin_client):
    response = admin_client.get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/clusters/" in paths
    assert "/api/v1/clusters/{id}/test-connection/" in paths
    assert "/api/v1/clusters/test-connection/" in paths


def test_api_docs_page_is_served_locally(admin_client):
    from django.contrib.auth import get_user_model
    from django.test import Client

    client = Client()
    client.force_login(get_user_model().objects.get(username="root"))
    response = client.get("/api/v1/docs/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js" in body
    assert "cdn" not in body.lower()
