"""Consumer groups: one batched lag snapshot of a whole cluster, and one group described.

The snapshot's Kafka request count does not grow with the number of groups:
ListGroups once per broker, FindCoordinator once for all groups not cached yet,
OffsetFetch (v8+) once per coordinator, Metadata once, ListOffsets twice per
partition leader (latest and earliest). Requests to different brokers are in
flight at the same time. A group or partition that fails carries its error; the
rest of the snapshot completes.
"""

from __future__ import annotations

import threading
import time
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from kafka import errors as kafka_errors
from kafka.protocol.admin import ListGroupsRequest
from kafka.protocol.consumer import ListOffsetsRequest, OffsetFetchRequest, OffsetSpec
from kafka.protocol.metadata import FindCoordinatorRequest, MetadataRequest

from clusters.gateway.connection import admins
from clusters.gateway.errors import KafkaNotFound, KafkaRequestFailed, KafkaUnreachable
from clusters.gateway.types import ConnectionSettings

TopicPartitionKey = tuple[str, int]

_GROUP_KEY_TYPE = 0  # FindCoordinator key type of consumer groups
_OFFSET_FETCH_BATCH_VERSION = 8  # KIP-709: many groups in one OffsetFetch
_FIND_COORDINATOR_BATCH_VERSION = 4  # KIP-699: many keys in one FindCoordinator
# A moved or restarting coordinator: forget the cached one and ask again once.
_STALE_COORDINATOR = frozenset({15, 16})  # COORDINATOR_NOT_AVAILABLE, NOT_COORDINATOR
_GROUP_ID_NOT_FOUND = 69


@dataclass(frozen=True)
class RequestCount:
    """Kafka requests one snapshot sent, by API."""

    find_coordinator: int = 0
    offset_fetch: int = 0
    list_offsets: int = 0
    list_groups: int = 0
    metadata: int = 0

    @property
    def total(self) -> int:
        return self.find_coordinator + self.offset_fetch + self.list_offsets + self.list_groups + self.metadata


@dataclass(frozen=True)
class GroupOffsets:
    """One group as listed, with its committed offsets. `committed` holds only partitions
    with a real commit (offset >= 0). When the group's coordinator failed, `error` says why
    and `committed` is empty."""

    group_id: str
    state: str
    group_type: str
    protocol_type: str
    coordinator_id: int | None
    error: str | None = None
    committed: dict[TopicPartitionKey, int] = field(default_factory=dict)


@dataclass(frozen=True)
class LagSnapshot:
    """Every consumer group of a cluster with its committed offsets, and the log end
    (and start) offset of every partition those groups committed on.

    A partition whose offsets could not be read is absent from `end_offsets` and
    `start_offsets` and has the reason in `partition_errors`. `errors` holds failures
    that are not about one group or partition (e.g. a broker that did not list its groups).
    """

    taken_at: float
    groups: tuple[GroupOffsets, ...]
    end_offsets: dict[TopicPartitionKey, int]
    start_offsets: dict[TopicPartitionKey, int]
    partition_errors: dict[TopicPartitionKey, str]
    requests: RequestCount
    errors: tuple[str, ...] = ()
    elapsed_ms: float = 0.0

    def group(self, group_id: str) -> GroupOffsets | None:
        return next((g for g in self.groups if g.group_id == group_id), None)

    def lag(self, group: GroupOffsets) -> dict[TopicPartitionKey, int | None]:
        """Log end offset minus committed offset per committed partition, as Kafka's own
        tool computes it; None when the end offset is unknown."""
        lags: dict[TopicPartitionKey, int | None] = {}
        for tp, offset in group.committed.items():
            end = self.end_offsets.get(tp)
            lags[tp] = None if end is None else end - offset
        return lags


@dataclass(frozen=True)
class GroupMember:
    member_id: str
    group_instance_id: str | None
    client_id: str
    host: str
    assignment: tuple[TopicPartitionKey, ...]


