"""Changes to consumer groups: read the positions an offset reset starts from, commit
new offsets, delete a group, delete a group's offsets on one topic.

Kafka lets an admin commit offsets or delete a group only while the group has no
active members, and delete a topic's offsets only while no member subscribes to it.
Those refusals become KafkaGroupActive naming the members, so callers can say why.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from kafka import errors as kafka_errors
from kafka.admin import OffsetSpec
from kafka.protocol.consumer import OffsetTimestamp
from kafka.structs import OffsetAndMetadata, TopicPartition

from clusters.gateway.connection import admins
from clusters.gateway.errors import GatewayError, KafkaNotFound, KafkaRejected, KafkaRequestFailed
from clusters.gateway.groups import GroupMember, group_describe
from clusters.gateway.types import ConnectionSettings

TopicPartitionKey = tuple[str, int]

_UNKNOWN_TOPIC = 3
# Codes a coordinator answers an admin commit with while the group has live members.
_GROUP_BUSY = frozenset({22, 25, 27, 79, 110})  # ILLEGAL_GENERATION, UNKNOWN_MEMBER_ID, REBALANCE_IN_PROGRESS...
_NON_EMPTY_GROUP = 68
_GROUP_ID_NOT_FOUND = 69
_GROUP_SUBSCRIBED_TO_TOPIC = 86


class KafkaGroupActive(GatewayError):
    """Kafka refuses the change while the group has active members (or, for deleting a
    topic's offsets, while a member subscribes to that topic). `members` lists them
    when they could be read. Shown as 409 Conflict."""

    code = "group_active"

    def __init__(self, message: str, *, group_id: str, members: tuple[GroupMember, ...] = ()) -> None:
        super().__init__(message)
        self.group_id = group_id
        self.members = members


@dataclass(frozen=True)
class GroupPositions:
    """What an offset reset starts from: the group's committed offsets, the earliest
    and latest offset of every partition in scope, and (when a timestamp was given)
    the first offset at or after that time per partition with that record's time in
    ms (None: no record at or after it)."""

    group_id: str
    committed: dict[TopicPartitionKey, int]
    watermarks: dict[TopicPartitionKey, tuple[int, int]]
    at_timestamp: dict[TopicPartitionKey, tuple[int, int] | None] = field(default_factory=dict)


def _where(settings: ConnectionSettings) -> str:
    return f"cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)})"


def members_text(members: tuple[GroupMember, ...]) -> str:
    """'consumer-1 (member m-1 on /127.0.0.1), …' for messages."""
    return ", ".join(f"{m.client_id or '?'} (member {m.member_id} on {m.host or '?'})" for m in members)


def group_active_error(
    settings: ConnectionSettings, group_id: str, members: tuple[GroupMember, ...], doing: str, why: str = ""
) -> KafkaGroupActive:
    """The refusal to show when `group_id` still has members while `doing`."""
    listed = f" Active members: {members_text(members)}." if members else ""
    reason = why or "Kafka allows this only while the group has no active members."
    return KafkaGroupActive(
        f"Consumer group '{group_id}' on {_where(settings)} is in use, so {doing} is refused. {reason}{listed} "
        "Stop its consumers (and wait for their session to time out), then try again.",
        group_id=group_id,
        members=members,
    )


def _members_or_none(settings: ConnectionSettings, group_id: str) -> tuple[GroupMember, ...]:
    """Best effort: the members, to name them in a refusal the broker gave us."""
    try:
        return group_describe(settings, group_id).members
    except GatewayError:
        return ()


def _topic_partitions(settings: ConnectionSettings, admin: Any, topics: list[str]) -> dict[str, list[int]]:
    described = admin.describe_topics(topics)
    found: dict[str, list[int]] = {}
    for meta in described:
        name = str(meta.get("topic") or meta.get("name") or "")
        if meta.get("error_code") == _UNKNOWN_TOPIC:
            raise KafkaRejected(f"Topic '{name}' does not exist on {_where(settings)}.", field="topic")
        if meta.get("error_code"):
            error_type = kafka_errors.for_code(meta["error_code"])
            raise KafkaRequestFailed(
                f"Topic '{name}' could not be described on {_where(settings)}: {error_type.__name__}."
            )
        found[name] = sorted(int(p["partition_index"]) for p in meta.get("partitions", []))
    for topic in topics:
        if topic not in found:
            raise KafkaRejected(f"Topic '{topic}' does not exist on {_where(settings)}.", field="topic")
    return found


def group_positions(
    settings: ConnectionSettings,
    group_id: str,
    *,
    topics: list[str] | None = None,
    timestamp_ms: int | None = None,
) -> GroupPositions:
    """Committed offsets of `group_id` and the earliest/latest offset of every partition
    of `topics` (every topic the group committed on when None). With `timestamp_ms`,
    also the first offset whose record time is at or after it (ListOffsets by time).
    Raises KafkaRejected(field="topic") for a topic that does not exist."""
    doing = f"reading the offsets of consumer group '{group_id}'"
    with admins.admin(settings, doing) as admin:
        try:
            raw = admin.list_group_offsets({group_id: None}).get(group_id, {})
        except kafka_errors.GroupIdNotFoundError:
            raise KafkaNotFound(f"Consumer group '{group_id}' does not exist on {_where(settings)} (any more).")
        committed = {
            (tp.topic, tp.partition): int(o.offset) for tp, o in raw.items() if o.offset is not None and o.offset >= 0
        }
        wanted = sorted(set(topics)) if topics is not None else sorted({t for t, _ in committed})
        partitions = _topic_partitions(settings, admin, wanted) if wanted else {}
        tps = [TopicPartition(t, p) for t, ps in partitions.items() for p in ps]
        watermarks: dict[TopicPartitionKey, tuple[int, int]] = {}
        at_timestamp: dict[TopicPartitionKey, tuple[int, int] | None] = {}
        if tps:
            earliest = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST))
            latest = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
            watermarks = {(tp.topic, tp.partition): (int(earliest[tp].offset), int(latest[tp].offset)) for tp in tps}
            if timestamp_ms is not None:
                found = admin.list_partition_offsets(dict.fromkeys(tps, OffsetTimestamp(timestamp_ms)))
                # -1: no record at or after that time in this partition.
                at_timestamp = {
                    (tp.topic, tp.partition): (
                        (int(found[tp].offset), int(found[tp].timestamp)) if int(found[tp].offset) >= 0 else None
                    )
                    for tp in tps
                }
    if topics is not None:
        committed = {tp: o for tp, o in committed.items() if tp[0] in partitions}
    return GroupPositions(group_id=group_id, committed=committed, watermarks=watermarks, at_timestamp=at_timestamp)


def group_offsets_commit(settings: ConnectionSettings, group_id: str, offsets: dict[TopicPartitionKey, int]) -> None:
    """Commit `offsets` for the group as an admin (OffsetCommit without a member).
    Raises KafkaGroupActive when the coordinator refuses because the group has members."""
    doing = f"committing offsets of consumer group '{group_id}'"
    with admins.admin(settings, doing) as admin:
        answer = admin.alter_group_offsets(
            group_id, {TopicPartition(t, p): OffsetAndMetadata(o, "", -1) for (t, p), o in offsets.items()}
        )
    failed = {(tp.topic, tp.partition): err for tp, err in answer.items() if err is not kafka_errors.NoError}
    if not failed:
        return
    codes = {int(err.errno) for err in failed.values()}
    if codes & _GROUP_BUSY:
        why = f"Kafka allows this only while the group has no active members. {_broker_said(failed)}"
        raise group_active_error(settings, group_id, _members_or_none(settings, group_id), "resetting its offsets", why)
    if _UNKNOWN_TOPIC in codes:
        raise KafkaRejected(f"{_where(settings)} refused {doing}: {_broker_said(failed)}", field="partitions")
    raise KafkaRequestFailed(f"{_where(settings)} refused {doing}: {_broker_said(failed)}")


def _broker_said(failed: dict[TopicPartitionKey, Any]) -> str:
    by_error: dict[str, list[str]] = defaultdict(list)
    for (topic, partition), err in sorted(failed.items()):
        by_error[str(getattr(err, "message", None) or err.__name__)].append(f"{topic}/{partition}")
    return "The broker answered " + "; ".join(f"{name} for {', '.join(tps)}" for name, tps in by_error.items()) + "."


def group_delete(settings: ConnectionSettings, group_id: str) -> None:
    """Delete a consumer group and all its committed offsets (DeleteGroups).
    Raises KafkaGroupActive while it has members, KafkaNotFound when it does not exist."""
    doing = f"deleting consumer group '{group_id}'"
    with admins.admin(settings, doing) as admin:
        answer = admin.delete_groups([group_id])
    result = answer.get(group_id, "OK")
    if result == "OK":
        return
    if result == kafka_errors.NonEmptyGroupError.__name__:
        raise group_active_error(settings, group_id, _members_or_none(settings, group_id), "deleting it")
    if result == kafka_errors.GroupIdNotFoundError.__name__:
        raise KafkaNotFound(f"Consumer group '{group_id}' does not exist on {_where(settings)} (any more).")
    raise KafkaRequestFailed(f"{_where(settings)} refused {doing}: {result}.")


def group_offsets_delete(settings: ConnectionSettings, group_id: str, partitions: list[TopicPartitionKey]) -> None:
    """Delete the group's committed offsets of these partitions (OffsetDelete).
    Raises KafkaGroupActive when a member still subscribes to the topic."""
    doing = f"deleting offsets of consumer group '{group_id}'"
    with admins.admin(settings, doing) as admin:
        try:
            answer = admin.delete_group_offsets(group_id, [TopicPartition(t, p) for t, p in partitions])
        except kafka_errors.GroupIdNotFoundError:
            raise KafkaNotFound(f"Consumer group '{group_id}' does not exist on {_where(settings)} (any more).")
        except kafka_errors.BrokerResponseError as exc:
            raise KafkaRequestFailed(f"{_where(settings)} refused {doing}: {exc}.") from None
    failed = {(tp.topic, tp.partition): err for tp, err in answer.items() if err is not kafka_errors.NoError}
    if not failed:
        return
    if any(int(err.errno) == _GROUP_SUBSCRIBED_TO_TOPIC for err in failed.values()):
        topics = sorted({t for t, _ in failed})
        members = _members_or_none(settings, group_id)
        subscribed = tuple(m for m in members if any(t in topics for t, _ in m.assignment)) or members
        raise group_active_error(
            settings,
            group_id,
            subscribed,
            f"deleting its offsets of topic {', '.join(repr(t) for t in topics)}",
            "Kafka keeps a topic's offsets while a member of the group subscribes to that topic.",
        )
    if any(int(err.errno) == _UNKNOWN_TOPIC for err in failed.values()):
        raise KafkaRejected(f"{_where(settings)} refused {doing}: {_broker_said(failed)}", field="topic")
    raise KafkaRequestFailed(f"{_where(settings)} refused {doing}: {_broker_said(failed)}")


__all__ = [
    "GroupPositions",
    "KafkaGroupActive",
    "group_active_error",
    "group_delete",
    "group_offsets_commit",
    "group_offsets_delete",
    "group_positions",
    "members_text",
]
