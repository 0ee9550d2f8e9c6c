"""Topic operations over the API against the real broker."""

import pytest
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from tests.grants import grant
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


def url(cluster, path=""):
    return f"/api/v1/clusters/{cluster.pk}/{path}"


def test_create_with_configs_reads_them_back_and_audits(api, local_cluster, kafka, topic_name):
    body = {
        "name": topic_name,
        "partitions": 3,
        "replication_factor": 1,
        "configs": {"cleanup.policy": "compact", "retention.ms": "3600000"},
    }
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 201, response.content
    assert response.json()["partitions"] == 3 and response.json()["dry_run"] is False
    assert kafka.exists(topic_name) and kafka.partitions(topic_name) == 3
    assert kafka.config(topic_name, "cleanup.policy") == ("compact", "DYNAMIC_TOPIC_CONFIG")
    assert kafka.config(topic_name, "retention.ms")[0] == "3600000"
    # The detail reads the same configs back with their source.
    detail = api.get(url(local_cluster, f"topics/{topic_name}/")).json()
    configs = {c["name"]: c for c in detail["configs"]}
    assert configs["cleanup.policy"]["value"] == "compact"
    assert configs["cleanup.policy"]["source"] == "DYNAMIC_TOPIC_CONFIG"
    assert configs["segment.bytes"]["source"] == "DEFAULT_CONFIG"
    # The stored snapshot was refreshed at once, so the list shows the new topic.
    assert TopicMeta.objects.filter(cluster=local_cluster, name=topic_name, partition_count=3).exists()
    event = AuditEvent.objects.get(action="topic.create", target=topic_name)
    assert event.result == "ok" and event.after["configs"]["cleanup.policy"] == "compact"


def test_dry_run_creates_nothing_and_is_not_audited(api, local_cluster, kafka, topic_name):
    body = {"name": topic_name, "partitions": 2, "replication_factor": 1, "dry_run": True}
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["dry_run"] is True and response.json()["partitions"] == 2
    assert not kafka.exists(topic_name)
    assert not AuditEvent.objects.filter(target=topic_name).exists()


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"name": "bad name!"}, "name", "may only contain"),
        ({"name": "."}, "name", '"." or ".."'),
        ({"name": "x" * 250}, "name", "at most 249"),
        ({"partitions": 0}, "partitions", "at least 1"),
        ({"partitions": -3}, "partitions", "at least 1"),
        ({"replication_factor": 3}, "replication_factor", "broker"),
        ({"configs": {"no.such.config": "1"}}, "configs", "no.such.config"),
        ({"configs": {"retention.ms": "soon"}}, "configs", "retention.ms"),
    ],
)
def test_invalid_create_is_a_400_naming_the_field(api, local_cluster, kafka, topic_name, change, field, fragment):
    body = {"name": topic_name, "partitions": 1, "replication_factor": 1, **change}
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert not kafka.exists(topic_name)


def test_replication_factor_above_known_broker_count_is_refused_before_kafka(api, local_cluster, topic_name):
    local_cluster.status.broker_count = 1
    local_cluster.status.save()
    body = {"name": topic_name, "partitions": 1, "replication_factor": 2}
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 400
    assert "above the 1 broker(s)" in response.json()["errors"]["replication_factor"][0]


def test_name_colliding_up_to_dot_underscore_warns_and_broker_refuses(api, local_cluster, kafka, topic_name):
    dotted = f"{topic_name}.a"
    kafka.create(dotted)
    TopicMeta.objects.create(cluster=local_cluster, name=dotted)
    body = {"name": f"{topic_name}_a", "partitions": 1, "replication_factor": 1, "dry_run": True}
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 400
    assert "collides" in response.json()["errors"]["name"][0]
    from topics.services import topic_name_warnings

    assert "only in '.' versus '_'" in topic_name_warnings(cluster=local_cluster, name=f"{topic_name}_a")[0]


