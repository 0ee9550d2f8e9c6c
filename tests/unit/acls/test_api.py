"""The ACL API and pages without a network: who may do what, bad input refused with the
field named and audited, the OpenAPI schema. The cluster points at a closed port, so any
request that reached Kafka would fail loudly instead of passing by accident."""

import pytest
from django.contrib.auth import get_user_model
from django.urls import reverse
from rest_framework.test import APIClient

from access.models import AuditEvent
from access.tokens import token_create
from acls.selectors import acl_fingerprint
from clusters.gateway import acls as gateway
from clusters.gateway.acls import AclBinding, AclFilter
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant

pytestmark = pytest.mark.django_db

GOOD = {
    "principal": "User:alice",
    "operation": "READ",
    "resource_type": "TOPIC",
    "resource_name": "orders",
}
WIZARD = {"preset": "consumer", "principal": "User:alice", "topic": "orders", "group": "billing"}
FILTER = {"principal": "User:alice"}
ALICE_READ = AclBinding("User:alice", "*", "READ", "ALLOW", "TOPIC", "orders", "LITERAL")


@pytest.fixture
def cluster():
    cluster = Cluster.objects.create(name="secure", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


def _user(name, **extra):
    maker = (
        get_user_model().objects.create_superuser if extra.get("superuser") else get_user_model().objects.create_user
    )
    return maker(name, f"{name}@example.com", f"pw-{name}-123")


def _client(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def viewer(cluster):
    user = _user("vic")
    grant(user, cluster, "viewer")
    return user


@pytest.fixture
def operator(cluster):
    user = _user("olga")
    grant(user, cluster, "operator")
    return user


@pytest.fixture
def admin(cluster):
    user = _user("ada")
    grant(user, cluster, "admin")
    return user


def urls(cluster):
    kw = {"cluster_id": cluster.pk}
    return {
        "list": reverse("acl-list", kwargs=kw),
        "wizard": reverse("acl-wizard", kwargs=kw),
        "preview": reverse("acl-delete-preview", kwargs=kw),
        "delete": reverse("acl-delete", kwargs=kw),
    }


def test_api_urls_have_the_agreed_names(cluster):
    assert urls(cluster) == {
        "list": f"/api/v1/clusters/{cluster.pk}/acls/",
        "wizard": f"/api/v1/clusters/{cluster.pk}/acls/wizard/",
        "preview": f"/api/v1/clusters/{cluster.pk}/acls/delete-preview/",
        "delete": f"/api/v1/clusters/{cluster.pk}/acls/delete/",
    }
    assert reverse("acls:list", kwargs={"cluster_id": cluster.pk}) == f"/clusters/{cluster.pk}/acls/"


def test_viewer_is_refused_everything_and_each_denial_is_audited(cluster, viewer):
    api, u = _client(viewer), urls(cluster)
    calls = [
        ("get", u["list"], None),
        ("post", u["list"], GOOD),
        ("post", u["wizard"], WIZARD),
        ("post", u["preview"], FILTER),
        ("post", u["delete"], {**FILTER, "fingerprint": "x"}),
    ]
    for method, url, body in calls:
        response = getattr(api, method)(url, body, format="json")
        assert response.status_code == 403, (url, response.content)
        assert "operator" in response.json()["detail"] or "admin" in response.json()["detail"]
    denied = AuditEvent.objects.filter(actor="vic", result="denied")
    assert denied.count() == len(calls)
    assert {e.action for e in denied} == {"acl.view", "acl.edit"}


def test_operator_may_view_but_not_change(cluster, operator, monkeypatch):
    seen = []

    def describe(settings, acl_filter):
        seen.append(acl_filter)
        return (ALICE_READ,)

    monkeypatch.setattr(gateway, "acls_describe", describe)
    api, u = _client(operator), urls(cluster)
    listed = api.get(u["list"], {"principal": "User:alice", "resource_type": "topic"})
    assert listed.status_code == 200, listed.content
    assert listed.json()["results"] == [ALICE_READ.as_dict()]
    assert listed.json()["by_resource_type"] == {"TOPIC": 1}
    assert seen[0] == AclFilter(principal="User:alice", resource_type="TOPIC")
    preview = api.post(u["preview"], FILTER, format="json")
    assert preview.status_code == 200
    assert preview.json()["fingerprint"] == acl_fingerprint([ALICE_READ])
    for url, body in [(u["list"], GOOD), (u["wizard"], WIZARD), (u["delete"], {**FILTER, "fingerprint": "x"})]:
        response = api.post(url, body, format="json")
        assert response.status_code == 403, response.content
        assert "needs the admin role" in response.json()["detail"]


def test_refused_whatever_the_body_holds(cluster, operator):
    # The permission comes before validation: garbage gets 403, not 400.
    response = _client(operator).post(urls(cluster)["list"], {"principal": "nonsense"}, format="json")
    assert response.status_code == 403


def test_user_without_grant_does_not_see_the_cluster(cluster):
    stranger = _user("sam")
    assert _client(stranger).get(urls(cluster)["list"]).status_code == 404


def test_read_only_cluster_refuses_changes_even_for_superusers(cluster):
    cluster.read_only = True
    cluster.save()
    api, u = _client(_user("root", superuser=True)), urls(cluster)
    for url, body in [(u["list"], GOOD), (u["wizard"], WIZARD), (u["delete"], {**FILTER, "fingerprint": "x"})]:
        response = api.post(url, body, format="json")
        assert response.status_code == 403
        assert "read-only" in response.json()["detail"]
    assert AuditEvent.objects.filter(result="denied", action="acl.edit").count() == 3


def test_read_only_token_refuses_changes(cluster, admin):
    _, raw = token_create(user=admin, name="ci-read", scope="read", expires_in_days=30)
    api = APIClient()
    api.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    response = api.post(urls(cluster)["list"], GOOD, format="json")
    assert response.status_code == 403, response.content
    assert "read-only" in response.json()["detail"]
    event = AuditEvent.objects.get(result="denied", action="acl.edit")
    assert event.actor == "ada" and "ci-read" in event.token_name


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({**GOOD, "principal": "alice"}, "principal", "no ':'"),
        ({**GOOD, "principal": "User:"}, "principal", "is empty"),
        ({**GOOD, "principal": "User:al ice"}, "principal", "whitespace"),
        ({**GOOD, "resource_type": "TABLE"}, "resource_type", "use one of TOPIC, GROUP"),
        ({**GOOD, "operation": "EAT"}, "operation", "use one of"),
        ({**GOOD, "permission": "PERHAPS"}, "permission", "ALLOW, DENY"),
        ({**GOOD, "pattern_type": "ANY"}, "pattern_type", "LITERAL, PREFIXED"),
        ({**GOOD, "host": "db.example.com"}, "host", "IP address"),
        ({**GOOD, "resource_name": "no/slashes"}, "resource_name", "may only contain"),
        ({"operation": "READ"}, "principal", "<Type>:<name>"),
    ],
)
def test_bad_create_is_a_400_naming_the_field_and_audited(cluster, admin, body, field, fragment):
    response = _client(admin).post(urls(cluster)["list"], body, format="json")
    assert response.status_code == 400, response.content
    payload = response.json()
    assert field in payload["errors"], payload
    assert fragment in " ".join(payload["errors"][field])
    event = AuditEvent.objects.get(action="acl.create")
    assert event.result == "error" and event.actor == "ada"
    assert fragment in event.error