@dataclass(frozen=True)
class GroupDescription:
    """One group as its coordinator describes it right now."""

    group_id: str
    state: str
    protocol_type: str
    protocol: str
    coordinator_id: int | None
    members: tuple[GroupMember, ...]


# -- coordinator cache --------------------------------------------------------------------------


class CoordinatorCache:
    """Group -> coordinator broker id, per cluster, shared by the snapshots of a process.
    Entries are dropped when a coordinator answers NOT_COORDINATOR or COORDINATOR_NOT_AVAILABLE."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_cluster: dict[str, dict[str, int]] = {}

    def known(self, cluster: str, group_ids: Iterable[str]) -> dict[str, int]:
        with self._lock:
            cached = self._by_cluster.get(cluster, {})
            return {g: cached[g] for g in group_ids if g in cached}

    def remember(self, cluster: str, coordinators: dict[str, int]) -> None:
        with self._lock:
            self._by_cluster.setdefault(cluster, {}).update(coordinators)

    def forget(self, cluster: str, group_ids: Iterable[str] | None = None) -> None:
        with self._lock:
            if group_ids is None:
                self._by_cluster.pop(cluster, None)
                return
            cached = self._by_cluster.get(cluster, {})
            for group_id in group_ids:
                cached.pop(group_id, None)

    def keep_only(self, cluster: str, group_ids: set[str]) -> None:
        """Drop groups that no longer exist, so the cache does not grow without bound."""
        with self._lock:
            cached = self._by_cluster.get(cluster)
            if cached:
                for group_id in [g for g in cached if g not in group_ids]:
                    del cached[group_id]


coordinators = CoordinatorCache()


# -- pure request building and response conversion ------------------------------------------------


def error_text(code: int, message: str | None = None) -> str:
    """'COORDINATOR_NOT_AVAILABLE: <broker message or Kafka's description>'."""
    error_type = kafka_errors.for_code(code)
    name = getattr(error_type, "message", None) or error_type.__name__
    detail = message or getattr(error_type, "description", "") or ""
    return f"{name} (error {code}): {detail}" if detail else f"{name} (error {code})"


@dataclass(frozen=True)
class ListedGroup:
    group_id: str
    protocol_type: str
    state: str
    group_type: str


def listed_groups(response: Any) -> list[ListedGroup]:
    """Groups from a ListGroups response (state from v4, type from v5; empty when older)."""
    if response.error_code:
        raise kafka_errors.for_code(response.error_code)(error_text(response.error_code))
    return [
        ListedGroup(
            group_id=str(g.group_id),
            protocol_type=str(g.protocol_type or ""),
            state=str(getattr(g, "group_state", "") or ""),
            group_type=str(getattr(g, "group_type", "") or ""),
        )
        for g in response.groups
    ]


def find_coordinator_request(group_ids: list[str]) -> Any:
    return FindCoordinatorRequest(
        key_type=_GROUP_KEY_TYPE, coordinator_keys=list(group_ids), min_version=_FIND_COORDINATOR_BATCH_VERSION
    )


def coordinators_from(response: Any) -> tuple[dict[str, int], dict[str, str]]:
    """(group -> node id, group -> error) from a batched FindCoordinator response."""
    found: dict[str, int] = {}
    failed: dict[str, str] = {}
    for c in response.coordinators:
        if c.error_code:
            failed[str(c.key)] = error_text(c.error_code, c.error_message)
        else:
            found[str(c.key)] = int(c.node_id)
    return found, failed


def offset_fetch_batch_request(group_ids: list[str]) -> Any:
    """One OffsetFetch (v8+) for all committed offsets of many groups."""
    group = OffsetFetchRequest.OffsetFetchRequestGroup
    return OffsetFetchRequest(
        groups=[group(group_id=g, topics=None) for g in group_ids],
        min_version=_OFFSET_FETCH_BATCH_VERSION,
        max_version=_OFFSET_FETCH_BATCH_VERSION,  # v10 names topics by id only
    )


