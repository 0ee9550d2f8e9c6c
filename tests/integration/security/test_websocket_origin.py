"""Websockets from a foreign Origin are refused, on every websocket route there is (the live
and tail sockets have their own end-to-end tests; this one also covers routes added later)."""

from __future__ import annotations

import re

import pytest
from channels.testing import WebsocketCommunicator
from django.urls import URLPattern

from controlplane.asgi import application
from monitoring.routing import websocket_urlpatterns

pytestmark = pytest.mark.django_db(transaction=True)

VALUES = {"cluster_id": "1", "name": "some-topic"}


def _path(pattern: URLPattern) -> str:
    route = str(pattern.pattern).lstrip("^").rstrip("$")

    def value(match: re.Match[str]) -> str:
        name = match.group(1)
        assert name in VALUES, f"no sample value for websocket parameter {name!r}: add it to VALUES"
        return VALUES[name]

    return "/" + re.sub(r"\(\?P<(\w+)>[^)]*\)", value, route)


def test_every_websocket_route_gets_a_path_it_matches():
    assert len(websocket_urlpatterns) >= 2
    for pattern in websocket_urlpatterns:
        assert pattern.pattern.match(_path(pattern).lstrip("/")), _path(pattern)


@pytest.mark.parametrize("origin", [b"http://evil.example", b"null", b"http://localhost.evil.example"])
async def test_a_foreign_origin_is_refused_on_every_route(origin):
    for pattern in websocket_urlpatterns:
        headers = [(b"origin", origin), (b"host", b"localhost")]
        communicator = WebsocketCommunicator(application, _path(pattern), headers=headers)
        connected, _ = await communicator.connect(timeout=5)
        assert not connected, f"{_path(pattern)} accepted Origin {origin!r}"
        await communicator.disconnect()