def test_bad_wizard_input_is_a_400_naming_the_field_and_audited(cluster, admin):
    response = _client(admin).post(urls(cluster)["wizard"], {**WIZARD, "group": ""}, format="json")
    assert response.status_code == 400
    assert "group" in response.json()["errors"]
    assert AuditEvent.objects.get(action="acl.wizard").result == "error"


def test_delete_needs_the_preview_fingerprint(cluster, admin):
    response = _client(admin).post(urls(cluster)["delete"], FILTER, format="json")
    assert response.status_code == 400
    assert "Preview the delete first" in " ".join(response.json()["errors"]["fingerprint"])
    assert AuditEvent.objects.get(action="acl.delete").result == "error"


def test_bad_delete_filter_names_the_field(cluster, admin):
    response = _client(admin).post(
        urls(cluster)["delete"], {"principal": "bob", "pattern_type": "SOME", "fingerprint": "x"}, format="json"
    )
    assert response.status_code == 400
    assert {"principal", "pattern_type"} <= set(response.json()["errors"])


def test_bad_list_filter_names_the_field(cluster, operator):
    response = _client(operator).get(urls(cluster)["list"], {"resource_type": "TABLES"})
    assert response.status_code == 400
    assert "use one of" in " ".join(response.json()["errors"]["resource_type"])