def test_existing_name_is_a_400_on_name(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    body = {"name": topic_name, "partitions": 1, "replication_factor": 1}
    response = api.post(url(local_cluster, "topics/"), body, format="json")
    assert response.status_code == 400
    assert "already exists" in response.json()["errors"]["name"][0]


def test_alter_config_validate_only_changes_nothing_then_applies(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    endpoint = url(local_cluster, f"topics/{topic_name}/configs/")
    preview = api.patch(endpoint, {"configs": {"retention.ms": "120000"}, "dry_run": True}, format="json")
    assert preview.status_code == 200, preview.content
    assert preview.json()["changes"] == [{"name": "retention.ms", "before": None, "after": "120000"}]
    assert kafka.config(topic_name, "retention.ms")[1] == "DEFAULT_CONFIG"
    assert not AuditEvent.objects.filter(action="topic.config.update").exists()

    applied = api.patch(endpoint, {"configs": {"retention.ms": "120000"}}, format="json")
    assert applied.status_code == 200, applied.content
    assert kafka.config(topic_name, "retention.ms") == ("120000", "DYNAMIC_TOPIC_CONFIG")
    listed = {c["name"]: c for c in api.get(endpoint).json()}
    assert listed["retention.ms"]["value"] == "120000"
    event = AuditEvent.objects.get(action="topic.config.update", target=topic_name)
    assert event.before == {"retention.ms": None} and event.after == {"retention.ms": "120000"}

    # null removes the override again (back to the default).
    reset = api.patch(endpoint, {"configs": {"retention.ms": None}}, format="json")
    assert reset.status_code == 200
    assert kafka.config(topic_name, "retention.ms")[1] == "DEFAULT_CONFIG"


def test_alter_config_bad_value_and_unknown_key_are_400s(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    endpoint = url(local_cluster, f"topics/{topic_name}/configs/")
    bad = api.patch(endpoint, {"configs": {"retention.ms": "later"}}, format="json")
    assert bad.status_code == 400
    assert "retention.ms" in bad.json()["errors"]["configs"][0]  # the broker's own message
    unknown = api.patch(endpoint, {"configs": {"nope.nope": "1"}}, format="json")
    assert unknown.status_code == 400 and "nope.nope" in unknown.json()["errors"]["configs"][0]
    assert kafka.config(topic_name, "retention.ms")[1] == "DEFAULT_CONFIG"


def test_add_partitions_dry_run_then_real_and_lowering_is_a_400(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name, partitions=2)
    endpoint = url(local_cluster, f"topics/{topic_name}/partitions/")
    dry = api.post(endpoint, {"partitions": 4, "dry_run": True}, format="json")
    assert dry.status_code == 200 and dry.json() == {"before": 2, "after": 4, "dry_run": True}
    assert kafka.partitions(topic_name) == 2
    real = api.post(endpoint, {"partitions": 4}, format="json")
    assert real.status_code == 200 and kafka.partitions(topic_name) == 4
    lower = api.post(endpoint, {"partitions": 3}, format="json")
    assert lower.status_code == 400
    assert "never remove" in lower.json()["errors"]["partitions"][0]
    assert kafka.partitions(topic_name) == 4
    event = AuditEvent.objects.get(action="topic.partitions.add", target=topic_name)
    assert event.before == {"partitions": 2} and event.after == {"partitions": 4}


def test_delete_records_moves_the_earliest_offset_and_purge_empties(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name, partitions=2)
    kafka.produce(topic_name, 5, partition=0)
    kafka.produce(topic_name, 3, partition=1)
    endpoint = url(local_cluster, f"topics/{topic_name}/delete-records/")
    response = api.post(endpoint, {"offsets": {"0": 3}}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["records_deleted"] == 3
    assert kafka.earliest(topic_name, 0) == 3 and kafka.earliest(topic_name, 1) == 0
    detail = api.get(url(local_cluster, f"topics/{topic_name}/")).json()
    assert detail["partitions"][0]["earliest_offset"] == 3 and detail["partitions"][0]["latest_offset"] == 5

    out_of_range = api.post(endpoint, {"offsets": {"0": 99}}, format="json")
    assert out_of_range.status_code == 400
    assert "out of range" in out_of_range.json()["errors"]["offsets"][0]
    no_partition = api.post(endpoint, {"offsets": {"7": 1}}, format="json")
    assert no_partition.status_code == 400 and "does not exist" in no_partition.json()["errors"]["offsets"][0]
    assert kafka.earliest(topic_name, 0) == 3

    purge = api.post(endpoint, {"purge": True}, format="json")
    assert purge.status_code == 200 and purge.json()["records_deleted"] == 2 + 3
    assert kafka.earliest(topic_name, 0) == 5 and kafka.earliest(topic_name, 1) == 3
    assert AuditEvent.objects.filter(action="topic.records.delete", target=topic_name, result="ok").count() == 1
    assert AuditEvent.objects.filter(action="topic.records.purge", target=topic_name, result="ok").count() == 1


def test_delete_needs_the_name_and_lists_groups_first(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    kafka.produce(topic_name, 2)
    kafka.commit_group(topic_name, f"{topic_name}-reader")
    groups = api.get(url(local_cluster, f"topics/{topic_name}/consumer-groups/")).json()
    assert [g["group_id"] for g in groups["groups"]] == [f"{topic_name}-reader"]
    assert groups["groups"][0]["offsets"] == {"0": 2}

    endpoint = url(local_cluster, f"topics/{topic_name}/")
    refused = api.delete(endpoint)
    assert refused.status_code == 400 and "confirm" in refused.json()["errors"]
    wrong = api.delete(f"{endpoint}?confirm=other")
    assert wrong.status_code == 400 and kafka.exists(topic_name)
    done = api.delete(f"{endpoint}?confirm={topic_name}")
    assert done.status_code == 204
    assert not kafka.exists(topic_name)
    assert AuditEvent.objects.get(action="topic.delete", target=topic_name).result == "ok"
    assert api.get(endpoint).status_code == 404


def test_unknown_topic_is_a_404(api, local_cluster, topic_name):
    response = api.get(url(local_cluster, f"topics/{topic_name}/"))
    assert response.status_code == 404 and topic_name in response.json()["detail"]


def test_config_catalogue_comes_from_the_broker(api, local_cluster):
    body = api.get(url(local_cluster, "topic-configs/")).json()
    assert body["from_broker"] is True
    configs = {c["name"]: c for c in body["configs"]}
    assert configs["retention.ms"]["default"] == "604800000"
    assert configs["cleanup.policy"]["config_type"] == "LIST"


def test_viewer_gets_403_for_every_change(viewer, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    kafka.produce(topic_name, 2)
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get(url(local_cluster, f"topics/{topic_name}/")).status_code == 404  # no grant yet
    grant(viewer, local_cluster, "viewer")
    calls = [
        ("post", "topics/", {"name": f"{topic_name}-x", "partitions": 1, "replication_factor": 1}),
        ("post", "topics/", {"name": f"{topic_name}-x", "partitions": 1, "replication_factor": 1, "dry_run": True}),
        ("patch", f"topics/{topic_name}/configs/", {"configs": {"retention.ms": "1000"}}),
        ("post", f"topics/{topic_name}/partitions/", {"partitions": 2}),
        ("post", f"topics/{topic_name}/delete-records/", {"purge": True}),
        ("delete", f"topics/{topic_name}/?confirm={topic_name}", None),
    ]
    for method, path, body in calls:
        response = getattr(client, method)(url(local_cluster, path), body, format="json")
        assert response.status_code == 403, (path, response.content)
    assert kafka.exists(topic_name) and kafka.partitions(topic_name) == 1
    assert not kafka.exists(f"{topic_name}-x") and kafka.earliest(topic_name) == 0
    # The viewer may still read.
    assert client.get(url(local_cluster, f"topics/{topic_name}/")).status_code == 200
    # Every refused change, plus the probe before the grant (a 404 to the caller, on the record).
    assert AuditEvent.objects.filter(result="denied", actor="viewer").count() == len(calls) + 1
    # An operator may purge records, but deleting the topic stays with admins.
    Grant.objects.filter(user=viewer).update(role="operator")
    purge = client.post(url(local_cluster, f"topics/{topic_name}/delete-records/"), {"purge": True}, format="json")
    assert purge.status_code == 200, purge.content
    assert kafka.earliest(topic_name) == 2
    gone = client.delete(url(local_cluster, f"topics/{topic_name}/?confirm={topic_name}"))
    assert gone.status_code == 403 and "admin role" in gone.json()["detail"]
    assert kafka.exists(topic_name)


def test_read_only_cluster_refuses_every_change(api, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    local_cluster.read_only = True
    local_cluster.save()
    for method, path, body in [
        ("post", "topics/", {"name": f"{topic_name}-x", "partitions": 1, "replication_factor": 1}),
        ("patch", f"topics/{topic_name}/configs/", {"configs": {"retention.ms": "1000"}}),
        ("post", f"topics/{topic_name}/partitions/", {"partitions": 2}),
        ("post", f"topics/{topic_name}/delete-records/", {"purge": True}),
        ("delete", f"topics/{topic_name}/?confirm={topic_name}", None),
    ]:
        response = getattr(api, method)(url(local_cluster, path), body, format="json")
        assert response.status_code == 403, (path, response.content)
        assert "read-only" in response.json()["detail"]
    assert kafka.exists(topic_name) and kafka.partitions(topic_name) == 1


def test_unreachable_cluster_is_a_502_not_a_500(api, db, settings, topic_name):
    from clusters.models import Cluster, ClusterStatus

    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1000
    cluster = Cluster.objects.create(name="gone", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=cluster)
    body = {"name": topic_name, "partitions": 1, "replication_factor": 1}
    response = api.post(url(cluster, "topics/"), body, format="json")
    assert response.status_code == 502
    assert "127.0.0.1:1" in response.json()["detail"]
    assert AuditEvent.objects.get(action="topic.create", target=topic_name).result == "error"
