"""Cluster overview and broker configs over the API, against the real broker."""

import uuid

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from tests.grants import grant

pytestmark = pytest.mark.django_db


def _configs(api, cluster, broker_id, **params):
    response = api.get(f"/api/v1/clusters/{cluster.pk}/brokers/{broker_id}/configs/", params)
    assert response.status_code == 200, response.content
    return {c["name"]: c for c in response.json()["results"]}


def test_overview_lists_broker_with_log_dir_size_quorum_leader_and_metadata_version(
    api, local_cluster, stack_env, broker_id
):
    from kafka import KafkaAdminClient, KafkaProducer  # test setup only: data for a non-zero size
    from kafka.admin import NewTopic

    topic = f"brokers-size-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for i in range(50):
        producer.send(topic, value=b"x" * 200, partition=i % 2)
    producer.flush()
    producer.close()

    response = api.get(f"/api/v1/clusters/{local_cluster.pk}/brokers/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cluster_id"] == stack_env["KAFKA_CLUSTER_ID"]
    [broker] = [b for b in body["brokers"] if b["node_id"] == broker_id]
    assert f"{broker['host']}:{broker['port']}" == stack_env["KAFKA_BOOTSTRAP"]
    assert broker["is_controller"] is True
    assert broker["log_dirs_error"] == ""
    assert broker["size_bytes"] >= 50 * 200
    assert broker["partition_count"] >= 2
    assert broker["leader_count"] >= 2
    assert broker["log_dirs"][0]["path"]
    assert body["quorum"]["leader_id"] == broker_id
    assert broker_id in [v["node_id"] for v in body["quorum"]["voters"]]
    assert all(v["lag"] is not None and v["lag"] >= 0 for v in body["quorum"]["voters"])
    features = {f["name"]: f for f in body["features"]}
    assert features["metadata.version"]["finalized_max"] >= 1
    assert features["metadata.version"]["supported_max"] >= features["metadata.version"]["finalized_max"]


