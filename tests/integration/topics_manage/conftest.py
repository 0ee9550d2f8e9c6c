"""Helpers for the topic operation tests: unique names, direct kafka-python setup."""

from __future__ import annotations

import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer  # test setup only
from kafka.admin import ConfigResource, OffsetSpec
from kafka.structs import TopicPartition


@pytest.fixture
def kafka(stack_env):
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    yield Kafka(admin, stack_env["KAFKA_BOOTSTRAP"])
    admin.close()


@pytest.fixture
def topic_name():
    return f"ops-{uuid.uuid4().hex[:10]}"


class Kafka:
    """What the tests read and set up in Kafka directly, bypassing Signalbox."""

    def __init__(self, admin: KafkaAdminClient, bootstrap: str) -> None:
        self.admin = admin
        self.bootstrap = bootstrap

    def exists(self, name: str) -> bool:
        return name in self.admin.list_topics()

    def create(self, name: str, partitions: int = 1) -> None:
        self.admin.create_topics({name: {"num_partitions": partitions, "replication_factor": 1}})
        self.admin.wait_for_topics([name])

    def partitions(self, name: str) -> int:
        return len(self.admin.describe_topics([name])[0]["partitions"])

    def config(self, name: str, key: str) -> tuple[str, str]:
        described = self.admin.describe_configs([ConfigResource("TOPIC", name)], config_filter="all")
        entry = described["topic"][name][key]
        return entry["value"], entry["config_source"]

    def produce(self, name: str, count: int, partition: int = 0) -> None:
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        for i in range(count):
            producer.send(name, value=f"m{i}".encode(), partition=partition)
        producer.flush()
        producer.close()

    def earliest(self, name: str, partition: int = 0) -> int:
        tp = TopicPartition(name, partition)
        return self.admin.list_partition_offsets({tp: OffsetSpec.EARLIEST})[tp].offset

    def latest(self, name: str, partition: int = 0) -> int:
        tp = TopicPartition(name, partition)
        return self.admin.list_partition_offsets({tp: OffsetSpec.LATEST})[tp].offset

    def commit_group(self, name: str, group: str) -> None:
        consumer = KafkaConsumer(
            name,
            bootstrap_servers=self.bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            consumer_timeout_ms=5000,
            enable_auto_commit=False,
        )
        for _ in consumer:
            pass
        consumer.commit()
        consumer.close()
