"""The SASL/SCRAM broker with the StandardAuthorizer, a Cluster row for it, and a Kafka
principal of our own per test (a SCRAM user created as the admin super user) whose
clients have short timeouts, so a denial is an answer and never a hang."""

from __future__ import annotations

import contextlib
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import (
    ACLFilter,
    ACLOperation,
    ACLPermissionType,
    ACLResourcePatternType,
    NewTopic,
    ResourcePatternFilter,
    ResourceType,
    UserScramCredentialDeletion,
    UserScramCredentialUpsertion,
)

MECHANISM = "SCRAM-SHA-512"


def unique(prefix: str) -> str:
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def _config(sasl_env: dict[str, str], username: str, password: str) -> dict[str, Any]:
    return {
        "bootstrap_servers": sasl_env["KAFKA_SASL_BOOTSTRAP"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": MECHANISM,
        "sasl_plain_username": username,
        "sasl_plain_password": password,
        "request_timeout_ms": 5000,
    }


@pytest.fixture(scope="session")
def kafka_admin(sasl_env):
    """kafka-python's admin client as the broker's super user (test setup only)."""
    admin = KafkaAdminClient(**_config(sasl_env, sasl_env["KAFKA_SASL_USERNAME"], sasl_env["KAFKA_SASL_PASSWORD"]))
    yield admin
    admin.close()


@pytest.fixture
def topic(kafka_admin):
    name = unique("acl-topic")
    kafka_admin.create_topics([NewTopic(name, 1, 1)])
    yield name
    with contextlib.suppress(Exception):
        kafka_admin.delete_topics([name])


@dataclass
class Principal:
    """A Kafka user of our own, with clients that give up within seconds."""

    name: str
    password: str
    sasl_env: dict[str, str]

    @property
    def principal(self) -> str:
        return f"User:{self.name}"

    def config(self) -> dict[str, Any]:
        return _config(self.sasl_env, self.name, self.password)

    def produce(self, topic: str, value: bytes = b"hello") -> str:
        """'ok', or the name of the error the broker answered with."""
        producer = KafkaProducer(**self.config(), max_block_ms=8000)
        try:
            producer.send(topic, value).get(timeout=10)
            return "ok"
        except Exception as exc:
            return type(exc).__name__
        finally:
            producer.close(timeout=3)

    def consume(self, topic: str, group: str) -> str | list[bytes]:
        """The values read from the start of the topic, or the name of the error."""
        consumer = KafkaConsumer(
            **self.config(), group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
        )
        try:
            consumer.subscribe([topic])
            values: list[bytes] = []
            deadline = time.monotonic() + 15
            while not values and time.monotonic() < deadline:
                for records in consumer.poll(timeout_ms=1000).values():
                    values += [r.value for r in records]
            return values
        except Exception as exc:
            return type(exc).__name__
        finally:
            consumer.close()


def eventually(check: Callable[[], Any], expected: Callable[[Any], bool], seconds: float = 20) -> Any:
    """The broker applies ACL changes through its metadata log, a moment after it answers:
    retry until `expected(result)` or the deadline, then return the last result."""
    deadline = time.monotonic() + seconds
    while True:
        result = check()
        if expected(result) or time.monotonic() > deadline:
            return result
        time.sleep(0.5)


@pytest.fixture
def principal(sasl_env, kafka_admin):
    """A fresh SCRAM user; its credential and every ACL naming it are removed afterwards."""
    name, password = unique("acl-user"), f"pw-{uuid.uuid4().hex}"
    answer = kafka_admin.alter_user_scram_credentials([UserScramCredentialUpsertion(name, MECHANISM, password)])
    assert answer == {name: None}, answer
    yield Principal(name=name, password=password, sasl_env=sasl_env)
    any_resource = ResourcePatternFilter(ResourceType.ANY, None, ACLResourcePatternType.ANY)
    everything = ACLFilter(f"User:{name}", None, ACLOperation.ANY, ACLPermissionType.ANY, any_resource)
    with contextlib.suppress(Exception):
        kafka_admin.delete_acls([everything])
    with contextlib.suppress(Exception):
        kafka_admin.alter_user_scram_credentials([UserScramCredentialDeletion(name, MECHANISM)])
