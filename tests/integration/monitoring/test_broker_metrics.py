"""Broker metrics in the poll: the real broker's Prometheus exporter, scraped and
turned into rates in the metric history."""

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic

from monitoring.series import series_latest
from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db


@pytest.fixture
def metrics_url(stack_env):
    urls = stack_env.get("KAFKA_METRICS_URLS")
    if not urls:
        pytest.fail("The test stack prints no KAFKA_METRICS_URLS: restart it with `python3 dev/stack.py down`.")
    return urls.split(",")[0]


def test_poll_scrapes_broker_metrics_into_the_history(local_cluster, stack_env, metrics_url):
    local_cluster.metrics_urls = [metrics_url, "http://127.0.0.1:1/metrics"]
    local_cluster.save()
    name = f"bm-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        admin.create_topics([NewTopic(name, 1, 1)])
    finally:
        admin.close()
    first = cluster_poll(cluster=local_cluster)
    assert first.brokers is not None
    assert "127.0.0.1:1" in first.brokers.errors["http://127.0.0.1:1/metrics"]
    assert first.brokers.values[("broker.active_controller_count", metrics_url)] == 1.0
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for _ in range(200):
        producer.send(name, value=b"z" * 50)
    producer.flush()
    producer.close()
    time.sleep(1.0)
    second = cluster_poll(cluster=local_cluster)
    rate = second.brokers.values[("broker.messages_in_per_s", metrics_url)]
    assert rate is not None and rate > 0
    assert series_latest(cluster_id=local_cluster.pk, kind="broker.messages_in_per_s")[metrics_url] == rate


def test_cluster_without_metrics_urls_scrapes_nothing(local_cluster):
    assert cluster_poll(cluster=local_cluster).brokers is None
