"""Websocket subscriptions follow roles: no grant, no data; a grant removed while the
socket is open stops the data within one re-check (real Redis channel layer)."""

import pytest
from asgiref.sync import sync_to_async
from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.contrib.auth import get_user_model
from django.test import Client

from access.models import Grant
from controlplane.asgi import application
from monitoring import consumers
from monitoring.services import cluster_poll
from tests.grants import grant

pytestmark = pytest.mark.django_db(transaction=True)


def _cookie_for(user) -> bytes:
    client = Client()
    client.force_login(user)
    return f"{django_settings.SESSION_COOKIE_NAME}={client.cookies[django_settings.SESSION_COOKIE_NAME].value}".encode()


async def _socket(user) -> WebsocketCommunicator:
    cookie = await sync_to_async(_cookie_for)(user)
    headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", cookie)]
    ws = WebsocketCommunicator(application, "/ws/live/", headers=headers)
    connected, _ = await ws.connect(timeout=5)
    assert connected
    return ws


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "a@example.com", "pw-alice-123")


async def test_a_user_without_a_grant_gets_the_same_answer_as_for_a_missing_cluster(alice, local_cluster):
    ws = await _socket(alice)
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk})
    reply = await ws.receive_json_from(timeout=5)
    assert reply["error"] == f"Cluster {local_cluster.pk} does not exist or you may not see it."
    await ws.disconnect()


async def test_removing_the_grant_stops_the_data_on_an_open_socket(alice, local_cluster, stack_env, monkeypatch):
    monkeypatch.setattr(consumers, "REAUTHORIZE_S", 0.3)
    await sync_to_async(grant)(alice, local_cluster, "viewer")
    ws = await _socket(alice)
    await ws.send_json_to({"action": "subscribe", "cluster": local_cluster.pk})
    assert (await ws.receive_json_from(timeout=5))["subscribed"] == f"cluster.{local_cluster.pk}"
    await sync_to_async(cluster_poll)(cluster=local_cluster)
    assert (await ws.receive_json_from(timeout=10))["event"] == "cluster.status"
    await ws.receive_json_from(timeout=10)  # cluster.points

    await sync_to_async(Grant.objects.filter(user=alice).delete)()
    reply = await ws.receive_json_from(timeout=5)
    assert reply == {
        "revoked": f"cluster.{local_cluster.pk}",
        "cluster": local_cluster.pk,
        "error": "You may no longer see this cluster.",
    }
    await sync_to_async(cluster_poll)(cluster=local_cluster)
    assert await ws.receive_nothing(timeout=2)
    await ws.disconnect()