def offset_fetch_single_request(group_id: str) -> Any:
    """OffsetFetch of one group, for brokers older than OffsetFetch v8 (topics=None needs v2)."""
    return OffsetFetchRequest(group_id=group_id, topics=None, min_version=2, max_version=7)


def _committed(topics: Any) -> dict[TopicPartitionKey, int]:
    committed: dict[TopicPartitionKey, int] = {}
    for topic in topics or ():
        for p in topic.partitions:
            # -1 means "no commit"; a partition-level error leaves the partition out too.
            if not p.error_code and p.committed_offset is not None and p.committed_offset >= 0:
                committed[(str(topic.name), int(p.partition_index))] = int(p.committed_offset)
    return committed


def group_offsets_from(
    response: Any, group_id: str | None = None
) -> dict[str, tuple[int, dict[TopicPartitionKey, int]]]:
    """group -> (error code, committed offsets) from an OffsetFetch response; `group_id`
    names the group of a single-group (pre-v8) response."""
    if response.API_VERSION >= _OFFSET_FETCH_BATCH_VERSION:
        return {str(g.group_id): (int(g.error_code), _committed(g.topics)) for g in response.groups}
    assert group_id is not None
    return {group_id: (int(response.error_code), _committed(response.topics))}


def metadata_request(topics: list[str]) -> Any:
    return MetadataRequest(
        topics=[MetadataRequest.MetadataRequestTopic(name=t) for t in topics], allow_auto_topic_creation=False
    )


def leaders_from(
    response: Any, wanted: set[TopicPartitionKey]
) -> tuple[dict[int, list[TopicPartitionKey]], dict[TopicPartitionKey, str]]:
    """(leader -> partitions, partition -> error) for the wanted partitions."""
    by_leader: dict[int, list[TopicPartitionKey]] = defaultdict(list)
    failed: dict[TopicPartitionKey, str] = {}
    seen: set[TopicPartitionKey] = set()
    for topic in response.topics:
        name = str(topic.name)
        for p in topic.partitions:
            tp = (name, int(p.partition_index))
            if tp not in wanted:
                continue
            seen.add(tp)
            if p.error_code and p.leader_id in (None, -1):
                failed[tp] = error_text(p.error_code)
            elif p.leader_id in (None, -1):
                failed[tp] = "The partition has no leader right now (offline)."
            else:
                by_leader[int(p.leader_id)].append(tp)
        if topic.error_code:
            for tp in wanted:
                if tp[0] == name and tp not in seen:
                    failed[tp] = error_text(topic.error_code)
                    seen.add(tp)
    for tp in wanted - seen:
        failed[tp] = "The partition no longer exists (topic deleted or partition unknown)."
    return dict(by_leader), failed


def list_offsets_request(partitions: list[TopicPartitionKey], spec: int) -> Any:
    """One ListOffsets for many partitions of one leader (spec: OffsetSpec.LATEST or EARLIEST)."""
    topic_type = ListOffsetsRequest.ListOffsetsTopic
    partition_type = topic_type.ListOffsetsPartition
    by_topic: dict[str, list[int]] = defaultdict(list)
    for topic, partition in partitions:
        by_topic[topic].append(partition)
    return ListOffsetsRequest(
        isolation_level=0,
        topics=[
            topic_type(name=t, partitions=[partition_type(partition_index=p, timestamp=int(spec)) for p in ps])
            for t, ps in by_topic.items()
        ],
        min_version=1,  # v0 answers with a list of old-style offsets
    )


def offsets_from(response: Any) -> tuple[dict[TopicPartitionKey, int], dict[TopicPartitionKey, str]]:
    """(partition -> offset, partition -> error) from a ListOffsets response."""
    offsets: dict[TopicPartitionKey, int] = {}
    failed: dict[TopicPartitionKey, str] = {}
    for topic in response.topics:
        for p in topic.partitions:
            tp = (str(topic.name), int(p.partition_index))
            if p.error_code:
                failed[tp] = error_text(p.error_code)
            else:
                offsets[tp] = int(p.offset)
    return offsets, failed


