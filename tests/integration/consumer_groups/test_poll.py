"""A real poll of real Kafka and Redis: lag, lag in seconds, "no commit" and status."""

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from rest_framework.test import APIClient

from consumer_groups.models import GroupMeta
from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db


def _produce(bootstrap, topic, count, partition=0):
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(count):
        producer.send(topic, value=f"m{i}".encode(), partition=partition)
    producer.flush()
    producer.close()


def _commit(bootstrap, group, topic, offsets):
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    consumer.commit({TopicPartition(topic, p): OffsetAndMetadata(o, "", -1) for p, o in offsets.items()})
    consumer.close()


def test_poll_stores_lag_seconds_no_commit_and_a_stopped_status(local_cluster, stack_env, admin_user, settings):
    settings.LAG_WINDOW_POLLS = 2
    bootstrap = stack_env["KAFKA_BOOTSTRAP"]
    topic, group = f"lag-{uuid.uuid4().hex[:8]}", f"g-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 2, 1)])
    finally:
        admin.close()
    _produce(bootstrap, topic, 10)
    _commit(bootstrap, group, topic, {0: 10})  # caught up on partition 0; partition 1 never committed

    first = cluster_poll(cluster=local_cluster)
    assert first.groups is not None, first.groups_error
    row = GroupMeta.objects.get(cluster=local_cluster, group_id=group)
    assert row.total_lag == 0 and row.members == 0 and row.state == "Empty"
    assert [topic, 0, 10, 10, 0, 0.0] == row.partitions[0][:6]

    time.sleep(1.2)
    _produce(bootstrap, topic, 5)
    cluster_poll(cluster=local_cluster)
    row.refresh_from_db()
    assert row.total_lag == 5
    seconds = row.partitions[0][5]
    # The log end was at the committed offset (10) at the first poll, 1.2+ s earlier.
    assert seconds is not None and 1.0 <= seconds < 30

    time.sleep(0.5)
    _produce(bootstrap, topic, 5)
    cluster_poll(cluster=local_cluster)
    row.refresh_from_db()
    assert row.total_lag == 10
    assert row.partitions[0][6] == "STOP" and row.status == "ERR"
    assert "stop" in row.status_reason.lower() or "error" in row.status_reason.lower()

    api = APIClient()
    api.force_authenticate(admin_user)
    listed = api.get(f"/api/v1/clusters/{local_cluster.pk}/groups/?search={group}").json()["results"][0]
    assert listed["status"] == "ERR" and listed["total_lag"] == 10 and listed["max_lag_seconds"] >= 1.0
    detail = api.get(f"/api/v1/clusters/{local_cluster.pk}/groups/{group}/").json()
    assert detail["members"] == [] and detail["members_error"] == ""
    page = APIClient()
    page.force_login(admin_user)
    topic_page = page.get(f"/clusters/{local_cluster.pk}/topics/{topic}/").content.decode()
    assert f'data-group="{group}"' in topic_page


def test_poll_without_redis_still_records_the_cluster_and_says_why(local_cluster, settings):
    settings.REDIS_URL = "redis://127.0.0.1:1/0"
    outcome = cluster_poll(cluster=local_cluster)
    assert outcome.status.reachable
    assert outcome.groups is None and "Redis did not answer" in outcome.groups_error
    assert outcome.rates is not None and outcome.rates.interval_s is None  # no previous totals
