"""Fresh topics on the real broker for message tests, and clients for the API."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaProducer  # test setup only
from kafka.admin import NewTopic
from rest_framework.test import APIClient


@pytest.fixture
def make_topic(stack_env):
    """Create a topic with a unique name and wait until every partition has a leader."""
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])

    def make(partitions: int = 1) -> str:
        name = f"msg-{uuid.uuid4().hex[:10]}"
        admin.create_topics([NewTopic(name, partitions, 1)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            described = admin.describe_topics([name])
            parts = described[0].get("partitions") or [] if described else []
            if len(parts) == partitions and all(p.get("leader_id", -1) >= 0 for p in parts):
                return name
            time.sleep(0.2)
        raise AssertionError(f"topic {name} did not become ready")

    yield make
    admin.close()


@pytest.fixture
def producer(stack_env):
    """A plain producer for setup; `send` waits for each record and returns its metadata."""
    raw = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"], acks="all", linger_ms=0)

    class Sender:
        def send(self, topic, value, key=None, partition=None, headers=None, timestamp_ms=None):
            return raw.send(
                topic, value=value, key=key, partition=partition, headers=headers or [], timestamp_ms=timestamp_ms
            ).get(timeout=10)

    yield Sender()
    raw.close(timeout=5)


@pytest.fixture
def viewer_api(viewer):
    client = APIClient()
    client.force_authenticate(viewer)
    return client
