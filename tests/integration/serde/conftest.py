"""The real schema registry (Apicurio, Confluent-compatible API), a cluster that points at it,
and fresh topics on the real broker for the decoding tests."""

from __future__ import annotations

import time
import uuid

import pytest
import requests  # test setup only: registering schemas through the registry's own API
from kafka import KafkaAdminClient, KafkaProducer  # test setup only
from kafka.admin import NewTopic

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"


@pytest.fixture
def registry_url(registry_env) -> str:
    """The session's real registry (registry_env, tests/integration/conftest.py)."""
    return registry_env["SCHEMA_REGISTRY_URL"]


@pytest.fixture
def register(registry_url):
    """Register a schema under a subject through the registry's REST API; returns its id."""

    def reg(subject: str, schema: str, schema_type: str = "AVRO") -> int:
        response = requests.post(
            f"{registry_url}/subjects/{subject}/versions",
            json={"schema": schema, "schemaType": schema_type},
            headers={"Content-Type": CONTENT_TYPE},
            timeout=10,
        )
        assert response.status_code == 200, response.text
        return int(response.json()["id"])

    return reg


@pytest.fixture
def registry_cluster(local_cluster, registry_url):
    local_cluster.schema_registry_url = registry_url
    local_cluster.save()
    return local_cluster


@pytest.fixture
def make_topic(stack_env):
    """A topic with a unique name, ready (its partition has a leader)."""
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])

    def make() -> str:
        name = f"serde-{uuid.uuid4().hex[:10]}"
        admin.create_topics([NewTopic(name, 1, 1)])
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            described = admin.describe_topics([name])
            parts = (described[0].get("partitions") or []) if described else []
            if parts and all(p.get("leader_id", -1) >= 0 for p in parts):
                return name
            time.sleep(0.2)
        raise AssertionError(f"topic {name} did not become ready")

    yield make
    admin.close()


@pytest.fixture
def send(stack_env):
    """Write raw bytes to a topic (as another client in wire format would) and wait for the ack."""
    producer = KafkaProducer(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"], acks="all", linger_ms=0)

    def write(topic: str, value: bytes | None, key: bytes | None = None):
        return producer.send(topic, value=value, key=key).get(timeout=10)

    yield write
    producer.close(timeout=5)


@pytest.fixture
def viewer_api(viewer):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(viewer)
    return client
