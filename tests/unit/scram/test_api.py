"""The SCRAM API without a network: 403 before the body is read, 400 naming the field,
read-only tokens refused, nothing echoed back, and the schema documents it all."""

import json

import pytest
from rest_framework.test import APIClient

from access.models import AuditEvent
from access.tokens import token_create
from tests.unit.scram.conftest import PASSWORD, client_for

pytestmark = pytest.mark.django_db


def url(cluster, name=None):
    base = f"/api/v1/clusters/{cluster.pk}/scram-users/"
    return base if name is None else f"{base}{name}/"


BODY = {"user": "alice", "mechanism": "SCRAM-SHA-512", "password": PASSWORD, "iterations": 8192}


def test_weak_password_is_a_400_naming_the_field_and_never_echoed(superuser, cluster, kafka_calls):
    weak = "Alice-" + PASSWORD
    response = client_for(superuser).post(url(cluster), {**BODY, "password": weak}, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert "user name" in body["errors"]["password"][0]
    assert weak not in response.content.decode()
    event = AuditEvent.objects.get(action="scram.credential.set")
    assert event.result == "error" and event.target == "alice"
    assert weak not in json.dumps([event.before, event.after, event.error])
    assert kafka_calls == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"user": ""}, "user"),
        ({"user": "User:alice"}, "user"),
        ({"password": ""}, "password"),
        ({"mechanism": "GSSAPI"}, "mechanism"),
        ({"iterations": 1024}, "iterations"),
        ({"iterations": "x"}, "iterations"),
    ],
)
def test_bad_input_is_a_400_with_the_field_and_is_audited(superuser, cluster, kafka_calls, changes, field):
    response = client_for(superuser).post(url(cluster), {**BODY, **changes}, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert AuditEvent.objects.filter(action="scram.credential.set", result="error").count() == 1
    assert PASSWORD not in response.content.decode()


def test_a_body_that_is_not_an_object_is_a_400(superuser, cluster, kafka_calls):
    response = client_for(superuser).post(url(cluster), ["alice"], format="json")
    assert response.status_code == 400
    assert {"user", "password"} <= set(response.json()["errors"])


@pytest.mark.parametrize("who", ["viewer", "operator"])
def test_viewers_and_operators_get_403_whatever_they_send(request, cluster, kafka_calls, who):
    api = client_for(request.getfixturevalue(who))
    assert api.get(url(cluster)).status_code == 403
    assert api.get(url(cluster, "alice")).status_code == 403
    assert api.post(url(cluster), BODY, format="json").status_code == 403
    garbage = api.post(url(cluster), "{not json", content_type="application/json")
    assert garbage.status_code == 403  # refused before the body is parsed
    assert api.delete(url(cluster, "alice") + "?confirm=alice").status_code == 403
    assert kafka_calls == []
    assert AuditEvent.objects.filter(result="denied").count() == 5
    assert not AuditEvent.objects.exclude(result="denied").exists()


def test_a_user_without_a_grant_does_not_see_the_cluster(cluster, kafka_calls, django_user_model):
    stranger = django_user_model.objects.create_user("stranger", "s@example.com", "pw-stranger-123")
    api = client_for(stranger)
    assert api.get(url(cluster)).status_code == 404
    assert api.post(url(cluster), BODY, format="json").status_code == 404
    assert kafka_calls == []


def test_anonymous_is_refused(cluster, kafka_calls):
    response = APIClient().post(url(cluster), BODY, format="json")
    assert response.status_code in (401, 403)
    assert kafka_calls == []


def test_read_only_cluster_refuses_changes(superuser, cluster, kafka_calls):
    cluster.read_only = True
    cluster.save()
    api = client_for(superuser)
    response = api.post(url(cluster), BODY, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert api.delete(url(cluster, "alice") + "?confirm=alice").status_code == 403
    assert kafka_calls == []


def test_read_only_token_refuses_changes(superuser, cluster, kafka_calls):
    _, raw = token_create(user=superuser, name="reader", scope="read", expires_in_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(url(cluster), BODY, format="json")
    assert response.status_code == 403, response.content
    assert "read-only" in response.json()["detail"]
    assert api.delete(url(cluster, "alice"), {"confirm": "alice"}, format="json").status_code == 403
    assert kafka_calls == []
    denied = AuditEvent.objects.filter(result="denied", action="scram.edit")
    assert denied.count() == 2 and all(e.token_name.startswith("reader") for e in denied)
    assert PASSWORD not in response.content.decode()


def test_read_write_token_gets_through_to_validation(superuser, cluster, kafka_calls):
    _, raw = token_create(user=superuser, name="writer", scope="write", expires_in_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(url(cluster), {**BODY, "password": "short"}, format="json")
    assert response.status_code == 400
    assert AuditEvent.objects.get(action="scram.credential.set").token_name.startswith("writer")


@pytest.mark.parametrize(
    ("query", "field"),
    [("?confirm=bob", "confirm"), ("", "confirm"), ("?confirm=alice&mechanism=SHA1", "mechanism")],
)
def test_delete_validation_is_a_400(superuser, cluster, kafka_calls, query, field):
    response = client_for(superuser).delete(url(cluster, "alice") + query)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]
    assert AuditEvent.objects.get(action="scram.credential.delete").result == "error"


def test_schema_documents_the_endpoints_and_keeps_the_password_write_only(superuser):
    api = client_for(superuser)
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    collection = paths["/api/v1/clusters/{cluster_id}/scram-users/"]
    detail = paths["/api/v1/clusters/{cluster_id}/scram-users/{name}/"]
    assert {"get", "post"} <= set(collection) and {"get", "delete"} <= set(detail)
    components = schema["components"]["schemas"]
    request_schema = components["ScramCredentialSetRequest"]
    assert request_schema["properties"]["password"]["writeOnly"] is True
    assert request_schema["properties"]["password"]["minLength"] == 12
    for name in ("ScramUser", "ScramCredentialSet", "ScramCredentialsDeleted", "ScramCredential"):
        assert "password" not in components[name]["properties"]
    params = {p["name"] for p in detail["delete"]["parameters"]}
    assert {"confirm", "mechanism"} <= params
