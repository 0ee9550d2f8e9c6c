"""The ACL API against the real SASL broker with the StandardAuthorizer (and the plain
broker, which has no authorizer): list and filter, create, delete with preview, the
conflict when the set changes in between, refusals audited."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters.gateway import acls as gateway
from tests.grants import grant
from tests.integration.acls.conftest import unique

pytestmark = pytest.mark.django_db


def _client(cluster, name, role):
    user = get_user_model().objects.create_user(name, f"{name}@example.com", f"pw-{name}-123")
    grant(user, cluster, role)
    client = APIClient()
    client.force_authenticate(user)
    return client


def base(cluster):
    return f"/api/v1/clusters/{cluster.pk}/acls/"


def acl(principal, **extra):
    return {
        "principal": principal,
        "operation": "READ",
        "resource_type": "TOPIC",
        "resource_name": "payments",
        **extra,
    }


def test_admin_creates_operator_lists_with_filters_and_counts(sasl_cluster):
    admin, operator = _client(sasl_cluster, "ada", "admin"), _client(sasl_cluster, "olga", "operator")
    who = f"User:{unique('list')}"
    for body in (
        acl(who),
        acl(who, operation="DESCRIBE"),
        acl(who, resource_type="GROUP", resource_name="billing"),
        acl(who, permission="DENY", operation="WRITE", host="10.1.2.3"),
    ):
        response = admin.post(base(sasl_cluster), body, format="json")
        assert response.status_code == 201, response.content
    try:
        listed = operator.get(base(sasl_cluster), {"principal": who})
        assert listed.status_code == 200
        body = listed.json()
        assert body["authorizer"] is True and body["count"] == 4
        assert body["by_resource_type"] == {"GROUP": 1, "TOPIC": 3}
        assert body["by_permission"] == {"ALLOW": 3, "DENY": 1}
        denied = operator.get(base(sasl_cluster), {"principal": who, "permission": "deny"}).json()
        assert [(b["operation"], b["host"]) for b in denied["results"]] == [("WRITE", "10.1.2.3")]
        groups = operator.get(base(sasl_cluster), {"principal": who, "resource_type": "GROUP"}).json()
        assert [b["resource_name"] for b in groups["results"]] == ["billing"]
        by_host = operator.get(base(sasl_cluster), {"principal": who, "host": "*", "operation": "DESCRIBE"}).json()
        assert by_host["count"] == 1
        # The same ACL again changes nothing: 200 and listed under "existed".
        again = admin.post(base(sasl_cluster), acl(who), format="json")
        assert again.status_code == 200 and again.json()["created"] == [] and len(again.json()["existed"]) == 1
        event = AuditEvent.objects.filter(action="acl.create", result="ok").order_by("-id").first()
        assert event.before == [again.json()["existed"][0]]
    finally:
        gateway.acls_delete(sasl_cluster.connection(), [gateway.AclFilter(principal=who)])


def test_delete_preview_lists_exactly_the_matches_and_a_changed_set_is_refused(sasl_cluster):
    admin = _client(sasl_cluster, "ada", "admin")
    who = f"User:{unique('del')}"
    assert admin.post(base(sasl_cluster), acl(who), format="json").status_code == 201
    assert admin.post(base(sasl_cluster), acl(who, resource_name="refunds"), format="json").status_code == 201
    try:
        preview = admin.post(base(sasl_cluster) + "delete-preview/", {"principal": who}, format="json").json()
        assert preview["count"] == 2
        assert sorted(b["resource_name"] for b in preview["results"]) == ["payments", "refunds"]

        # Someone adds an ACL the filter also matches: the old confirmation no longer holds.
        assert admin.post(base(sasl_cluster), acl(who, resource_name="ledger"), format="json").status_code == 201
        stale = admin.post(
            base(sasl_cluster) + "delete/", {"principal": who, "fingerprint": preview["fingerprint"]}, format="json"
        )
        assert stale.status_code == 409, stale.content
        assert stale.json()["count"] == 3
        assert admin.get(base(sasl_cluster), {"principal": who}).json()["count"] == 3  # nothing was deleted

        fresh = admin.post(
            base(sasl_cluster) + "delete/",
            {"principal": who, "fingerprint": stale.json()["fingerprint"]},
            format="json",
        )
        assert fresh.status_code == 200, fresh.content
        assert fresh.json()["count"] == 3
        assert admin.get(base(sasl_cluster), {"principal": who}).json()["count"] == 0

        nothing = admin.post(
            base(sasl_cluster) + "delete/", {"principal": who, "fingerprint": preview["fingerprint"]}, format="json"
        )
        assert nothing.status_code == 400
        assert "matches no ACL" in " ".join(nothing.json()["errors"]["filter"])
        results = list(AuditEvent.objects.filter(action="acl.delete").order_by("id").values_list("result", flat=True))
        assert results == ["error", "ok", "error"]
    finally:
        gateway.acls_delete(sasl_cluster.connection(), [gateway.AclFilter(principal=who)])


def test_cluster_without_authorizer_says_how_to_enable_one(local_cluster):
    admin = _client(local_cluster, "ada", "admin")
    listed = admin.get(base(local_cluster))
    assert listed.status_code == 200
    assert listed.json()["authorizer"] is False and listed.json()["results"] == []
    assert "authorizer.class.name" in listed.json()["detail"]
    created = admin.post(base(local_cluster), acl("User:alice"), format="json")
    assert created.status_code == 400
    assert created.json()["code"] == "no_authorizer"
    preview = admin.post(base(local_cluster) + "delete-preview/", {"principal": "User:alice"}, format="json")
    assert preview.status_code == 400 and preview.json()["code"] == "no_authorizer"
    assert AuditEvent.objects.get(action="acl.create").result == "error"


def test_gateway_reports_broker_refusals_per_binding(sasl_cluster):
    """The broker's own reason for each binding it refuses, and the others still created."""
    settings = sasl_cluster.connection()
    who = f"User:{unique('gw')}"
    good = gateway.AclBinding(who, "*", "READ", "ALLOW", "TOPIC", "gw-topic", "LITERAL")
    no_colon = gateway.AclBinding("nobody", "*", "READ", "ALLOW", "TOPIC", "gw-topic", "LITERAL")
    wrong_cluster = gateway.AclBinding(who, "*", "ALTER", "ALLOW", "CLUSTER", "mine", "LITERAL")
    try:
        results = gateway.acls_create(settings, [good, no_colon, wrong_cluster])
        assert [r.ok for r in results] == [True, False, False]
        assert "principal" in results[1].error
        assert "kafka-cluster" in results[2].error
        assert gateway.acls_describe(settings, gateway.AclFilter(principal=who)) == (good,)
    finally:
        gateway.acls_delete(settings, [gateway.AclFilter(principal=who)])
