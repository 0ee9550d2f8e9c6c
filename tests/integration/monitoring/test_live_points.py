"""Topic and group subscriptions: a real poll of the real broker sends the watched
topic's and group's new points to their own channel groups (ids, never names), and
only to sockets that may see them."""

import asyncio
import time
import uuid

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from consumer_groups.models import GroupMeta
from controlplane.asgi import application
from monitoring import events
from monitoring.rates import redis_client
from monitoring.services import cluster_poll
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _socket(user):
    cookie = await sync_to_async(_cookie_for)(user)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    ws = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


async def _next(ws, event: str, timeout: float = 15):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        message = await ws.receive_json_from(timeout=max(0.1, deadline - time.monotonic()))
        if message.get("event") == event:
            return message
    raise AssertionError(f"no {event} within {timeout} s")


@pytest.fixture(autouse=True)
def _no_watches(local_cluster):
    """Watches of earlier tests (they expire after 90 s) must not leak into these."""
    redis_client().delete(events.watch_key(local_cluster.pk))


@pytest.fixture
def topic_with_reader(stack_env):
    """A topic with 30 messages and a group that committed after reading 10."""
    name = f"live-{uuid.uuid4().hex[:8]}"
    group = f"live-reader-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    admin.create_topics([NewTopic(name, 1, 1)])
    admin.close()
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    for i in range(30):
        producer.send(name, f"m{i}".encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        name,
        bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"],
        group_id=group,
        auto_offset_reset="earliest",
        enable_auto_commit=False,
        max_poll_records=10,
    )
    read = 0
    deadline = time.monotonic() + 30
    while read < 10 and time.monotonic() < deadline:
        read += sum(len(v) for v in consumer.poll(timeout_ms=500, max_records=10 - read).values())
    consumer.commit()
    consumer.close()
    return name, group


async def test_watched_topic_and_group_get_their_points(admin_user, local_cluster, topic_with_reader):
    topic, group = topic_with_reader
    await sync_to_async(cluster_poll)(cluster=local_cluster)  # the snapshot learns the topic and group
    topic_pk = await sync_to_async(lambda: TopicMeta.objects.get(cluster=local_cluster, name=topic).pk)()
    group_pk = await sync_to_async(lambda: GroupMeta.objects.get(cluster=local_cluster, group_id=group).pk)()

    ws = await _socket(admin_user)
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk, "topic": topic})
    assert (await ws.receive_json_from(timeout=5))["subscribed"] == f"topic.{topic_pk}"
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk, "group": group})
    assert (await ws.receive_json_from(timeout=5))["subscribed"] == f"group.{group_pk}"
    assert await sync_to_async(events.watched)(cluster_id=local_cluster.pk) == {
        "topic": {topic_pk},
        "group": {group_pk},
    }

    await asyncio.sleep(0.5)  # rates need polls more than 0.2 s apart
    await sync_to_async(cluster_poll)(cluster=local_cluster)
    topic_points = await _next(ws, "topic.points")
    assert topic_points["group"] == f"topic.{topic_pk}"
    assert topic_points["data"]["topic"] == topic
    assert set(topic_points["data"]["series"]) == {"topic.messages_per_s", "topic.bytes_per_s"}
    assert topic_points["data"]["series"]["topic.messages_per_s"][topic] == 0  # nothing produced since
    group_points = await _next(ws, "group.points")
    data = group_points["data"]
    assert data["group"] == group
    assert data["total_lag"] == 20
    assert data["series"]["group.lag"][group] == 20
    assert data["series"]["group.topic_lag"][f"{topic}@{group}"] == 20
    await ws.disconnect()


async def test_bad_or_unknown_subscriptions_are_refused(admin_user, local_cluster):
    ws = await _socket(admin_user)
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk, "topic": "no-such-topic"})
    reply = await ws.receive_json_from(timeout=5)
    assert (
        reply["error"] == f"Topic 'no-such-topic' of cluster {local_cluster.pk} does not exist or you may not see it."
    )
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk, "topic": "", "group": "g"})
    assert "non-empty name" in (await ws.receive_json_from(timeout=5))["error"]
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk, "topic": "a", "group": "g"})
    assert "not both" in (await ws.receive_json_from(timeout=5))["error"]
    await ws.disconnect()
    assert await sync_to_async(events.watched)(cluster_id=local_cluster.pk) == {"topic": set(), "group": set()}


def test_unwatched_topics_get_no_sends(local_cluster, topic_with_reader, monkeypatch):
    sent: list[str] = []
    monkeypatch.setattr(events, "send_many", lambda items: sent.extend(group for group, _e, _d in items))
    cluster_poll(cluster=local_cluster)
    assert sent == [f"cluster.{local_cluster.pk}", f"cluster.{local_cluster.pk}"]  # status and points only
