"""The poll stores real topic metadata from the broker; the list serves it."""

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaProducer
from kafka.admin import NewTopic
from rest_framework.test import APIClient

from monitoring.series import series_latest, series_read
from monitoring.services import cluster_poll
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


def test_poll_stores_topics_with_sizes_and_refresh_endpoint(local_cluster, stack_env, admin_user):
    name = f"snap-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        admin.create_topics([NewTopic(name, 3, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for i in range(20):
        producer.send(name, value=b"x" * 1000, partition=i % 3)
    producer.flush()
    producer.close()

    outcome = cluster_poll(cluster=local_cluster)
    assert outcome.topics is not None and outcome.topics.created >= 1
    row = TopicMeta.objects.get(cluster=local_cluster, name=name)
    assert (row.partition_count, row.replication_factor, row.under_replicated, row.offline) == (3, 1, 0, 0)
    assert row.size_bytes is not None and row.size_bytes >= 20_000

    # Nothing changed on the broker: the next poll writes no topic row.
    assert cluster_poll(cluster=local_cluster).topics.rows_written == 0

    api = APIClient()
    api.force_authenticate(admin_user)
    body = api.post(f"/api/v1/clusters/{local_cluster.pk}/refresh/?search={name}").json()
    assert body["count"] == 1 and body["results"][0]["partitions"] == 3
    assert body["as_of"] is not None and body["stale"] is False


def test_unreachable_cluster_keeps_the_list_and_marks_it_stale(local_cluster, admin_user, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1500
    cluster_poll(cluster=local_cluster)
    count = TopicMeta.objects.filter(cluster=local_cluster).count()
    local_cluster.bootstrap_servers = "127.0.0.1:1"
    local_cluster.save()
    cluster_poll(cluster=local_cluster)
    api = APIClient()
    api.force_authenticate(admin_user)
    body = api.get(f"/api/v1/clusters/{local_cluster.pk}/topics/?internal=true&limit=500").json()
    assert body["stale"] is True and "refused the connection" in body["error"]
    assert body["count"] == count > 0
    refresh = api.post(f"/api/v1/clusters/{local_cluster.pk}/refresh/")
    assert refresh.status_code == 502 and "refused the connection" in refresh.json()["detail"]


def test_second_poll_fills_messages_per_second_from_offset_deltas(local_cluster, stack_env):
    name = f"rate-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        admin.create_topics([NewTopic(name, 2, 1)])
    finally:
        admin.close()
    for _ in range(20):  # a new topic reaches the broker's metadata a moment after creation
        first = cluster_poll(cluster=local_cluster)
        if TopicMeta.objects.filter(cluster=local_cluster, name=name).exists():
            break
        time.sleep(0.3)
    assert first.rates is not None
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for i in range(300):
        producer.send(name, value=b"y" * 100, partition=i % 2)
    producer.flush()
    producer.close()
    time.sleep(0.5)  # rates need polls more than 0.2 s apart
    second = cluster_poll(cluster=local_cluster)
    interval = second.rates.interval_s
    assert interval is not None and interval > 0
    rate = second.rates.messages_per_s[name]
    assert rate == pytest.approx(300 / interval, rel=0.01)
    row = TopicMeta.objects.get(cluster=local_cluster, name=name)
    assert row.messages_per_s == pytest.approx(rate, rel=0.05)
    assert second.rates.cluster_messages_per_s >= rate
    # The same rate is in the metric history, as is the cluster-wide total.
    history = series_read(cluster_id=local_cluster.pk, kind="topic.messages_per_s", key=name, since=time.time() - 600)
    known = [v for _t, v in history.points if v is not None]
    assert history.unit == "messages/s" and known and known[-1] == pytest.approx(rate, rel=0.01)
    assert series_latest(cluster_id=local_cluster.pk, kind="cluster.messages_in_per_s")[""] >= rate
