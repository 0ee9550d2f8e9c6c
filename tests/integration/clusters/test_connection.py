"""Test connection and health against the real broker (and a SASL one)."""

import time

import pytest

from clusters import gateway
from clusters.models import Cluster

pytestmark = pytest.mark.django_db


def test_connection_test_reports_the_real_cluster(stack_env):
    settings = gateway.ConnectionSettings(
        name="local", bootstrap_servers=tuple(stack_env["KAFKA_BOOTSTRAP"].split(","))
    )
    report = gateway.connection_test(settings)
    assert report.cluster_id == stack_env["KAFKA_CLUSTER_ID"]
    assert len(report.brokers) == int(stack_env["KAFKA_BROKER_COUNT"])
    assert report.controller_id in {b.node_id for b in report.brokers}
    names = {v.name for v in report.api_versions}
    assert {"Metadata", "OffsetFetch", "ListOffsets"} <= names
    assert report.round_trip_ms > 0


def test_api_test_connection_of_a_saved_cluster(api, local_cluster, stack_env):
    response = api.post(f"/api/v1/clusters/{local_cluster.pk}/test-connection/")
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["cluster_id"] == stack_env["KAFKA_CLUSTER_ID"]
    assert len(body["brokers"]) == 1


def test_api_test_connection_unsaved_settings_saves_nothing(api, stack_env):
    response = api.post(
        "/api/v1/clusters/test-connection/",
        {"name": "try", "bootstrap_servers": stack_env["KAFKA_BOOTSTRAP"]},
        format="json",
    )
    assert response.status_code == 200, response.content
    assert response.json()["cluster_id"] == stack_env["KAFKA_CLUSTER_ID"]
    assert not Cluster.objects.exists()


def test_unreachable_port_is_a_502_naming_the_cause(api, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1500
    start = time.monotonic()
    response = api.post(
        "/api/v1/clusters/test-connection/", {"name": "nowhere", "bootstrap_servers": "127.0.0.1:1"}, format="json"
    )
    assert response.status_code == 502
    assert "refused the connection" in response.json()["detail"]
    assert response.json()["code"] == "unreachable"
    assert time.monotonic() - start < 10


def test_form_test_connection_shows_result_fragment(client, admin_user, stack_env):
    client.force_login(admin_user)
    ok = client.post(
        "/clusters/test-connection/",
        {
            "name": "x",
            "bootstrap_servers": stack_env["KAFKA_BOOTSTRAP"],
            "security_protocol": "PLAINTEXT",
            "poll_interval_s": 5,
        },
    )
    assert 'id="test-ok"' in ok.content.decode()
    assert stack_env["KAFKA_CLUSTER_ID"] in ok.content.decode()
    bad = client.post(
        "/clusters/test-connection/",
        {"name": "x", "bootstrap_servers": "nonsense", "security_protocol": "PLAINTEXT", "poll_interval_s": 5},
    )
    assert "not host:port" in bad.content.decode()


def test_wrong_sasl_password_is_reported_as_such(api, sasl_env, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 2000
    body = {
        "name": "secure",
        "bootstrap_servers": sasl_env["KAFKA_BOOTSTRAP"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": "SCRAM-SHA-512",
        "sasl_username": sasl_env["KAFKA_SASL_USERNAME"],
        "sasl_password": "definitely-wrong",
    }
    response = api.post("/api/v1/clusters/test-connection/", body, format="json")
    assert response.status_code == 502, response.content
    assert response.json()["code"] == "auth_failed"
    detail = response.json()["detail"]
    assert "refused the login" in detail or "username or password is wrong" in detail
    assert "definitely-wrong" not in response.content.decode()

    body["sasl_password"] = sasl_env["KAFKA_SASL_PASSWORD"]
    good = api.post("/api/v1/clusters/test-connection/", body, format="json")
    assert good.status_code == 200, good.content
    assert good.json()["cluster_id"] == sasl_env["KAFKA_CLUSTER_ID"]


def test_health_of_a_real_cluster_counts_topics(stack_env):
    from kafka import KafkaAdminClient  # test setup only: create a topic to count
    from kafka.admin import NewTopic

    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        if "health-count" not in admin.list_topics():
            admin.create_topics([NewTopic("health-count", 4, 1)])
    finally:
        admin.close()
    settings = gateway.ConnectionSettings(
        name="local", ident="health-test", bootstrap_servers=(stack_env["KAFKA_BOOTSTRAP"],)
    )
    health = gateway.cluster_health(settings)
    assert health.cluster_id == stack_env["KAFKA_CLUSTER_ID"]
    assert health.topic_count >= 1 and health.partition_count >= 4
    assert health.under_replicated_partitions == 0 and health.offline_partitions == 0
