"""The batched lag snapshot and group describe against the real (1-broker) Kafka."""

from __future__ import annotations

import time
import uuid

import pytest
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata, TopicPartition

from clusters.gateway import KafkaNotFound
from clusters.gateway.groups import group_describe, lag_snapshot
from clusters.gateway.types import ConnectionSettings

COUNTS = (5, 7, 2)  # records produced to partitions 0, 1, 2


@pytest.fixture(scope="module")
def bootstrap(stack_env) -> str:
    return stack_env["KAFKA_BOOTSTRAP"]


@pytest.fixture(scope="module")
def conn(bootstrap) -> ConnectionSettings:
    return ConnectionSettings(name="local", bootstrap_servers=(bootstrap,), ident="groups-gateway-tests")


@pytest.fixture(scope="module")
def admin(bootstrap):
    client = KafkaAdminClient(bootstrap_servers=bootstrap)
    yield client
    client.close()


@pytest.fixture(scope="module")
def topic(admin, bootstrap) -> str:
    """A 3-partition topic with COUNTS records per partition."""
    name = f"groups-gw-{uuid.uuid4().hex[:8]}"
    admin.create_topics([NewTopic(name, 3, 1)])
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for partition, count in enumerate(COUNTS):
        for i in range(count):
            producer.send(name, f"{partition}-{i}".encode(), partition=partition)
    producer.flush()
    producer.close()
    yield name
    admin.delete_topics([name])


def commit_with_consumer(bootstrap: str, group_id: str, offsets: dict[TopicPartition, int]) -> None:
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
    try:
        consumer.assign(list(offsets))
        consumer.commit({tp: OffsetAndMetadata(o, "", -1) for tp, o in offsets.items()})
    finally:
        consumer.close()


def new_group() -> str:
    return f"groups-gw-{uuid.uuid4().hex[:8]}"


def test_snapshot_reports_exact_commits_and_end_offsets(conn, bootstrap, topic):
    group_id = new_group()
    # Partition 2 gets no commit: it must be absent, never 0.
    commit_with_consumer(bootstrap, group_id, {TopicPartition(topic, 0): 3, TopicPartition(topic, 1): 7})
    zero_group = new_group()
    commit_with_consumer(bootstrap, zero_group, {TopicPartition(topic, 2): 0})

    before = time.time()
    snap = lag_snapshot(conn)

    group = snap.group(group_id)
    assert group is not None
    assert group.error is None
    assert group.committed == {(topic, 0): 3, (topic, 1): 7}
    assert (topic, 2) not in group.committed
    assert group.coordinator_id == 1
    assert group.state == "Empty"
    assert group.protocol_type == ""  # it only committed, never joined as a consumer
    assert group.group_type == "classic"
    assert snap.end_offsets[(topic, 0)] == COUNTS[0]
    assert snap.end_offsets[(topic, 1)] == COUNTS[1]
    assert snap.end_offsets[(topic, 2)] == COUNTS[2]  # read because zero_group committed there
    assert snap.start_offsets[(topic, 0)] == 0
    assert snap.lag(group) == {(topic, 0): 2, (topic, 1): 0}
    assert snap.group(zero_group).committed == {(topic, 2): 0}  # a commit at 0 is a real commit
    assert not snap.partition_errors
    assert before <= snap.taken_at <= time.time()


def test_unknown_group_is_not_listed_and_cannot_be_described(conn, topic):
    missing = new_group()
    snap = lag_snapshot(conn)
    assert snap.group(missing) is None
    assert missing not in {g.group_id for g in snap.groups}
    with pytest.raises(KafkaNotFound, match=missing):
        group_describe(conn, missing)


def test_live_group_is_stable_and_described_then_empty_with_its_commits(conn, bootstrap, topic):
    group_id = new_group()
    consumer = KafkaConsumer(topic, bootstrap_servers=bootstrap, group_id=group_id, enable_auto_commit=False)
    try:
        deadline = time.monotonic() + 30
        while not consumer.assignment() and time.monotonic() < deadline:
            consumer.poll(timeout_ms=200)
        assert len(consumer.assignment()) == 3
        consumer.commit({TopicPartition(topic, 1): OffsetAndMetadata(4, "", -1)})

        live = lag_snapshot(conn).group(group_id)
        assert live is not None and live.state == "Stable"
        assert live.protocol_type == "consumer"
        assert live.committed == {(topic, 1): 4}

        described = group_describe(conn, group_id)
        assert described.state == "Stable"
        assert described.protocol_type == "consumer"
        assert described.protocol  # the assignor, e.g. "range"
        assert described.coordinator_id == 1
        assert len(described.members) == 1
        member = described.members[0]
        assert member.member_id and member.client_id
        assert member.host
        assert member.assignment == ((topic, 0), (topic, 1), (topic, 2))
    finally:
        consumer.close()

    stopped = lag_snapshot(conn).group(group_id)
    assert stopped is not None
    assert stopped.state == "Empty"
    assert stopped.committed == {(topic, 1): 4}
    assert group_describe(conn, group_id).members == ()


def test_request_count_does_not_grow_with_the_number_of_groups(conn, admin, topic):
    def commit(group_id: str, partition: int, offset: int) -> None:
        answer = admin.alter_group_offsets(
            group_id, {TopicPartition(topic, partition): OffsetAndMetadata(offset, "", -1)}
        )
        assert all(e.errno == 0 for e in answer.values())

    few = [new_group() for _ in range(2)]
    for i, group_id in enumerate(few):
        commit(group_id, i % 3, 1)
    small = lag_snapshot(conn)
    assert {g for g in few if small.group(g)} == set(few)

    many = [new_group() for _ in range(28)]
    for i, group_id in enumerate(many):
        commit(group_id, i % 3, i % 3 + 1)
    large = lag_snapshot(conn)
    mine = [large.group(g) for g in few + many]
    assert all(g is not None and g.error is None for g in mine)
    assert large.group(many[4]).committed == {(topic, 1): 2}

    # One broker: one ListGroups, one OffsetFetch (one coordinator), one Metadata and
    # two ListOffsets (latest + earliest, one leader), whatever the number of groups.
    for snap in (small, large):
        assert snap.requests.list_groups == 1
        assert snap.requests.offset_fetch == 1
        assert snap.requests.metadata == 1
        assert snap.requests.list_offsets == 2
        assert snap.requests.find_coordinator <= 1  # 0 when every coordinator is cached
    assert large.requests.offset_fetch == small.requests.offset_fetch
    assert large.requests.list_offsets == small.requests.list_offsets
    # The 28 new groups were looked up in one batched FindCoordinator; the next snapshot needs none.
    assert large.requests.find_coordinator == 1
    assert lag_snapshot(conn).requests.find_coordinator == 0