def test_list_of_a_cluster_without_authorizer_is_an_empty_state(cluster, operator, monkeypatch):
    def describe(settings, acl_filter):
        raise gateway.no_authorizer(settings)

    monkeypatch.setattr(gateway, "acls_describe", describe)
    response = _client(operator).get(urls(cluster)["list"])
    assert response.status_code == 200
    assert response.json()["authorizer"] is False and response.json()["results"] == []
    assert "authorizer.class.name" in response.json()["detail"]


def test_delete_refuses_when_the_set_changed_since_the_preview(cluster, admin, monkeypatch):
    """The fingerprint of the previewed set no longer matches: 409 with the new set, nothing deleted."""
    alice_write = AclBinding("User:alice", "*", "WRITE", "ALLOW", "TOPIC", "orders", "LITERAL")
    current = [(ALICE_READ,)]
    deleted = []
    monkeypatch.setattr(gateway, "acls_describe", lambda settings, f: current[0])
    monkeypatch.setattr(gateway, "acls_delete", lambda settings, filters: deleted.append(filters))
    api, u = _client(admin), urls(cluster)
    fingerprint = api.post(u["preview"], FILTER, format="json").json()["fingerprint"]
    current[0] = (ALICE_READ, alice_write)  # someone added an ACL the filter also matches
    response = api.post(u["delete"], {**FILTER, "fingerprint": fingerprint}, format="json")
    assert response.status_code == 409, response.content
    body = response.json()
    assert body["code"] == "acls_changed" and body["count"] == 2
    assert body["fingerprint"] == acl_fingerprint([ALICE_READ, alice_write])
    assert deleted == []
    event = AuditEvent.objects.get(action="acl.delete")
    assert event.result == "error" and "changed since the preview" in event.error


def test_delete_removes_exactly_the_previewed_bindings(cluster, admin, monkeypatch):
    sent = []
    monkeypatch.setattr(gateway, "acls_describe", lambda settings, f: (ALICE_READ,))

    def delete(settings, filters):
        sent.extend(filters)
        return gateway.AclsDeleted(deleted=(ALICE_READ,))

    monkeypatch.setattr(gateway, "acls_delete", delete)
    api, u = _client(admin), urls(cluster)
    fingerprint = api.post(u["preview"], FILTER, format="json").json()["fingerprint"]
    response = api.post(u["delete"], {**FILTER, "fingerprint": fingerprint}, format="json")
    assert response.status_code == 200
    assert response.json() == {"count": 1, "deleted": [ALICE_READ.as_dict()]}
    assert sent == [ALICE_READ.as_filter()]  # an exact filter per previewed ACL, not the broad one
    event = AuditEvent.objects.get(action="acl.delete")
    assert event.result == "ok" and event.before == [ALICE_READ.as_dict()] and event.after == []


def test_delete_of_a_filter_matching_nothing_is_a_400_and_audited(cluster, admin, monkeypatch):
    monkeypatch.setattr(gateway, "acls_describe", lambda settings, f: ())
    response = _client(admin).post(urls(cluster)["delete"], {**FILTER, "fingerprint": "abc"}, format="json")
    assert response.status_code == 400
    assert "matches no ACL" in " ".join(response.json()["errors"]["filter"])
    assert AuditEvent.objects.get(action="acl.delete").result == "error"


def test_body_must_be_an_object(cluster, admin):
    response = _client(admin).post(urls(cluster)["list"], [1, 2], format="json")
    assert response.status_code == 400


