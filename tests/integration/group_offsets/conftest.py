"""Real Kafka setup for the group-change tests: a fresh topic with records at known
times, a group that committed offsets and then closed, and a group with a live member."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer  # test setup only
from kafka.structs import OffsetAndMetadata, TopicPartition

COUNTS = (10, 6)  # records in partitions 0 and 1
COMMITTED = (4, 3)  # the group's committed offsets on them
STEP_MS = 1000  # record i of a partition has time T0 + i * STEP_MS


@pytest.fixture
def kafka(stack_env):
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    yield Kafka(admin, stack_env["KAFKA_BOOTSTRAP"])
    admin.close()


class Kafka:
    """What the tests set up and read back in Kafka directly, bypassing Signalbox."""

    def __init__(self, admin: KafkaAdminClient, bootstrap: str) -> None:
        self.admin = admin
        self.bootstrap = bootstrap

    def topic(self, counts: tuple[int, ...] = COUNTS, t0: int | None = None) -> str:
        """A fresh topic with counts[p] records in partition p, record i at t0 + i * STEP_MS."""
        name = f"gofs-{uuid.uuid4().hex[:10]}"
        self.admin.create_topics({name: {"num_partitions": len(counts), "replication_factor": 1}})
        self.admin.wait_for_topics([name])
        producer = KafkaProducer(bootstrap_servers=self.bootstrap)
        for partition, count in enumerate(counts):
            for i in range(count):
                stamp = None if t0 is None else t0 + i * STEP_MS
                producer.send(name, value=f"{partition}-{i}".encode(), partition=partition, timestamp_ms=stamp)
        producer.flush()
        producer.close()
        return name

    def commit(self, group: str, offsets: dict[tuple[str, int], int]) -> None:
        """Commit as a consumer of the group, then close it so the group is empty."""
        consumer = KafkaConsumer(bootstrap_servers=self.bootstrap, group_id=group, enable_auto_commit=False)
        try:
            tps = [TopicPartition(t, p) for t, p in offsets]
            consumer.assign(tps)
            consumer.commit({TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()})
        finally:
            consumer.close()

    def committed(self, group: str) -> dict[tuple[str, int], int]:
        raw = self.admin.list_group_offsets({group: None}).get(group, {})
        return {(tp.topic, tp.partition): o.offset for tp, o in raw.items() if o.offset >= 0}

    def group_exists(self, group: str) -> bool:
        described = self.admin.describe_groups([group])[group]
        return described.get("group_state") not in ("Dead", None)


@dataclass
class Setup:
    topic: str
    group: str
    t0: int


@pytest.fixture
def setup(kafka) -> Setup:
    """A 2-partition topic (10 and 6 records, one second apart from an hour ago) and an
    empty group that committed offsets 4 and 3 on it."""
    t0 = (int(time.time()) - 3600) * 1000
    topic = kafka.topic(t0=t0)
    group = f"gofs-group-{uuid.uuid4().hex[:8]}"
    kafka.commit(group, {(topic, 0): COMMITTED[0], (topic, 1): COMMITTED[1]})
    return Setup(topic=topic, group=group, t0=t0)


class LiveMember:
    """A consumer polling in a thread: the group has an active member until stop()."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        self.client_id = f"gofs-live-{uuid.uuid4().hex[:6]}"
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            client_id=self.client_id,
            enable_auto_commit=False,
            session_timeout_ms=10000,
        )
        self._stop = threading.Event()
        self._assigned = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        # A join is ~1 s on an idle broker; a loaded CI machine has taken over 30 s.
        if not self._assigned.wait(90):
            self.stop()
            raise AssertionError("the live consumer got no partitions within 90 s")

    def _run(self) -> None:
        while not self._stop.is_set():
            self.consumer.poll(timeout_ms=200)
            if self.consumer.assignment():
                self._assigned.set()
        self.consumer.close()  # leaves the group, so it is empty again at once

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(15)


@pytest.fixture
def live_member(kafka, setup):
    member = LiveMember(kafka.bootstrap, setup.topic, setup.group)
    yield member
    member.stop()
