"""A real Kafka Connect worker for the connector tests: CONNECT_URL (with its KAFKA_BOOTSTRAP) from
the environment when a stack was started with --connect, otherwise a stack started here."""

from __future__ import annotations

import os
import socket
from pathlib import Path

import pytest

from dev.stack import Stack

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def connect_env() -> dict[str, str]:
    if os.environ.get("CONNECT_URL") and os.environ.get("KAFKA_BOOTSTRAP"):
        yield {"CONNECT_URL": os.environ["CONNECT_URL"], "KAFKA_BOOTSTRAP": os.environ["KAFKA_BOOTSTRAP"]}
        return
    stack = Stack(name="pytest-connect", root=ROOT)
    env = stack.up(kafka=True, connect=True, redis=False)
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture
def connect_cluster(connect_env, db):
    """A Cluster row on the Kafka that the Connect worker uses, with the worker as its Connect URL."""
    from clusters.models import Cluster, ClusterStatus

    cluster = Cluster.objects.create(
        name="connect-local",
        bootstrap_servers=connect_env["KAFKA_BOOTSTRAP"],
        connect_urls=[connect_env["CONNECT_URL"]],
    )
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


@pytest.fixture
def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
