"""Live updates end to end: a real poll of the real broker, pushed through the real
Redis channel layer to a websocket client."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client

from controlplane.asgi import application
from monitoring.services import cluster_poll

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _connect(cookie: bytes | None, origin: bytes = b"http://localhost"):
    headers = [(b"origin", origin), (b"host", b"localhost")]
    if cookie:
        headers.append((b"cookie", cookie))
    communicator = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, code = await communicator.connect(timeout=5)
    return communicator, connected, code


async def test_poll_result_reaches_a_subscribed_browser(admin_user, local_cluster, stack_env):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    ws, connected, _ = await _connect(cookie)
    assert connected
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk})
    assert await ws.receive_json_from(timeout=5) == {
        "subscribed": f"cluster.{local_cluster.pk}",
        "cluster": local_cluster.pk,
    }

    await sync_to_async(cluster_poll)(cluster=local_cluster)

    message = await ws.receive_json_from(timeout=10)
    assert message["event"] == "cluster.status"
    assert message["group"] == f"cluster.{local_cluster.pk}"
    assert message["data"]["reachable"] is True
    assert message["data"]["kafka_cluster_id"] == stack_env["KAFKA_CLUSTER_ID"]
    assert message["data"]["broker_count"] == 1
    points = await ws.receive_json_from(timeout=10)
    assert points["event"] == "cluster.points"
    assert points["data"]["cluster"] == local_cluster.pk
    assert "cluster.messages_in_per_s" in points["data"]["series"]
    assert points["data"]["series"]["cluster.poll_duration_ms"][""] > 0
    await ws.disconnect()


async def test_unauthenticated_socket_is_closed():
    _, connected, code = await _connect(None)
    assert not connected
    assert code == 4401


async def test_foreign_origin_is_refused(admin_user):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    _, connected, _ = await _connect(cookie, origin=b"http://evil.example.com")
    assert not connected


async def test_subscription_to_an_unknown_cluster_is_refused(admin_user, local_cluster):
    cookie = await sync_to_async(_cookie_for)(admin_user)
    ws, connected, _ = await _connect(cookie)
    assert connected
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk + 1000})
    reply = await ws.receive_json_from(timeout=5)
    assert "does not exist or you may not see it" in reply["error"]
    await ws.send_json_to({"action": "subscribe", "cluster": "1; DROP"})
    assert "must be a cluster id" in (await ws.receive_json_from(timeout=5))["error"]
    await ws.disconnect()


def test_unreachable_cluster_keeps_last_values_and_marks_them_stale(local_cluster, stack_env, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1500
    first = cluster_poll(cluster=local_cluster).status
    assert first.reachable and first.kafka_cluster_id == stack_env["KAFKA_CLUSTER_ID"]
    local_cluster.bootstrap_servers = "127.0.0.1:1"
    local_cluster.save()
    second = cluster_poll(cluster=local_cluster).status
    assert not second.reachable
    assert "refused the connection" in second.error
    assert second.kafka_cluster_id == stack_env["KAFKA_CLUSTER_ID"]  # last known value kept
    assert second.last_ok_at == first.last_ok_at
