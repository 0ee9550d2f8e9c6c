"""Schema registry management against the real Apicurio Registry (ccompat v7): register, evolve,
reject an incompatible version, diff, compatibility levels, soft then hard delete, registry down."""

from __future__ import annotations

import json
import socket
import uuid

import pytest

from access.models import AuditEvent
from schemas import registry
from tests.grants import grant
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


def avro(*fields: dict) -> str:
    return json.dumps({"type": "record", "name": "Order", "namespace": "demo", "fields": list(fields)})


ID = {"name": "id", "type": "string"}
AMOUNT = {"name": "amount", "type": "double"}
V1 = avro(ID, AMOUNT)
V2 = avro(ID, AMOUNT, {"name": "currency", "type": "string", "default": "EUR"})
BAD = avro(ID, AMOUNT, {"name": "currency", "type": "string"})  # no default: breaks BACKWARD against V1
BAD_AFTER_V2 = avro(
    ID, AMOUNT, {"name": "currency", "type": "string", "default": "EUR"}, {"name": "note", "type": "string"}
)


def base(cluster) -> str:
    return f"/api/v1/clusters/{cluster.pk}/schemas"


def register(api, cluster, subject, schema, schema_type="AVRO", **extra):
    body = {"schema": schema, "schema_type": schema_type, **extra}
    return api.post(f"{base(cluster)}/subjects/{subject}/versions/", body, format="json")


def test_register_evolve_reject_diff_and_list(api, registry_cluster, registry_url, subject):
    cluster = registry_cluster
    first = register(api, cluster, subject, V1)
    assert first.status_code == 200, first.content
    assert first.json()["version"] == 1 and first.json()["checked_against"] is None
    api.put(f"{base(cluster)}/subjects/{subject}/compatibility/", {"compatibility": "BACKWARD"}, format="json")

    second = register(api, cluster, subject, V2)
    assert second.status_code == 200, second.content
    assert second.json()["version"] == 2 and second.json()["checked_against"] == 1

    bad = register(api, cluster, subject, BAD_AFTER_V2)
    assert bad.status_code == 409, bad.content
    assert "BACKWARD" in bad.json()["detail"] and "version 2" in bad.json()["detail"]
    assert registry.subject_versions(registry_url, subject) == [1, 2]  # nothing registered

    diff = api.get(f"{base(cluster)}/subjects/{subject}/diff/?left=1&right=2")
    assert diff.status_code == 200
    added = [r for r in diff.json()["rows"] if r["kind"] != "same"]
    assert any('"currency"' in r["right"] for r in added)
    assert all(r["left"] == r["right"] for r in diff.json()["rows"] if r["kind"] == "same")

    listing = api.get(f"{base(cluster)}/subjects/")
    row = next(r for r in listing.json()["results"] if r["subject"] == subject)
    assert (row["latest_version"], row["schema_type"]) == (2, "AVRO")
    assert row["topic"] == {"topic": subject.removesuffix("-value"), "role": "value", "exists": False}

    detail = api.get(f"{base(cluster)}/subjects/{subject}/?version=1")
    assert detail.json()["shown"]["version"] == 1 and detail.json()["versions"] == [1, 2]
    assert AuditEvent.objects.filter(action="schema.register", target=subject, result="ok").count() == 2


def test_dry_run_registers_nothing(api, registry_cluster, registry_url, subject):
    assert register(api, registry_cluster, subject, V1).status_code == 200
    check = register(api, registry_cluster, subject, V2, dry_run=True)
    assert check.status_code == 200 and check.json()["dry_run"] is True
    assert registry.subject_versions(registry_url, subject) == [1]


@pytest.mark.parametrize(
    ("schema", "schema_type", "said"),
    [
        ('{"type": "recrd", "name": "X"}', "AVRO", "Avro"),
        ("not json at all", "AVRO", "JSON"),
        ('{"type": "objectx"}', "JSON", "JSON Schema"),
        ('syntax = "proto3";\nmessage Broken {\n  string id = ;\n}\n', "PROTOBUF", ""),
    ],
)
def test_schema_that_does_not_parse_is_a_400_naming_schema(
    api, registry_cluster, registry_url, subject, schema, schema_type, said
):
    response = register(api, registry_cluster, subject, schema, schema_type)
    assert response.status_code == 400, response.content
    assert "schema" in response.json()["errors"], response.json()
    assert said in response.json()["detail"]
    assert subject not in registry.subjects(registry_url)