def test_schema_documents_every_acl_endpoint(cluster):
    import yaml

    root = _user("root", superuser=True)
    schema = yaml.safe_load(_client(root).get("/api/v1/schema/").content)
    paths = schema["paths"]
    base = "/api/v1/clusters/{cluster_id}/acls/"
    assert {"get", "post"} <= set(paths[base])
    assert paths[base]["get"]["operationId"] == "acls_list"
    assert {p["name"] for p in paths[base]["get"]["parameters"]} >= {"principal", "resource_type", "pattern_type"}
    for suffix, op in [
        ("wizard/", "acls_wizard"),
        ("delete-preview/", "acls_delete_preview"),
        ("delete/", "acls_delete"),
    ]:
        post = paths[base + suffix]["post"]
        assert post["operationId"] == op
        assert "requestBody" in post
    assert "409" in paths[base + "delete/"]["post"]["responses"]
    components = schema["components"]["schemas"]
    assert {"AclBinding", "AclList", "AclDeletePreview", "AclDeleted", "AclWizardRequest"} <= set(components)
    assert "fingerprint" in components["AclDeleteRequest"]["required"]


# -- pages ---------------------------------------------------------------------------------------


def test_pages_refuse_viewer_and_operator_changes(client, cluster, viewer, operator):
    pk = cluster.pk
    client.force_login(viewer)
    for name in ("acls:list", "acls:create", "acls:wizard", "acls:delete"):
        assert client.get(reverse(name, kwargs={"cluster_id": pk})).status_code == 403, name
    client.force_login(operator)
    for name in ("acls:create", "acls:wizard", "acls:delete"):
        assert client.get(reverse(name, kwargs={"cluster_id": pk})).status_code == 403, name
    response = client.post(reverse("acls:create", kwargs={"cluster_id": pk}), GOOD)
    assert response.status_code == 403


def test_create_page_shows_the_service_error_next_to_the_field(client, cluster, admin):
    client.force_login(admin)
    response = client.post(reverse("acls:create", kwargs={"cluster_id": cluster.pk}), {**GOOD, "principal": "alice"})
    assert response.status_code == 400
    html = response.content.decode()
    assert 'id="field-principal"' in html and "no &#x27;:&#x27;" in html
    assert AuditEvent.objects.get(action="acl.create").result == "error"


def test_wizard_preview_lists_the_bindings_without_kafka(client, cluster, admin):
    client.force_login(admin)
    response = client.post(
        reverse("acls:wizard", kwargs={"cluster_id": cluster.pk}),
        {**WIZARD, "action": "preview"},
        HTTP_HX_REQUEST="true",
    )
    assert response.status_code == 200
    html = response.content.decode()
    assert 'id="wizard-bindings"' in html
    assert html.count("<tr><td>") == 3
    assert "billing" in html and "DESCRIBE" in html
    assert not AuditEvent.objects.exists()  # a preview changes nothing and is not audited


def test_login_required(client, cluster):
    response = client.get(reverse("acls:list", kwargs={"cluster_id": cluster.pk}))
    assert response.status_code == 302 and "/login/" in response["Location"]


def test_broker_refusal_is_reported_per_binding_and_audited(cluster, admin, monkeypatch):
    monkeypatch.setattr(gateway, "acls_describe", lambda settings, f: ())

    def create(settings, bindings):
        first, *rest = bindings
        return (gateway.AclCreated(first), *(gateway.AclCreated(b, "POLICY_VIOLATION: not here") for b in rest))

    monkeypatch.setattr(gateway, "acls_create", create)
    response = _client(admin).post(urls(cluster)["wizard"], WIZARD, format="json")
    assert response.status_code == 400, response.content
    body = response.json()
    assert [r["created"] for r in body["results"]] == [True, False, False]
    assert {r["error"] for r in body["results"][1:]} == {"POLICY_VIOLATION: not here"}
    assert "refused 2 ACL(s)" in body["detail"] and "Created:" in body["detail"]
    event = AuditEvent.objects.get(action="acl.wizard")
    assert event.result == "error" and "POLICY_VIOLATION" in event.error
