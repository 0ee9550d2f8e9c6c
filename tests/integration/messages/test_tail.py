"""Live tail over a real websocket: real broker, real Redis channel layer."""

import asyncio

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from access.models import Grant
from controlplane.asgi import application
from tests.grants import grant

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _connect(path: str, cookie: bytes | None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, path, headers=headers)
    connected, code = await communicator.connect(timeout=10)
    return communicator, connected, code


def _path(cluster, topic, query=""):
    return f"/ws/clusters/{cluster.pk}/topics/{topic}/tail/" + (f"?{query}" if query else "")


async def _next_of_type(ws, kind, timeout=10):
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        message = await ws.receive_json_from(timeout=max(0.1, deadline - asyncio.get_running_loop().time()))
        if message.get("type") == kind:
            return message


async def test_tail_receives_a_message_produced_after_subscribing(viewer, local_cluster, make_topic, producer):
    topic = await sync_to_async(make_topic)(2)
    await sync_to_async(producer.send)(topic, b"before", partition=0)
    cookie = await sync_to_async(_cookie_for)(viewer)
    _, connected, code = await _connect(_path(local_cluster, topic), cookie)
    assert not connected and code == 4404  # no grant: the cluster does not exist for them
    await sync_to_async(grant)(viewer, local_cluster, "viewer")
    _, connected, code = await _connect(_path(local_cluster, topic), cookie)
    assert not connected and code == 4403  # a grant without the read-messages flag
    await sync_to_async(Grant.objects.filter(user=viewer).update)(read_messages=True)
    ws, connected, _ = await _connect(_path(local_cluster, topic), cookie)
    assert connected
    ready = await _next_of_type(ws, "ready")
    assert ready["partitions"] == [0, 1]
    await sync_to_async(producer.send)(topic, b'{"after": 1}', key=b"k", partition=1, headers=[("h", b"v")])
    message = (await _next_of_type(ws, "message"))["message"]
    assert (message["partition"], message["offset"]) == (1, 0)
    assert message["value"]["format"] == "json" and message["key"]["text"] == "k"
    assert message["headers"] == [{"key": "h", "value": {"format": "text", "text": "v", "size": 1}}]
    await ws.disconnect()


async def test_tail_applies_filters_and_caps_the_rate(admin_user, local_cluster, make_topic, producer):
    from topics.tail import MAX_PER_SECOND

    topic = await sync_to_async(make_topic)(1)
    cookie = await sync_to_async(_cookie_for)(admin_user)
    ws, connected, _ = await _connect(_path(local_cluster, topic, "value=keep"), cookie)
    assert connected
    await _next_of_type(ws, "ready")

    def burst():
        for i in range(2 * MAX_PER_SECOND + 10):
            producer.send(topic, b"keep" if i != 0 else b"drop")

    await sync_to_async(burst)()
    received, skipped = [], 0
    while len(received) + skipped < 2 * MAX_PER_SECOND + 9:
        message = await ws.receive_json_from(timeout=10)
        if message["type"] == "message":
            received.append(message["message"]["offset"])
        elif message["type"] == "skipped":
            skipped += message["count"]
    assert 0 not in received  # offset 0 held "drop"
    assert len(set(received)) == len(received) and received == sorted(received)
    assert skipped >= 1  # more than two windows' worth arrived within at most two windows
    await ws.disconnect()


async def test_unauthenticated_tail_socket_is_refused(local_cluster, make_topic):
    _, connected, code = await _connect(_path(local_cluster, "any-topic"), None)
    assert not connected and code == 4401


async def test_foreign_origin_tail_socket_is_refused(admin_user, local_cluster):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    _, connected, _ = await _connect(_path(local_cluster, "any-topic"), cookie, origin=b"http://evil.example.com")
    assert not connected


async def test_unknown_cluster_and_bad_filters_are_refused(admin_user, local_cluster):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    ws = WebsocketCommunicator(
        application,
        f"/ws/clusters/{local_cluster.pk + 1000}/topics/t/tail/",
        headers=[(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)],
    )
    assert await ws.connect(timeout=5) == (False, 4404)
    _, connected, code = await _connect(_path(local_cluster, "t", "decode=rot13"), cookie)
    assert not connected and code == 4400


async def test_tail_of_a_missing_topic_reports_the_error(admin_user, local_cluster):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    ws, connected, _ = await _connect(_path(local_cluster, "missing-topic-xyz"), cookie)
    assert connected
    error = await _next_of_type(ws, "error")
    assert "does not exist" in error["detail"]
    await ws.disconnect()


def _kafka_io_threads() -> int:
    import threading

    return sum(1 for t in threading.enumerate() if t.name == "kafka-io-signalbox" and t.is_alive())


async def test_closing_the_socket_stops_the_kafka_consumer(admin_user, local_cluster, make_topic):
    topic = await sync_to_async(make_topic)(1)
    cookie = await sync_to_async(_cookie_for)(admin_user)
    baseline = _kafka_io_threads()
    ws, connected, _ = await _connect(_path(local_cluster, topic), cookie)
    assert connected
    await _next_of_type(ws, "ready")
    assert _kafka_io_threads() == baseline + 1
    await ws.disconnect()
    for _ in range(50):
        if _kafka_io_threads() == baseline:
            break
        await asyncio.sleep(0.1)
    assert _kafka_io_threads() == baseline