def test_json_schema_and_protobuf_register_with_their_type(api, registry_cluster, subject):
    js = json.dumps({"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]})
    assert register(api, registry_cluster, subject, js, "JSON").status_code == 200
    other = subject.replace("-value", "-key")
    pb = 'syntax = "proto3";\npackage demo;\n\nmessage Shipment {\n  string id = 1;\n}\n'
    assert register(api, registry_cluster, other, pb, "PROTOBUF").status_code == 200
    rows = {r["subject"]: r for r in api.get(f"{base(registry_cluster)}/subjects/").json()["results"]}
    assert rows[subject]["schema_type"] == "JSON" and rows[other]["schema_type"] == "PROTOBUF"


def test_compatibility_levels_global_and_subject(api, registry_cluster, registry_url, subject):
    cluster = registry_cluster
    register(api, cluster, subject, V1)
    url = f"{base(cluster)}/subjects/{subject}/compatibility/"
    assert api.put(url, {"compatibility": "forward_transitive"}, format="json").json()["compatibility"] == (
        "FORWARD_TRANSITIVE"
    )
    assert api.get(url).json()["compatibility"] == "FORWARD_TRANSITIVE"
    assert registry.compatibility_get(registry_url, subject) == "FORWARD_TRANSITIVE"
    bogus = api.put(url, {"compatibility": "SIDEWAYS"}, format="json")
    assert bogus.status_code == 400 and "compatibility" in bogus.json()["errors"]

    glob = f"{base(cluster)}/compatibility/"
    before = api.get(glob).json()["compatibility"]
    try:
        assert api.put(glob, {"compatibility": "FULL"}, format="json").status_code == 200
        assert registry.compatibility_get(registry_url) == "FULL"
    finally:
        registry.compatibility_set(registry_url, before or "NONE")
    assert AuditEvent.objects.filter(action="schema.compatibility", target="(global)").exists()


def test_soft_then_hard_delete_of_a_version_and_a_subject(api, registry_cluster, registry_url, subject):
    cluster = registry_cluster
    register(api, cluster, subject, V1)
    register(api, cluster, subject, V2)
    version = f"{base(cluster)}/subjects/{subject}/version/"
    early = api.delete(f"{version}?version=1&permanent=true")
    assert early.status_code == 409 and "soft delete it first" in early.json()["detail"]
    assert api.delete(f"{version}?version=1").status_code == 200
    assert registry.subject_versions(registry_url, subject) == [2]
    assert api.delete(f"{version}?version=1&permanent=true").status_code == 200
    assert registry.subject_versions(registry_url, subject, deleted=True) == [2]

    TopicMeta.objects.create(cluster=cluster, name=subject.removesuffix("-value"))
    subj = f"{base(cluster)}/subjects/{subject}/"
    assert api.delete(f"{subj}?permanent=true").status_code == 409
    soft = api.delete(subj)
    assert soft.status_code == 200 and "still uses this subject" in soft.json()["warnings"][0]
    assert subject not in registry.subjects(registry_url)
    assert subject in registry.subjects(registry_url, deleted=True)
    assert api.delete(f"{subj}?permanent=true").status_code == 200
    assert subject not in registry.subjects(registry_url, deleted=True)
    assert api.get(subj).status_code == 404


def test_pages_register_diff_and_delete(page, registry_cluster, registry_url, subject):
    cluster = registry_cluster
    base_page = f"/clusters/{cluster.pk}/schemas"
    created = page.post(f"{base_page}/~register/", {"subject": subject, "schema_type": "AVRO", "schema": V1})
    assert created.status_code == 302, created.content.decode()[:500]
    page.post(f"{base_page}/{subject}/compatibility/", {"compatibility": "BACKWARD"})
    refused = page.post(f"{base_page}/{subject}/register/", {"schema_type": "AVRO", "schema": BAD})
    assert refused.status_code == 409 and "BACKWARD" in refused.content.decode()
    assert page.post(f"{base_page}/{subject}/register/", {"schema_type": "AVRO", "schema": V2}).status_code == 302

    listing = page.get(f"{base_page}/").content.decode()
    assert f'data-subject="{subject}"' in listing
    diff = page.get(f"{base_page}/{subject}/diff/?left=1&right=2").content.decode()
    assert 'data-kind="added"' in diff or 'data-kind="changed"' in diff
    detail = page.get(f"{base_page}/{subject}/")
    assert detail.status_code == 200 and 'data-version="2"' in detail.content.decode()

    wrong = page.post(f"{base_page}/{subject}/delete/", {"confirm": "nope"})
    assert wrong.status_code == 400 and subject in registry.subjects(registry_url)
    assert page.post(f"{base_page}/{subject}/delete/", {"confirm": subject}).status_code == 302
    assert subject not in registry.subjects(registry_url)


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_registry_down_is_a_502_and_the_page_still_renders(api, page, local_cluster):
    local_cluster.schema_registry_url = f"http://127.0.0.1:{closed_port()}"
    local_cluster.save()
    response = api.get(f"{base(local_cluster)}/subjects/")
    assert response.status_code == 502
    assert "Cannot reach the schema registry" in response.json()["detail"]
    assert str(local_cluster.schema_registry_url) in response.json()["detail"]
    register_down = register(api, local_cluster, "x-value", V1)
    assert register_down.status_code == 502
    html = page.get(f"/clusters/{local_cluster.pk}/schemas/")
    assert html.status_code == 200
    body = html.content.decode()
    assert 'id="registry-error"' in body and local_cluster.name in body


def test_no_registry_configured_says_how_to_set_it(api, page, local_cluster):
    body = page.get(f"/clusters/{local_cluster.pk}/schemas/").content.decode()
    assert 'id="schemas-not-configured"' in body and f"/clusters/{local_cluster.pk}/edit/" in body
    response = api.get(f"{base(local_cluster)}/subjects/")
    assert response.status_code == 409 and response.json()["code"] == "not_configured"


def test_viewer_reads_but_may_not_change(registry_cluster, registry_url, viewer, subject):
    from rest_framework.test import APIClient

    registry.register(registry_url, subject, V1, "AVRO")
    grant(viewer, registry_cluster, "viewer")
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get(f"{base(registry_cluster)}/subjects/{subject}/").status_code == 200
    refused = register(client, registry_cluster, subject, V2)
    assert refused.status_code == 403
    assert client.delete(f"{base(registry_cluster)}/subjects/{subject}/").status_code == 403
    assert registry.subject_versions(registry_url, subject) == [1]


def test_unknown_subject_is_a_404(api, registry_cluster):
    assert api.get(f"{base(registry_cluster)}/subjects/nope-{uuid.uuid4().hex}/").status_code == 404
