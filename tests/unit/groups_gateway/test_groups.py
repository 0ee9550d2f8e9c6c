"""The pure parts of the lag snapshot: request building, response conversion, the
coordinator cache, and the snapshot's error isolation driven by a fake connection
manager that answers with real protocol objects (no network)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from kafka.future import Future
from kafka.protocol.admin import ListGroupsRequest, ListGroupsResponse
from kafka.protocol.consumer import (
    ListOffsetsRequest,
    ListOffsetsResponse,
    OffsetFetchRequest,
    OffsetFetchResponse,
    OffsetSpec,
)
from kafka.protocol.metadata import FindCoordinatorRequest, FindCoordinatorResponse, MetadataRequest, MetadataResponse

from clusters.gateway import groups
from clusters.gateway.groups import CoordinatorCache, GroupOffsets, LagSnapshot, RequestCount
from clusters.gateway.types import ConnectionSettings

# -- response builders (real kafka-python protocol objects) ---------------------------------------

_OFGroup = OffsetFetchResponse.OffsetFetchResponseGroup
_OFTopic = _OFGroup.OffsetFetchResponseTopics
_OFPartition = _OFTopic.OffsetFetchResponsePartitions


def offset_fetch_v8(answers: dict[str, tuple[int, dict[tuple[str, int], tuple[int, int]]]]) -> Any:
    """group -> (error code, {(topic, partition): (committed, partition error)})."""
    built = []
    for group_id, (code, partitions) in answers.items():
        by_topic: dict[str, list] = {}
        for (topic, p), (offset, err) in partitions.items():
            by_topic.setdefault(topic, []).append(
                _OFPartition(partition_index=p, committed_offset=offset, metadata="", error_code=err)
            )
        topics = [_OFTopic(name=t, partitions=ps) for t, ps in by_topic.items()]
        built.append(_OFGroup(group_id=group_id, error_code=code, topics=topics))
    return OffsetFetchResponse(groups=built, version=8)


def list_groups_v5(*rows: tuple[str, str, str]) -> Any:
    listed = ListGroupsResponse.ListedGroup
    return ListGroupsResponse(
        error_code=0,
        groups=[listed(group_id=g, protocol_type="consumer", group_state=s, group_type=t) for g, s, t in rows],
        version=5,
    )


def find_coordinator_v4(answers: dict[str, tuple[int, int]]) -> Any:
    """group -> (node id, error code)."""
    coordinator = FindCoordinatorResponse.Coordinator
    return FindCoordinatorResponse(
        coordinators=[
            coordinator(key=k, node_id=n, host="h", port=1, error_code=e, error_message=None)
            for k, (n, e) in answers.items()
        ],
        version=4,
    )


def metadata_v12(partitions: dict[tuple[str, int], int], topic_errors: dict[str, int] | None = None) -> Any:
    """(topic, partition) -> leader id (-1: none); topic_errors: topic -> error code (no partitions)."""
    topic_type = MetadataResponse.MetadataResponseTopic
    partition_type = topic_type.MetadataResponsePartition
    by_topic: dict[str, list] = {}
    for (topic, p), leader in partitions.items():
        by_topic.setdefault(topic, []).append(
            partition_type(
                error_code=5 if leader < 0 else 0,
                partition_index=p,
                leader_id=leader,
                replica_nodes=[],
                isr_nodes=[],
                offline_replicas=[],
            )
        )
    topics = [topic_type(error_code=0, name=t, is_internal=False, partitions=ps) for t, ps in by_topic.items()]
    topics += [
        topic_type(error_code=c, name=t, is_internal=False, partitions=[]) for t, c in (topic_errors or {}).items()
    ]
    return MetadataResponse(brokers=[], topics=topics, version=12)


def list_offsets_v7(offsets: dict[tuple[str, int], int], errors: dict[tuple[str, int], int] | None = None) -> Any:
    topic_type = ListOffsetsResponse.ListOffsetsTopicResponse
    partition_type = topic_type.ListOffsetsPartitionResponse
    by_topic: dict[str, list] = {}
    for (topic, p), offset in offsets.items():
        by_topic.setdefault(topic, []).append(partition_type(partition_index=p, error_code=0, offset=offset))
    for (topic, p), code in (errors or {}).items():
        by_topic.setdefault(topic, []).append(partition_type(partition_index=p, error_code=code, offset=-1))
    return ListOffsetsResponse(topics=[topic_type(name=t, partitions=ps) for t, ps in by_topic.items()], version=7)


# -- request building ------------------------------------------------------------------------------


def test_offset_fetch_batch_request_asks_all_offsets_of_every_group_in_one_v8_request():
    request = groups.offset_fetch_batch_request(["a", "b", "c"])
    assert [g.group_id for g in request.groups] == ["a", "b", "c"]
    assert all(g.topics is None for g in request.groups)  # None = every committed partition
    request.API_VERSION = 8
    assert len(request.encode()) > 0


def test_offset_fetch_single_request_is_pre_v8_shape():
    request = groups.offset_fetch_single_request("old")
    assert request.group_id == "old"
    assert request.topics is None
    request.API_VERSION = 7
    assert len(request.encode()) > 0


def test_find_coordinator_request_batches_keys():
    request = groups.find_coordinator_request(["a", "b"])
    assert request.coordinator_keys == ["a", "b"]
    assert request.key_type == 0


def test_list_offsets_request_groups_partitions_by_topic_with_the_spec():
    request = groups.list_offsets_request([("t1", 0), ("t2", 3), ("t1", 2)], OffsetSpec.LATEST)
    shape = {t.name: sorted((p.partition_index, p.timestamp) for p in t.partitions) for t in request.topics}
    assert shape == {"t1": [(0, -1), (2, -1)], "t2": [(3, -1)]}
    earliest = groups.list_offsets_request([("t1", 0)], OffsetSpec.EARLIEST)
    assert earliest.topics[0].partitions[0].timestamp == -2


def test_metadata_request_names_only_the_wanted_topics():
    request = groups.metadata_request(["a", "b"])
    assert [t.name for t in request.topics] == ["a", "b"]
    assert request.allow_auto_topic_creation is False


# -- response conversion ---------------------------------------------------------------------------


def test_group_offsets_keep_only_real_commits_and_group_errors():
    response = offset_fetch_v8(
        {
            "g1": (0, {("t", 0): (5, 0), ("t", 1): (-1, 0), ("t", 2): (0, 0), ("t", 3): (9, 3)}),
            "g2": (15, {}),
        }
    )
    parsed = groups.group_offsets_from(response)
    # -1 (no commit) and a partition error are absent; 0 is a real commit.
    assert parsed["g1"] == (0, {("t", 0): 5, ("t", 2): 0})
    assert parsed["g2"] == (15, {})


def test_group_offsets_of_a_pre_v8_response_use_the_given_group():
    topic = OffsetFetchResponse.OffsetFetchResponseTopic
    partition = topic.OffsetFetchResponsePartition
    response = OffsetFetchResponse(
        topics=[
            topic(name="t", partitions=[partition(partition_index=1, committed_offset=4, metadata="", error_code=0)])
        ],
        error_code=0,
        version=7,
    )
    assert groups.group_offsets_from(response, "old") == {"old": (0, {("t", 1): 4})}


def test_coordinators_from_separates_found_and_failed():
    found, failed = groups.coordinators_from(find_coordinator_v4({"a": (1, 0), "b": (-1, 15)}))
    assert found == {"a": 1}
    assert failed["b"].startswith("COORDINATOR_NOT_AVAILABLE (error 15)")


def test_listed_groups_carry_state_and_type():
    listed = groups.listed_groups(list_groups_v5(("a", "Empty", "classic"), ("b", "Stable", "consumer")))
    assert [(g.group_id, g.state, g.group_type, g.protocol_type) for g in listed] == [
        ("a", "Empty", "classic", "consumer"),
        ("b", "Stable", "consumer", "consumer"),
    ]


def test_leaders_from_groups_by_leader_and_names_each_failure():
    wanted = {("t", 0), ("t", 1), ("t", 2), ("t", 9), ("gone", 0)}
    response = metadata_v12({("t", 0): 1, ("t", 1): 2, ("t", 2): -1}, topic_errors={"gone": 3})
    by_leader, failed = groups.leaders_from(response, wanted)
    assert by_leader == {1: [("t", 0)], 2: [("t", 1)]}
    assert set(failed) == {("t", 2), ("t", 9), ("gone", 0)}
    assert "LEADER_NOT_AVAILABLE" in failed[("t", 2)]
    assert "no longer exists" in failed[("t", 9)]
    assert "UNKNOWN_TOPIC_OR_PARTITION" in failed[("gone", 0)]


def test_offsets_from_reports_partition_errors_instead_of_raising():
    offsets, failed = groups.offsets_from(list_offsets_v7({("t", 0): 42}, errors={("t", 1): 6}))
    assert offsets == {("t", 0): 42}
    assert "NOT_LEADER" in failed[("t", 1)]


def test_lag_is_end_minus_committed_and_unknown_without_an_end():
    group = GroupOffsets("g", "Empty", "classic", "consumer", 1, None, {("t", 0): 3, ("t", 1): 5})
    snap = LagSnapshot(0.0, (group,), {("t", 0): 10}, {}, {("t", 1): "x"}, RequestCount())
    assert snap.lag(group) == {("t", 0): 7, ("t", 1): None}
    assert snap.group("g") is group
    assert snap.group("other") is None


def test_assignment_decoding_accepts_the_describe_groups_dict():
    raw = {"assigned_partitions": [{"topic": "b", "partitions": [1, 0]}, {"topic": "a", "partitions": [2]}]}
    assert groups._assignment(raw) == (("a", 2), ("b", 0), ("b", 1))
    assert groups._assignment(None) == ()
    assert groups._assignment(b"\x00garbage") == ()


def test_coordinator_cache_remembers_forgets_and_prunes():
    cache = CoordinatorCache()
    cache.remember("c1", {"a": 1, "b": 2})
    cache.remember("c2", {"a": 9})
    assert cache.known("c1", ["a", "b", "x"]) == {"a": 1, "b": 2}
    cache.forget("c1", ["a"])
    assert cache.known("c1", ["a", "b"]) == {"b": 2}
    cache.keep_only("c1", {"z"})
    assert cache.known("c1", ["b"]) == {}
    assert cache.known("c2", ["a"]) == {"a": 9}
    cache.forget("c2")
    assert cache.known("c2", ["a"]) == {}


# -- the snapshot logic against a fake manager -------------------------------------------------------


class FakeManager:
    """Answers each request type from a script; records (request type, node) per send."""

    def __init__(self, script: dict[str, Any], brokers: tuple[int, ...] = (1, 2), versions: dict | None = None):
        self.script = script
        self.sent: list[tuple[str, int | None]] = []
        self.cluster = SimpleNamespace(brokers=lambda: [SimpleNamespace(node_id=b) for b in brokers])
        versions = versions or {}
        self.broker_version_data = SimpleNamespace(api_version=lambda cls: versions.get(cls, 99))

    def send(self, request: Any, node_id: int | None = None) -> Any:
        kind = type(request).__name__
        self.sent.append((kind, node_id))
        answer = self.script[kind]
        answer = answer(request, node_id) if callable(answer) else answer
        if isinstance(answer, BaseException):
            return Future().failure(answer)
        return Future().success(answer)


def drive(coro: Any) -> Any:
    """Run a coroutine whose awaits are all resolved futures (no event loop needed)."""
    try:
        coro.send(None)
    except StopIteration as stop:
        return stop.value
    raise AssertionError("the coroutine waited on an unresolved future")


@pytest.fixture
def settings():
    settings = ConnectionSettings(name="fake", bootstrap_servers=("fake:9092",), ident="fake-unit")
    groups.coordinators.forget(settings.cache_key())
    yield settings
    groups.coordinators.forget(settings.cache_key())


def test_one_group_with_a_failing_coordinator_does_not_fail_the_snapshot(settings):
    from kafka.errors import KafkaConnectionError

    def offset_fetch(request: Any, node: int) -> Any:
        if node == 2:
            return KafkaConnectionError("broker 2 went away")
        return offset_fetch_v8({g.group_id: (0, {("t", 0): (4, 0)}) for g in request.groups})

    manager = FakeManager(
        {
            "ListGroupsRequest": lambda r, node: (
                list_groups_v5(("a", "Empty", "classic"))
                if node == 1
                else list_groups_v5(("b", "Stable", "classic"), ("c", "Empty", "classic"))
            ),
            "FindCoordinatorRequest": find_coordinator_v4({"a": (1, 0), "b": (2, 0), "c": (1, 14)}),
            "OffsetFetchRequest": offset_fetch,
            "MetadataRequest": metadata_v12({("t", 0): 1}),
            "ListOffsetsRequest": list_offsets_v7({("t", 0): 10}),
        }
    )
    run = groups._Run(SimpleNamespace(_manager=manager), settings)
    found, ends, _starts, partition_errors, _taken = drive(run.snapshot())
    by_id = {g.group_id: g for g in found}
    assert by_id["a"].committed == {("t", 0): 4} and by_id["a"].error is None
    assert by_id["b"].committed == {} and "went away" in by_id["b"].error  # retried once, still down
    assert by_id["c"].committed == {} and "COORDINATOR_LOAD_IN_PROGRESS" in by_id["c"].error
    assert ends == {("t", 0): 10}
    assert partition_errors == {}
    # b's coordinator failed, so it was looked up again once: 2 FindCoordinator in all.
    assert [k for k, _ in manager.sent].count("FindCoordinatorRequest") == 2


def test_not_coordinator_drops_the_cached_coordinator_and_asks_again(settings):
    groups.coordinators.remember(settings.cache_key(), {"a": 2})  # stale: a moved to broker 1
    manager = FakeManager(
        {
            "ListGroupsRequest": list_groups_v5(("a", "Stable", "classic")),
            "FindCoordinatorRequest": find_coordinator_v4({"a": (1, 0)}),
            "OffsetFetchRequest": lambda r, node: offset_fetch_v8(
                {"a": (16, {})} if node == 2 else {"a": (0, {("t", 0): (1, 0)})}
            ),
            "MetadataRequest": metadata_v12({("t", 0): 1}),
            "ListOffsetsRequest": list_offsets_v7({("t", 0): 3}),
        },
        brokers=(1,),
    )
    run = groups._Run(SimpleNamespace(_manager=manager), settings)
    found, *_ = drive(run.snapshot())
    assert found[0].committed == {("t", 0): 1}
    assert found[0].coordinator_id == 1
    assert groups.coordinators.known(settings.cache_key(), ["a"]) == {"a": 1}


def test_partition_with_an_unavailable_leader_has_no_end_offset_but_an_error(settings):
    from kafka.errors import KafkaTimeoutError

    manager = FakeManager(
        {
            "ListGroupsRequest": list_groups_v5(("a", "Empty", "classic")),
            "FindCoordinatorRequest": find_coordinator_v4({"a": (1, 0)}),
            "OffsetFetchRequest": offset_fetch_v8({"a": (0, {("t", 0): (1, 0), ("t", 1): (2, 0), ("t", 2): (3, 0)})}),
            "MetadataRequest": metadata_v12({("t", 0): 1, ("t", 1): 2, ("t", 2): -1}),
            "ListOffsetsRequest": lambda r, node: KafkaTimeoutError() if node == 2 else list_offsets_v7({("t", 0): 5}),
        },
        brokers=(1,),
    )
    run = groups._Run(SimpleNamespace(_manager=manager), settings)
    _groups, ends, _starts, partition_errors, _taken = drive(run.snapshot())
    assert ends == {("t", 0): 5}
    assert set(partition_errors) == {("t", 1), ("t", 2)}
    assert "did not answer within 5 s" in partition_errors[("t", 1)]


def test_old_brokers_get_one_offset_fetch_per_group(settings):
    topic = OffsetFetchResponse.OffsetFetchResponseTopic
    partition = topic.OffsetFetchResponsePartition

    def single(request: Any, node: int) -> Any:
        offset = {"a": 1, "b": 2}[request.group_id]
        return OffsetFetchResponse(
            topics=[
                topic(
                    name="t",
                    partitions=[partition(partition_index=0, committed_offset=offset, metadata="", error_code=0)],
                )
            ],
            error_code=0,
            version=7,
        )

    manager = FakeManager(
        {
            "ListGroupsRequest": list_groups_v5(("a", "Empty", "classic"), ("b", "Empty", "classic")),
            "FindCoordinatorRequest": find_coordinator_v4({"a": (1, 0), "b": (1, 0)}),
            "OffsetFetchRequest": single,
            "MetadataRequest": metadata_v12({("t", 0): 1}),
            "ListOffsetsRequest": list_offsets_v7({("t", 0): 3}),
        },
        brokers=(1,),
        versions={OffsetFetchRequest: 7},
    )
    run = groups._Run(SimpleNamespace(_manager=manager), settings)
    found, *_ = drive(run.snapshot())
    assert {g.group_id: g.committed for g in found} == {"a": {("t", 0): 1}, "b": {("t", 0): 2}}
    assert run.counts["offset_fetch"] == 2


def test_request_types_are_the_kafka_python_ones():
    # The fake keys on these class names; a rename upstream must fail here, not silently.
    assert {c.__name__ for c in (ListGroupsRequest, FindCoordinatorRequest, OffsetFetchRequest)} == {
        "ListGroupsRequest",
        "FindCoordinatorRequest",
        "OffsetFetchRequest",
    }
    assert {MetadataRequest.__name__, ListOffsetsRequest.__name__} == {"MetadataRequest", "ListOffsetsRequest"}


def test_brokers_that_fail_to_list_groups_are_counted_and_named(settings):
    from kafka.errors import KafkaConnectionError

    manager = FakeManager(
        {
            "ListGroupsRequest": lambda r, node: (
                KafkaConnectionError("refused") if node == 2 else list_groups_v5(("a", "Empty", "classic"))
            )
        }
    )
    run = groups._Run(SimpleNamespace(_manager=manager), settings)
    listed = drive(run.list_groups())
    assert [g.group_id for g in listed] == ["a"]
    assert run.silent_brokers == 1
    assert run.errors and "broker 2" in run.errors[0] and "refused" in run.errors[0]
