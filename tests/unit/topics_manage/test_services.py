"""Topic operations without a network: input checked before Kafka is asked,
permissions, read-only clusters, and the shape of errors on pages and API."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import QueryDict
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from clusters.gateway.topics import TopicConfig
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant
from topics import services
from topics.forms import config_changes_from_post
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin():
    return get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")


@pytest.fixture
def viewer():
    return get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")


@pytest.fixture
def cluster():
    # Nothing listens here: any test that reached Kafka would fail loudly.
    c = Cluster.objects.create(name="offline", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=c, broker_count=3)
    return c


def create(user, cluster, **overrides):
    args = {"name": "orders", "partitions": 3, "replication_factor": 1, "configs": {}}
    args.update(overrides)
    return services.topic_create(user=user, cluster=cluster, **args)


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"name": ""}, "name", "cannot be empty"),
        ({"name": ".."}, "name", '"." or ".."'),
        ({"name": "a/b"}, "name", "'/'"),
        ({"name": "n" * 250}, "name", "at most 249"),
        ({"partitions": 0}, "partitions", "at least 1"),
        ({"partitions": "3"}, "partitions", "not a whole number"),
        ({"replication_factor": 0}, "replication_factor", "at least 1"),
        ({"replication_factor": 4}, "replication_factor", "above the 3 broker(s)"),
        ({"configs": {"": "1"}}, "configs", "cannot be empty"),
        ({"configs": ["retention.ms"]}, "configs", "object of name to value"),
    ],
)
def test_create_rejects_bad_input_before_asking_kafka(admin, cluster, overrides, field, fragment):
    with pytest.raises(ValidationError) as caught:
        create(admin, cluster, **overrides)
    assert fragment in " ".join(caught.value.message_dict[field])
    assert not AuditEvent.objects.exists()


def test_collision_warning_names_the_existing_topic(cluster):
    TopicMeta.objects.create(cluster=cluster, name="pay.events")
    warnings = services.topic_name_warnings(cluster=cluster, name="pay_events")
    assert len(warnings) == 1 and "'pay.events'" in warnings[0]
    assert services.topic_name_warnings(cluster=cluster, name="pay.events") == []


def test_viewer_is_refused_every_change_and_it_is_audited(viewer, cluster):
    grant(viewer, cluster, "viewer")
    calls = [
        (lambda: create(viewer, cluster), "admin"),
        (lambda: create(viewer, cluster, dry_run=True), "admin"),
        (lambda: services.topic_configs_update(user=viewer, cluster=cluster, name="t", changes={"a": "1"}), "admin"),
        (lambda: services.topic_partitions_add(user=viewer, cluster=cluster, name="t", partitions=4), "admin"),
        (lambda: services.topic_records_delete(user=viewer, cluster=cluster, name="t", purge=True), "operator"),
        (lambda: services.topic_delete(user=viewer, cluster=cluster, name="t", confirm="t"), "admin"),
    ]
    for call, needed in calls:
        with pytest.raises(PermissionDenied, match=f"needs the {needed} role"):
            call()
    assert AuditEvent.objects.filter(result="denied").count() == len(calls)
    # An operator may purge records but still not create, edit or delete topics.
    Grant.objects.filter(user=viewer).update(role="operator")
    admin_only = [call for call, needed in calls if needed == "admin"]
    for call in admin_only:
        with pytest.raises(PermissionDenied, match="needs the admin role"):
            call()
    assert AuditEvent.objects.filter(result="denied").count() == len(calls) + len(admin_only)


def test_read_only_cluster_refuses_changes(admin, cluster):
    cluster.read_only = True
    cluster.save()
    with pytest.raises(PermissionDenied, match="read-only"):
        create(admin, cluster)
    with pytest.raises(PermissionDenied, match="read-only"):
        services.topic_delete(user=admin, cluster=cluster, name="t", confirm="t")


def test_delete_needs_the_exact_name(admin, cluster):
    with pytest.raises(ValidationError) as caught:
        services.topic_delete(user=admin, cluster=cluster, name="orders", confirm="Orders")
    assert "exactly to confirm" in caught.value.message_dict["confirm"][0]


def test_partitions_must_be_positive(admin, cluster):
    with pytest.raises(ValidationError) as caught:
        services.topic_partitions_add(user=admin, cluster=cluster, name="orders", partitions=-1)
    assert "at least 1" in caught.value.message_dict["partitions"][0]


def test_config_changes_from_the_page_only_send_what_changed():
    current = (
        TopicConfig("retention.ms", "1000", "DYNAMIC_TOPIC_CONFIG", False, False),
        TopicConfig("segment.ms", "604800000", "DEFAULT_CONFIG", False, False),
        TopicConfig("cleanup.policy", "compact", "DYNAMIC_TOPIC_CONFIG", False, False),
        TopicConfig("secret.thing", None, "DYNAMIC_TOPIC_CONFIG", True, False),
    )
    post = QueryDict(mutable=True)
    post.update({"value:retention.ms": "1000", "value:segment.ms": " 3600000 ", "reset:cleanup.policy": "1"})
    post["value:secret.thing"] = "x"
    assert config_changes_from_post(post, current) == {"segment.ms": "3600000", "cleanup.policy": None}


def test_sensitive_config_is_masked():
    config = TopicConfig("ssl.password", "hunter2", "DYNAMIC_TOPIC_CONFIG", True, False)
    assert config.as_dict()["value"] == "********" and "hunter2" not in str(config.as_dict())


def test_api_400_names_the_field(admin, cluster):
    client = APIClient()
    client.force_authenticate(admin)
    response = client.post(
        f"/api/v1/clusters/{cluster.pk}/topics/",
        {"name": "bad name", "partitions": 0, "replication_factor": 1},
        format="json",
    )
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert "may only contain" in errors["name"][0] and "at least 1" in errors["partitions"][0]
    typed = client.post(
        f"/api/v1/clusters/{cluster.pk}/topics/",
        {"name": "ok", "partitions": "many", "replication_factor": 1},
        format="json",
    )
    assert typed.status_code == 400 and "partitions" in typed.json()["errors"]


def test_api_viewer_gets_403(viewer, cluster):
    client = APIClient()
    client.force_authenticate(viewer)
    url = f"/api/v1/clusters/{cluster.pk}/topics/"
    body = {"name": "ok", "partitions": 1, "replication_factor": 1}
    assert client.post(url, body, format="json").status_code == 404  # no grant: no such cluster for them
    grant(viewer, cluster, "viewer")
    response = client.post(url, body, format="json")
    assert response.status_code == 403
    assert "admin role" in response.json()["detail"]
    # Refused before the body is validated: an invalid body gets the same 403, not a 400.
    assert client.post(url, {"name": "bad name", "partitions": 0}, format="json").status_code == 403


def test_schema_documents_the_topic_operations(admin):
    client = APIClient()
    client.force_authenticate(admin)
    schema = client.get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json").json()
    paths = schema["paths"]
    base = "/api/v1/clusters/{cluster_id}/topics"
    assert "post" in paths[f"{base}/"]
    assert {"get", "delete"} <= set(paths[f"{base}/{{name}}/"])
    assert {"get", "patch"} <= set(paths[f"{base}/{{name}}/configs/"])
    assert "post" in paths[f"{base}/{{name}}/partitions/"]
    assert "post" in paths[f"{base}/{{name}}/delete-records/"]