# -- the snapshot -------------------------------------------------------------------------------


class _Run:
    """State of one snapshot while its coroutine runs on the admin client's IO thread."""

    def __init__(self, admin: Any, settings: ConnectionSettings) -> None:
        self.admin = admin
        self.manager = admin._manager
        self.settings = settings
        self.cluster_key = settings.cache_key()
        self.counts: dict[str, int] = defaultdict(int)
        self.errors: list[str] = []
        self.silent_brokers = 0  # brokers whose ListGroups failed

    def send(self, kind: str, request: Any, node_id: int | None = None) -> Any:
        """Send without waiting; returns the kafka-python Future (or the exception)."""
        self.counts[kind] += 1
        try:
            return self.manager.send(request, node_id=node_id)
        except Exception as exc:  # e.g. UnknownBrokerIdError raised before anything is sent
            return exc

    async def wait(self, pending: Any) -> Any:
        """The response, or the exception the request failed with (never raised)."""
        if isinstance(pending, BaseException):
            return pending
        try:
            return await pending
        except Exception as exc:
            return exc

    def broker_text(self, node_id: int | None, exc: BaseException) -> str:
        seconds = self.settings.request_timeout_ms / 1000
        broker = "The broker" if node_id is None else f"Broker {node_id}"
        if isinstance(exc, kafka_errors.KafkaTimeoutError):
            return f"{broker} did not answer within {seconds:g} s."
        return f"{broker} failed: {type(exc).__name__}: {exc}".rstrip(": ")

    def api_version(self, request_class: Any) -> int:
        try:
            return int(self.manager.broker_version_data.api_version(request_class))
        except Exception:  # the broker does not know the API at all
            return -1

    async def list_groups(self) -> list[ListedGroup]:
        brokers = sorted(b.node_id for b in self.manager.cluster.brokers())
        pending = {b: self.send("list_groups", ListGroupsRequest(min_version=0), node_id=b) for b in brokers}
        seen: dict[str, ListedGroup] = {}
        for broker, future in pending.items():
            response = await self.wait(future)
            if isinstance(response, BaseException):
                self.silent_brokers += 1
                self.errors.append(
                    f"Groups of broker {broker} could not be listed: {self.broker_text(broker, response)}"
                )
                continue
            try:
                for group in listed_groups(response):
                    seen.setdefault(group.group_id, group)
            except kafka_errors.KafkaError as exc:
                self.silent_brokers += 1
                self.errors.append(f"Broker {broker} refused to list its groups: {exc}")
        return [seen[g] for g in sorted(seen)]

    async def find_coordinators(self, group_ids: list[str]) -> tuple[dict[str, int], dict[str, str]]:
        found = coordinators.known(self.cluster_key, group_ids)
        unknown = [g for g in group_ids if g not in found]
        failed: dict[str, str] = {}
        if not unknown:
            return found, failed
        if self.api_version(FindCoordinatorRequest) >= _FIND_COORDINATOR_BATCH_VERSION:
            answers = [(unknown, await self.wait(self.send("find_coordinator", find_coordinator_request(unknown))))]
        else:
            singles = {
                g: self.send("find_coordinator", FindCoordinatorRequest(key=g, key_type=_GROUP_KEY_TYPE, max_version=3))
                for g in unknown
            }
            answers = [([g], await self.wait(f)) for g, f in singles.items()]
        new: dict[str, int] = {}
        for keys, response in answers:
            if isinstance(response, BaseException):
                for g in keys:
                    failed[g] = f"The coordinator could not be found: {self.broker_text(None, response)}"
            elif hasattr(response, "coordinators") and response.API_VERSION >= _FIND_COORDINATOR_BATCH_VERSION:
                ok, bad = coordinators_from(response)
                new.update({g: n for g, n in ok.items() if g in keys})
                failed.update({g: e for g, e in bad.items() if g in keys})
            elif response.error_code:
                failed[keys[0]] = error_text(response.error_code, getattr(response, "error_message", None))
            else:
                new[keys[0]] = int(response.node_id)
        for g in unknown:
            if g not in new and g not in failed:
                failed[g] = "The broker did not say which broker coordinates this group."
        coordinators.remember(self.cluster_key, new)
        found.update(new)
        return found, failed

    async def fetch_offsets(
        self, by_coordinator: dict[int, list[str]]
    ) -> dict[str, tuple[int | None, str | None, dict[TopicPartitionKey, int]]]:
        """group -> (error code or None, error text, committed), one request per coordinator."""
        batched = self.api_version(OffsetFetchRequest) >= _OFFSET_FETCH_BATCH_VERSION
        pending: list[tuple[int, list[str], str | None, Any]] = []
        for node, group_ids in by_coordinator.items():
            if batched:
                pending.append(
                    (node, group_ids, None, self.send("offset_fetch", offset_fetch_batch_request(group_ids), node))
                )
            else:
                for g in group_ids:
                    pending.append((node, [g], g, self.send("offset_fetch", offset_fetch_single_request(g), node)))
        results: dict[str, tuple[int | None, str | None, dict[TopicPartitionKey, int]]] = {}
        for node, group_ids, single, future in pending:
            response = await self.wait(future)
            if isinstance(response, BaseException):
                text = f"Coordinator broker {node} could not be asked: {self.broker_text(node, response)}"
                for g in group_ids:
                    results[g] = (None, text, {})
                continue
            for g, (code, committed) in group_offsets_from(response, single).items():
                results[g] = (code, error_text(code), {}) if code else (None, None, committed)
            for g in group_ids:  # a group the broker left out of its answer
                results.setdefault(g, (None, f"Coordinator broker {node} did not answer for this group.", {}))
        return results

    async def end_offsets(
        self, wanted: set[TopicPartitionKey]
    ) -> tuple[dict[TopicPartitionKey, int], dict[TopicPartitionKey, int], dict[TopicPartitionKey, str], float]:
        ends: dict[TopicPartitionKey, int] = {}
        starts: dict[TopicPartitionKey, int] = {}
        failed: dict[TopicPartitionKey, str] = {}
        if not wanted:
            return ends, starts, failed, time.time()
        topics = sorted({t for t, _ in wanted})
        meta = await self.wait(self.send("metadata", metadata_request(topics)))
        if isinstance(meta, BaseException):
            text = f"Partition leaders could not be read (Metadata): {self.broker_text(None, meta)}"
            return ends, starts, dict.fromkeys(wanted, text), time.time()
        by_leader, failed = leaders_from(meta, wanted)
        pending = [
            (
                leader,
                partitions,
                self.send("list_offsets", list_offsets_request(partitions, OffsetSpec.LATEST), leader),
                self.send("list_offsets", list_offsets_request(partitions, OffsetSpec.EARLIEST), leader),
            )
            for leader, partitions in sorted(by_leader.items())
        ]
        latest_responses = [(leader, partitions, await self.wait(latest)) for leader, partitions, latest, _ in pending]
        taken_at = time.time()
        for leader, partitions, response in latest_responses:
            if isinstance(response, BaseException):
                text = f"Leader broker {leader}: {self.broker_text(leader, response)}"
                failed.update(dict.fromkeys(partitions, text))
                continue
            got, bad = offsets_from(response)
            ends.update(got)
            failed.update(bad)
        for _leader, _partitions, _, earliest in pending:
            response = await self.wait(earliest)
            if not isinstance(response, BaseException):
                starts.update(offsets_from(response)[0])  # the end offset is what matters; start is a bonus
        return ends, starts, failed, taken_at

    async def snapshot(self) -> tuple[list[GroupOffsets], dict[TopicPartitionKey, int], dict, dict, float]:
        listed = await self.list_groups()
        group_ids = [g.group_id for g in listed]
        coordinators.keep_only(self.cluster_key, set(group_ids))
        found, failed = await self.find_coordinators(group_ids)
        results = await self.fetch_offsets(_by_coordinator(found))
        stale = [g for g, (code, text, _) in results.items() if code in _STALE_COORDINATOR or (text and code is None)]
        if stale:
            # The coordinator moved or restarted: ask where the groups live now, once.
            coordinators.forget(self.cluster_key, stale)
            refound, refailed = await self.find_coordinators(stale)
            found.update(refound)
            failed.update(refailed)
            for g in refailed:
                found.pop(g, None)
                results.pop(g, None)
            results.update(await self.fetch_offsets(_by_coordinator(refound)))
        groups = []
        for listing in listed:
            code, text, committed = results.get(listing.group_id, (None, failed.get(listing.group_id), {}))
            if code in _STALE_COORDINATOR:
                coordinators.forget(self.cluster_key, [listing.group_id])
            groups.append(
                GroupOffsets(
                    group_id=listing.group_id,
                    state=listing.state,
                    group_type=listing.group_type,
                    protocol_type=listing.protocol_type,
                    coordinator_id=found.get(listing.group_id),
                    error=text,
                    committed=committed,
                )
            )
        wanted = {tp for group in groups for tp in group.committed}
        ends, starts, partition_errors, taken_at = await self.end_offsets(wanted)
        return groups, ends, starts, partition_errors, taken_at


