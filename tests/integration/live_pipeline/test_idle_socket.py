"""A live socket must survive a quiet spell: with the product's channel layer settings,
a subscribed websocket that gets no event for a few seconds still receives the next one.

Regression test: redis-py 8 reads with a 5 s socket timeout by default, and
channels_redis waits for channel messages with a 5 s blocking BZPOPMIN, so without
`socket_timeout: None` in CHANNEL_LAYERS the read times out first and the consumer dies
("Timeout reading from ..."; Daphne closes the socket with 1011). At the default 5 s
poll interval, quiet spells of 5 s are the norm (django/channels_redis#422)."""

from __future__ import annotations

import time

import pytest
from channels.layers import channel_layers

from monitoring import events
from tests.integration.live_pipeline.conftest import channel_layer_config

pytestmark = pytest.mark.django_db(transaction=True)

QUIET_S = 8  # longer than one 5 s blocking read of the channel layer


def test_idle_socket_gets_the_next_event(stack_env, settings, make_cluster, live_socket):
    settings.CHANNEL_LAYERS = channel_layer_config(stack_env["REDIS_URL"])  # exactly the product's
    channel_layers.backends.clear()
    cluster = make_cluster(stack_env["KAFKA_BOOTSTRAP"], 5)  # no worker runs: nothing is sent
    ws = live_socket()
    assert ws.subscribe(cluster.pk)["subscribed"] == f"cluster.{cluster.pk}"

    time.sleep(QUIET_S)
    events.send(events.cluster_group(cluster.pk), "cluster.status", {"cluster": cluster.pk, "reachable": True})

    _, message = ws.wait_for(lambda m: m.get("event") == "cluster.status", timeout=5)
    assert message["data"] == {"cluster": cluster.pk, "reachable": True}
