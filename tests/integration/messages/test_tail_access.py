"""A live tail stops when its user loses the right to read the topic's payloads."""

import pytest
from asgiref.sync import sync_to_async

from access.models import Grant
from tests.grants import grant
from tests.integration.messages.test_tail import _connect, _cookie_for, _next_of_type, _path
from topics import tail

pytestmark = pytest.mark.django_db(transaction=True)


async def test_clearing_read_messages_closes_an_open_tail(viewer, local_cluster, make_topic, monkeypatch):
    monkeypatch.setattr(tail, "REAUTHORIZE_S", 0.3)
    topic = await sync_to_async(make_topic)(1)
    await sync_to_async(grant)(viewer, local_cluster, "viewer", read_messages=True)
    ws, connected, _ = await _connect(_path(local_cluster, topic), await sync_to_async(_cookie_for)(viewer))
    assert connected
    await _next_of_type(ws, "ready")

    await sync_to_async(Grant.objects.filter(user=viewer).update)(read_messages=False)
    error = await _next_of_type(ws, "error", timeout=5)
    assert error["detail"] == "You may no longer read this topic's messages."
    closed = await ws.receive_output(timeout=5)
    assert closed == {"type": "websocket.close", "code": 4403}