def _by_coordinator(found: dict[str, int]) -> dict[int, list[str]]:
    by_node: dict[int, list[str]] = defaultdict(list)
    for group_id, node in found.items():
        by_node[node].append(group_id)
    return dict(by_node)


def lag_snapshot(settings: ConnectionSettings) -> LagSnapshot:
    """Every consumer group of the cluster (any state), its committed offsets and the
    log end offset of each partition it committed on, in a number of Kafka requests
    that does not depend on the number of groups. A group whose coordinator failed
    comes back with `error` set and no offsets; a partition whose leader failed is
    listed in `partition_errors`. Raises a GatewayError only when the cluster cannot
    be reached at all."""
    start = time.perf_counter()
    with admins.admin(settings, "taking a consumer lag snapshot") as admin:
        run = _Run(admin, settings)
        brokers = len(admin._manager.cluster.brokers())
        groups, ends, starts, partition_errors, taken_at = admin._manager.run(run.snapshot)
    if brokers and run.silent_brokers == brokers:
        # Not one broker listed its groups: an empty snapshot would be a lie.
        raise KafkaUnreachable(
            f"No broker of cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)}) listed its "
            f"consumer groups: {' '.join(run.errors)} Check that the brokers are running and reachable."
        )
    counts = run.counts
    return LagSnapshot(
        taken_at=taken_at,
        groups=tuple(groups),
        end_offsets=ends,
        start_offsets=starts,
        partition_errors=partition_errors,
        requests=RequestCount(
            find_coordinator=counts["find_coordinator"],
            offset_fetch=counts["offset_fetch"],
            list_offsets=counts["list_offsets"],
            list_groups=counts["list_groups"],
            metadata=counts["metadata"],
        ),
        errors=tuple(run.errors),
        elapsed_ms=round((time.perf_counter() - start) * 1000, 2),
    )