def test_configs_list_sources_read_only_flags_and_masks_sensitive(api, local_cluster, broker_id):
    configs = _configs(api, local_cluster, broker_id)
    retention = configs["log.retention.hours"]
    assert retention["value"] == "168"
    assert retention["source"] == "DEFAULT_CONFIG" and retention["source_label"] == "Kafka default"
    assert retention["read_only"] is True
    assert configs["node.id"]["source"] == "STATIC_BROKER_CONFIG"
    assert configs["message.max.bytes"]["read_only"] is False
    sensitive = [c for c in configs.values() if c["sensitive"]]
    assert sensitive, "the broker lists password-type configs such as ssl.key.password"
    assert all(c["value"] in (None, "********") for c in sensitive)
    assert all(s["value"] is None for c in sensitive for s in c["synonyms"])

    filtered = api.get(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/", {"search": "RETENTION", "editable": "true"}
    ).json()
    names = [c["name"] for c in filtered["results"]]
    assert "log.retention.ms" in names and "log.retention.hours" not in names
    assert filtered["total"] > filtered["count"]

    bad = api.get(f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/", {"source": "nope"})
    assert bad.status_code == 400 and "source" in bad.json()["errors"]


def test_unknown_broker_is_a_404(api, local_cluster):
    response = api.get(f"/api/v1/clusters/{local_cluster.pk}/brokers/9999/configs/")
    assert response.status_code == 404, response.content
    assert "Broker 9999" in response.json()["detail"]


def test_validate_only_changes_nothing_and_is_not_audited(api, local_cluster, broker_id):
    before = _configs(api, local_cluster, broker_id)["message.max.bytes"]
    response = api.patch(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
        {"configs": [{"name": "message.max.bytes", "op": "SET", "value": "2000123"}], "validate_only": True},
        format="json",
    )
    assert response.status_code == 200, response.content
    [change] = response.json()["changes"]
    assert change["before"] == before["value"] and change["after"] == "2000123"
    assert change["after_source"] == "DYNAMIC_BROKER_CONFIG"
    after = _configs(api, local_cluster, broker_id)["message.max.bytes"]
    assert after["value"] == before["value"] and after["source"] == before["source"]
    assert not AuditEvent.objects.filter(action="broker.config.alter").exists()


def test_alter_reads_back_is_audited_and_delete_restores_the_default(api, local_cluster, broker_id, restore_config):
    url = f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/"
    restore_config.append("message.max.bytes")
    default = _configs(api, local_cluster, broker_id)["message.max.bytes"]
    assert default["source"] == "DEFAULT_CONFIG"

    response = api.patch(url, {"configs": [{"name": "message.max.bytes", "value": "2000321"}]}, format="json")
    assert response.status_code == 200, response.content
    [change] = response.json()["changes"]
    assert change["after"] == "2000321" and change["after_source"] == "DYNAMIC_BROKER_CONFIG"
    now = _configs(api, local_cluster, broker_id)["message.max.bytes"]
    assert now["value"] == "2000321" and now["source"] == "DYNAMIC_BROKER_CONFIG"
    event = AuditEvent.objects.get(action="broker.config.alter")
    assert event.result == "ok" and event.target == f"broker {broker_id}" and event.actor == "admin"
    assert event.before["message.max.bytes"]["value"] == default["value"]
    assert event.after["message.max.bytes"] == {"value": "2000321", "source": "DYNAMIC_BROKER_CONFIG"}

    response = api.patch(url, {"configs": [{"name": "message.max.bytes", "op": "DELETE"}]}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["changes"][0]["after"] == default["value"], str(response.json()["changes"][0])
    restored = _configs(api, local_cluster, broker_id)["message.max.bytes"]
    assert restored["value"] == default["value"] and restored["source"] == "DEFAULT_CONFIG"
    assert AuditEvent.objects.filter(action="broker.config.alter", result="ok").count() == 2


def test_unknown_config_is_a_400_naming_it(api, local_cluster, broker_id):
    response = api.patch(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
        {"configs": [{"name": "no.such.config", "value": "1"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    assert "Unknown broker config 'no.such.config'" in " ".join(response.json()["errors"]["no.such.config"])


def test_value_the_broker_rejects_is_a_400_with_its_message(api, local_cluster, broker_id):
    response = api.patch(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
        {"configs": [{"name": "message.max.bytes", "value": "lots"}], "validate_only": True},
        format="json",
    )
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["errors"]["message.max.bytes"])
    assert "Invalid value lots for configuration message.max.bytes" in message
    assert f"Broker {broker_id}" in message


def test_read_only_config_is_a_400_saying_restart(api, local_cluster, broker_id):
    response = api.patch(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
        {"configs": [{"name": "log.retention.hours", "value": "5"}]},
        format="json",
    )
    assert response.status_code == 400, response.content
    message = " ".join(response.json()["errors"]["log.retention.hours"])
    assert "server.properties" in message and "restart" in message
    assert _configs(api, local_cluster, broker_id)["log.retention.hours"]["value"] == "168"


def test_cluster_wide_default_can_be_set_and_deleted(api, local_cluster, broker_id):
    url = f"/api/v1/clusters/{local_cluster.pk}/brokers/default/configs/"
    try:
        response = api.patch(url, {"configs": [{"name": "log.cleaner.backoff.ms", "value": "16000"}]}, format="json")
        assert response.status_code == 200, response.content
        assert response.json()["changes"][0]["after_source"] == "DYNAMIC_DEFAULT_BROKER_CONFIG"
        defaults = {c["name"]: c for c in api.get(url).json()["results"]}
        assert defaults["log.cleaner.backoff.ms"]["value"] == "16000"
        broker = _configs(api, local_cluster, broker_id)["log.cleaner.backoff.ms"]
        assert broker["value"] == "16000" and broker["source"] == "DYNAMIC_DEFAULT_BROKER_CONFIG"
        assert AuditEvent.objects.get(action="broker.config.alter").target == "cluster default"
    finally:
        response = api.patch(url, {"configs": [{"name": "log.cleaner.backoff.ms", "op": "DELETE"}]}, format="json")
    assert response.status_code == 200, response.content
    assert "log.cleaner.backoff.ms" not in {c["name"] for c in api.get(url).json()["results"]}


def test_viewer_reads_but_gets_403_on_edit(local_cluster, broker_id):
    viewer = get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")
    client = APIClient()
    client.force_authenticate(viewer)
    assert client.get(f"/api/v1/clusters/{local_cluster.pk}/brokers/").status_code == 404  # no grant yet
    grant(viewer, local_cluster, "viewer")
    assert client.get(f"/api/v1/clusters/{local_cluster.pk}/brokers/").status_code == 200
    url = f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/"
    response = client.patch(url, {"configs": [{"name": "message.max.bytes", "value": "2000000"}]}, format="json")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(result="denied", actor="viewer").exists()
    # An admin of the cluster (not a superuser) may edit: the broker's dry run answers.
    Grant.objects.filter(user=viewer).update(role="admin")
    body = {"configs": [{"name": "message.max.bytes", "value": "2000000"}], "validate_only": True}
    response = client.patch(url, body, format="json")
    assert response.status_code == 200, response.content
    assert _configs(client, local_cluster, broker_id)["message.max.bytes"]["source"] != "DYNAMIC_BROKER_CONFIG"


def test_read_only_cluster_refuses_edits(api, local_cluster, broker_id):
    local_cluster.read_only = True
    local_cluster.save()
    response = api.patch(
        f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
        {"configs": [{"name": "message.max.bytes", "value": "2000000"}], "validate_only": True},
        format="json",
    )
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    configs = _configs(api, local_cluster, broker_id)
    assert configs["message.max.bytes"]["source"] != "DYNAMIC_BROKER_CONFIG"


def test_schema_documents_the_endpoints(api):
    schema = api.get("/api/v1/schema/", {"format": "json"}).json()
    paths = schema["paths"]
    assert "patch" in paths["/api/v1/clusters/{cluster_id}/brokers/{broker_id}/configs/"]
    assert "get" in paths["/api/v1/clusters/{cluster_id}/brokers/"]
