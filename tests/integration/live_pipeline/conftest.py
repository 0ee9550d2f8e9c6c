"""Fixtures of the live-pipeline tests: Cluster rows polled by real Celery workers and
beats (subprocesses on the test database and the stack's Redis), and websocket clients.
Each cluster's Redis state is cleared when it is created: cluster ids restart with every
test database, while Redis keeps what an earlier run left under the same id."""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from typing import Any

import pytest

from clusters.models import Cluster, ClusterStatus
from controlplane import settings as product_settings
from monitoring.rates import redis_client
from tests.integration.live_pipeline.live import LiveSocket
from tests.integration.processes import Pipeline, pipeline

CLUSTER_KEYS = ("metrics", "rates", "polls", "watch", "poll-due", "poll-lock")


def forget_cluster_state(cluster_id: int) -> None:
    """Drop the product's Redis keys of this cluster id (rates, journal, watches, lag history...)."""
    client = redis_client()
    keys: list[Any] = [f"signalbox:{what}:{cluster_id}" for what in CLUSTER_KEYS]
    keys += list(client.scan_iter(match=f"signalbox:hist:{cluster_id}:*", count=1000))
    client.delete(*keys)


def channel_layer_config(url: str, **host_options: Any) -> dict[str, Any]:
    """The product's channel layer settings (controlplane/settings.py), pointed at `url`
    with the test prefix; `host_options` are added to each host entry."""
    config = copy.deepcopy(product_settings.CHANNEL_LAYERS)
    options = config["default"]["CONFIG"]
    options["prefix"] = "signalbox-test"  # what the worker subprocesses get (process_env)
    options["hosts"] = [
        {**(host if isinstance(host, dict) else {}), "address": url, **host_options} for host in options["hosts"]
    ]
    return config


@pytest.fixture
def make_cluster(transactional_db) -> Callable[..., Cluster]:
    """make_cluster(bootstrap, poll_interval_s): a fresh, enabled Cluster row and its status."""

    def make(bootstrap: str, poll_interval_s: int) -> Cluster:
        cluster = Cluster.objects.create(
            name=f"pipe-{uuid.uuid4().hex[:8]}", bootstrap_servers=bootstrap, poll_interval_s=poll_interval_s
        )
        ClusterStatus.objects.create(cluster=cluster)
        forget_cluster_state(cluster.pk)
        return cluster

    return make


@pytest.fixture
def start_pipeline(stack_env, transactional_db, tmp_path) -> Iterator[Callable[..., Pipeline]]:
    """start_pipeline(workers=(names...), beats=n, **env): real workers and beats, stopped
    at the end of the test."""
    with ExitStack() as stack:

        def start(**kwargs: Any) -> Pipeline:
            return stack.enter_context(pipeline(stack_env, tmp_path, **kwargs))

        yield start


@pytest.fixture
def live_socket(admin_user) -> Iterator[Callable[[], LiveSocket]]:
    """live_socket(): an authenticated /ws/live/ client of the admin, closed at the end."""
    sockets: list[LiveSocket] = []

    def open_socket() -> LiveSocket:
        sockets.append(LiveSocket(admin_user))
        return sockets[-1]

    yield open_socket
    for socket in sockets:
        socket.close()