# -- one group ----------------------------------------------------------------------------------


def _assignment(raw: Any) -> tuple[TopicPartitionKey, ...]:
    """Partitions of a decoded consumer-protocol assignment (empty when undecodable)."""
    if not isinstance(raw, dict):  # kafka-python hands out dicts; a decoded object works too
        raw = {"assigned_partitions": getattr(raw, "assigned_partitions", None)}
    pairs: list[TopicPartitionKey] = []
    for item in raw.get("assigned_partitions") or ():
        if isinstance(item, dict):
            topic, indexes = item.get("topic"), item.get("partitions") or ()
        elif hasattr(item, "topic"):
            topic, indexes = item.topic, item.partitions
        else:
            topic, indexes = item
        pairs.extend((str(topic), int(p)) for p in indexes)
    return tuple(sorted(pairs))


def group_describe(settings: ConnectionSettings, group_id: str) -> GroupDescription:
    """Members (id, client id, host, assigned partitions), state, protocol and coordinator
    of one group. Raises KafkaNotFound when the group does not exist."""
    with admins.admin(settings, f"describing consumer group '{group_id}'") as admin:
        coordinator = admin._manager.run(admin._find_coordinator_id, group_id)
        described = admin._manager.run(admin._async_describe_groups, [group_id], coordinator)
    raw = described.get(group_id)
    where = f"cluster '{settings.name}'"
    if raw is None or raw.get("group_state") == "Dead":
        raise KafkaNotFound(f"Consumer group '{group_id}' does not exist on {where} (any more).")
    error = raw.get("error")
    if error and "not a classic group" in error:
        raise KafkaRequestFailed(
            f"Consumer group '{group_id}' on {where} uses the new consumer protocol (KIP-848), which this "
            f"version of Signalbox cannot describe yet; its offsets and lag are still shown. ({error})"
        )
    if error and ("GroupIdNotFound" in error or "GROUP_ID_NOT_FOUND" in error):
        raise KafkaNotFound(f"Consumer group '{group_id}' does not exist on {where} (any more).")
    if error:
        raise KafkaRequestFailed(f"Consumer group '{group_id}' could not be described on {where}: {error}")
    return _description_from(group_id, raw, coordinator)


def _description_from(group_id: str, raw: dict[str, Any], coordinator: Any) -> GroupDescription:
    members = tuple(
        GroupMember(
            member_id=str(m.get("member_id") or ""),
            group_instance_id=m.get("group_instance_id"),
            client_id=str(m.get("client_id") or ""),
            host=str(m.get("client_host") or ""),
            assignment=_assignment(m.get("member_assignment")),
        )
        for m in raw.get("members") or ()
    )
    return GroupDescription(
        group_id=group_id,
        state=str(raw.get("group_state") or ""),
        protocol_type=str(raw.get("protocol_type") or ""),
        protocol=str(raw.get("protocol_data") or ""),
        coordinator_id=int(coordinator) if coordinator is not None else None,
        members=members,
    )


def groups_describe(
    settings: ConnectionSettings, groups_by_coordinator: dict[int, list[str]]
) -> tuple[dict[str, GroupDescription], dict[str, str]]:
    """Members and assignments of many groups: one DescribeGroups per coordinator
    (coordinators as found by lag_snapshot). Returns (descriptions, errors by group);
    a coordinator that fails costs only its own groups."""
    descriptions: dict[str, GroupDescription] = {}
    errors: dict[str, str] = {}
    with admins.admin(settings, "describing consumer groups") as admin:
        for coordinator, group_ids in groups_by_coordinator.items():
            try:
                batches = [admin._manager.run(admin._async_describe_groups, list(group_ids), coordinator)]
            except Exception:
                # kafka-python fails a whole response when one member's metadata is not the
                # consumer protocol (e.g. a Connect worker group); describe one by one then.
                batches = []
                for group_id in group_ids:
                    try:
                        batches.append(admin._manager.run(admin._async_describe_groups, [group_id], coordinator))
                    except Exception as exc:
                        errors[group_id] = f"broker {coordinator} did not describe the group: {exc}"
            for described in batches:
                for group_id, raw in described.items():
                    if raw.get("error"):
                        errors[group_id] = str(raw["error"])
                    else:
                        descriptions[group_id] = _description_from(group_id, raw, coordinator)
    return descriptions, errors


__all__ = [
    "CoordinatorCache",
    "GroupDescription",
    "GroupMember",
    "GroupOffsets",
    "LagSnapshot",
    "RequestCount",
    "coordinators",
    "group_describe",
    "groups_describe",
    "lag_snapshot",
]
