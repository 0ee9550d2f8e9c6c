"""Topic operations against Kafka: create (with a validate-only dry run), describe one
topic live (partitions, offsets, sizes, configs), alter configs incrementally, add
partitions, delete records, delete the topic, and find the groups that still hold
committed offsets on it. Broker refusals become KafkaRejected naming the field."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass, field
from typing import Any

from kafka import errors as kafka_errors
from kafka.admin import AlterConfigOp, ConfigResource, OffsetSpec
from kafka.structs import TopicPartition

from clusters.gateway.connection import admins
from clusters.gateway.errors import GatewayError, KafkaAuthFailed, KafkaNotFound, KafkaRejected, KafkaTimeout
from clusters.gateway.types import ConnectionSettings

# Kafka error codes whose refusal is about one input field (the rest are not the user's fault).
_FIELD_BY_CODE = {
    1: "offsets",  # OFFSET_OUT_OF_RANGE
    17: "name",  # INVALID_TOPIC_EXCEPTION (also the '.'/'_' collision)
    36: "name",  # TOPIC_ALREADY_EXISTS
    37: "partitions",  # INVALID_PARTITIONS
    38: "replication_factor",  # INVALID_REPLICATION_FACTOR
    39: "replication_factor",  # INVALID_REPLICA_ASSIGNMENT
    40: "configs",  # INVALID_CONFIG
    44: None,  # POLICY_VIOLATION: the broker's create/alter policy refused it
}
_NOT_FOUND = 3  # UNKNOWN_TOPIC_OR_PARTITION
_TIMED_OUT = 7  # REQUEST_TIMED_OUT
_AUTH = (29, 31)  # TOPIC_/CLUSTER_AUTHORIZATION_FAILED

# Where a config value comes from, in words a person reads on the detail page.
SOURCE_LABELS = {
    "DYNAMIC_TOPIC_CONFIG": "topic override",
    "DYNAMIC_BROKER_CONFIG": "dynamic broker",
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "dynamic cluster default",
    "STATIC_BROKER_CONFIG": "static broker (server.properties)",
    "DEFAULT_CONFIG": "Kafka default",
    "UNKNOWN": "unknown",
}
MASK = "********"
# A name no one would choose: the validate-only create that lists the topic configs uses it.
_PROBE_TOPIC = "__signalbox_config_probe"


@dataclass(frozen=True)
class TopicConfig:
    """One config of a topic (or one known topic config, for the create form)."""

    name: str
    value: str | None
    source: str
    sensitive: bool
    read_only: bool
    config_type: str = "STRING"

    @property
    def source_label(self) -> str:
        return SOURCE_LABELS.get(self.source, self.source.replace("_", " ").lower())

    @property
    def shown_value(self) -> str | None:
        return MASK if self.sensitive else self.value

    @property
    def is_override(self) -> bool:
        return self.source == "DYNAMIC_TOPIC_CONFIG"

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "value": self.shown_value,
            "source": self.source,
            "source_label": self.source_label,
            "sensitive": self.sensitive,
            "read_only": self.read_only,
            "type": self.config_type,
        }


@dataclass(frozen=True)
class TopicCreated:
    """What the broker answered to a create (or to its dry run)."""

    name: str
    partitions: int
    replication_factor: int
    validate_only: bool
    # Every config the new topic would have, with its source (the broker's answer).
    configs: tuple[TopicConfig, ...] = ()

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "partitions": self.partitions,
            "replication_factor": self.replication_factor,
            "validate_only": self.validate_only,
            "configs": {c.name: c.shown_value for c in self.configs if c.is_override},
        }


@dataclass(frozen=True)
class PartitionInfo:
    partition: int
    leader: int | None
    replicas: tuple[int, ...]
    isr: tuple[int, ...]
    offline_replicas: tuple[int, ...]
    earliest_offset: int | None
    latest_offset: int | None
    size_bytes: int | None

    @property
    def under_replicated(self) -> bool:
        return len(self.isr) < len(self.replicas)

    @property
    def messages(self) -> int | None:
        if self.earliest_offset is None or self.latest_offset is None:
            return None
        return self.latest_offset - self.earliest_offset


@dataclass(frozen=True)
class TopicDescription:
    """One topic as Kafka describes it right now. Parts that failed are None with
    the reason in `errors` (one slow broker must not hide the rest)."""

    name: str
    internal: bool
    topic_id: str
    partitions: tuple[PartitionInfo, ...]
    configs: tuple[TopicConfig, ...]
    errors: tuple[str, ...] = ()

    @property
    def replication_factor(self) -> int:
        return max((len(p.replicas) for p in self.partitions), default=0)

    @property
    def size_bytes(self) -> int | None:
        sizes = [p.size_bytes for p in self.partitions]
        return None if any(s is None for s in sizes) else sum(s for s in sizes if s is not None)

    def as_dict(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "internal": self.internal,
            "topic_id": self.topic_id,
            "replication_factor": self.replication_factor,
            "size_bytes": self.size_bytes,
            "partitions": [asdict(p) for p in self.partitions],
            "configs": [c.as_dict() for c in self.configs],
            "errors": list(self.errors),
        }


@dataclass(frozen=True)
class TopicGroupOffsets:
    """A consumer group with committed offsets on the topic."""

    group_id: str
    state: str
    offsets: dict[int, int] = field(default_factory=dict)


@dataclass(frozen=True)
class TopicGroups:
    groups: tuple[TopicGroupOffsets, ...]
    groups_checked: int
    groups_total: int
    errors: tuple[str, ...] = ()

    @property
    def truncated(self) -> bool:
        return self.groups_checked < self.groups_total


def _where(settings: ConnectionSettings) -> str:
    return f"cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)})"


def _refusal(settings: ConnectionSettings, code: int, message: str | None, doing: str, topic: str) -> GatewayError:
    """Our error for a per-topic error code in a broker's answer, keeping its own words."""
    error_type = kafka_errors.for_code(code)
    detail = message or error_type.description or error_type.__name__
    if code == _NOT_FOUND:
        return KafkaNotFound(f"Topic '{topic}' does not exist on {_where(settings)} (any more).")
    if code == _TIMED_OUT:
        seconds = settings.request_timeout_ms / 1000
        return KafkaTimeout(
            f"{_where(settings)} did not finish {doing} within {seconds:g} s: {detail}. "
            "The brokers may be overloaded; check the topic before trying again."
        )
    if code in _AUTH:
        return KafkaAuthFailed(f"{_where(settings)} denied {doing}: the configured user lacks the ACL for it.")
    if code in _FIELD_BY_CODE:
        return KafkaRejected(detail, field=_FIELD_BY_CODE[code])
    return KafkaRejected(f"{_where(settings)} refused {doing}: {detail}")


def _config_from(name: str, raw: dict[str, Any]) -> TopicConfig:
    return TopicConfig(
        name=name,
        value=raw.get("value"),
        source=str(raw.get("config_source") or "UNKNOWN"),
        sensitive=bool(raw.get("is_sensitive")),
        read_only=bool(raw.get("read_only")),
        config_type=str(raw.get("config_type") or "STRING"),
    )


def _describe_configs(admin: Any, topic: str) -> tuple[TopicConfig, ...]:
    described = admin.describe_configs([ConfigResource("TOPIC", topic)], config_filter="all")
    raw = described.get("topic", {}).get(topic, {})
    return tuple(_config_from(name, value) for name, value in sorted(raw.items()))


def topic_create(
    settings: ConnectionSettings,
    *,
    name: str,
    partitions: int,
    replication_factor: int,
    configs: dict[str, str],
    validate_only: bool = False,
) -> TopicCreated:
    """Create a topic, or with `validate_only` ask the controller whether it would
    (nothing is created). Raises KafkaRejected naming the field the broker refused."""
    doing = "validating the new topic" if validate_only else f"creating topic '{name}'"
    with admins.admin(settings, doing) as admin:
        answer = admin.create_topics(
            {name: {"num_partitions": partitions, "replication_factor": replication_factor, "configs": configs}},
            validate_only=validate_only,
            raise_errors=False,
        )
        topic = answer["topics"][0]
        if topic.get("error_code"):
            raise _refusal(settings, topic["error_code"], topic.get("error_message"), doing, name)
        raw_configs = topic.get("configs") or {}
        if not raw_configs and not validate_only:
            # Older brokers do not return configs with the create: read them back.
            created_configs = _describe_configs(admin, name)
        else:
            created_configs = tuple(_config_from(k, v) for k, v in sorted(raw_configs.items()))
    return TopicCreated(
        name=name,
        partitions=int(topic.get("num_partitions", partitions)),
        replication_factor=int(topic.get("replication_factor", replication_factor)),
        validate_only=validate_only,
        configs=created_configs,
    )


def topic_config_catalogue(settings: ConnectionSettings) -> tuple[TopicConfig, ...]:
    """Every config a new topic of this cluster can take, with the value it would
    get (cluster default) and its type, as the broker reports them: the names and
    defaults from a validate-only create (nothing is created), the types from
    describing an existing topic. Empty when the broker does not say."""
    with admins.admin(settings, "listing the topic configs") as admin:
        answer = admin.create_topics({_PROBE_TOPIC: {}}, validate_only=True, raise_errors=False)
        probe = answer["topics"][0]
        defaults = {} if probe.get("error_code") else (probe.get("configs") or {})
        types: dict[str, str] = {}
        existing = [t for t in admin.list_topics() if not t.startswith("__")][:1]
        if existing:
            types = {c.name: c.config_type for c in _describe_configs(admin, existing[0])}
    return tuple(
        TopicConfig(
            name=name,
            value=raw.get("value"),
            source=str(raw.get("config_source") or "DEFAULT_CONFIG"),
            sensitive=bool(raw.get("is_sensitive")),
            read_only=bool(raw.get("read_only")),
            config_type=types.get(name, "STRING"),
        )
        for name, raw in sorted(defaults.items())
    )


def _offsets(admin: Any, topic: str, partitions: list[int]) -> tuple[dict[int, int], dict[int, int]]:
    tps = [TopicPartition(topic, p) for p in partitions]
    earliest = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.EARLIEST))
    latest = admin.list_partition_offsets(dict.fromkeys(tps, OffsetSpec.LATEST))
    return (
        {tp.partition: int(o.offset) for tp, o in earliest.items()},
        {tp.partition: int(o.offset) for tp, o in latest.items()},
    )


def _sizes(admin: Any, topic: str, partitions: list[int]) -> dict[int, int]:
    """Largest replica size per partition over the brokers that host it."""
    sizes: dict[int, int] = {}
    for entry in admin.describe_log_dirs(topic_partitions={topic: partitions}):
        for log_dir in entry.get("log_dirs", []):
            if log_dir.get("error_code", 0):
                continue
            for t in log_dir.get("topics", []):
                if t.get("name") != topic:
                    continue
                for p in t.get("partitions", []):
                    index = int(p["partition_index"])
                    sizes[index] = max(sizes.get(index, 0), int(p.get("partition_size", 0)))
    return sizes


def _metadata(settings: ConnectionSettings, admin: Any, topic: str) -> dict[str, Any]:
    described = admin.describe_topics([topic])
    meta = described[0] if described else {"error_code": _NOT_FOUND}
    if meta.get("error_code"):
        raise _refusal(settings, meta["error_code"], None, f"describing topic '{topic}'", topic)
    return meta


def topic_describe(settings: ConnectionSettings, name: str) -> TopicDescription:
    """Partitions (leader, replicas, ISR, offline replicas, earliest and latest
    offset, size) and configs (with source; sensitive ones masked) of one topic,
    live. Raises KafkaNotFound when the topic does not exist."""
    errors: list[str] = []
    with admins.admin(settings, f"describing topic '{name}'") as admin:
        meta = _metadata(settings, admin, name)
        indexes = sorted(int(p["partition_index"]) for p in meta.get("partitions", []))
        earliest: dict[int, int] = {}
        latest: dict[int, int] = {}
        sizes: dict[int, int] | None = None
        try:
            earliest, latest = _offsets(admin, name, indexes)
        except kafka_errors.KafkaError as exc:  # e.g. a partition without a leader
            errors.append(f"Offsets could not be read: {exc}")
        try:
            sizes = _sizes(admin, name, indexes)
        except kafka_errors.KafkaError as exc:
            errors.append(f"Sizes could not be read (DescribeLogDirs): {exc}")
        configs = _describe_configs(admin, name)
    partitions = tuple(
        PartitionInfo(
            partition=int(p["partition_index"]),
            leader=int(p["leader_id"]) if p.get("leader_id", -1) >= 0 else None,
            replicas=tuple(int(r) for r in p.get("replica_nodes") or ()),
            isr=tuple(int(r) for r in p.get("isr_nodes") or ()),
            offline_replicas=tuple(int(r) for r in p.get("offline_replicas") or ()),
            earliest_offset=earliest.get(int(p["partition_index"])),
            latest_offset=latest.get(int(p["partition_index"])),
            size_bytes=None if sizes is None else sizes.get(int(p["partition_index"]), 0),
        )
        for p in sorted(meta.get("partitions", []), key=lambda p: int(p["partition_index"]))
    )
    return TopicDescription(
        name=name,
        internal=bool(meta.get("is_internal")),
        topic_id=str(meta.get("topic_id") or ""),
        partitions=partitions,
        configs=configs,
        errors=tuple(errors),
    )


def topic_configs(settings: ConnectionSettings, name: str) -> tuple[TopicConfig, ...]:
    """Every config of a topic with its value and source (sensitive ones masked on display)."""
    with admins.admin(settings, f"reading the configs of topic '{name}'") as admin:
        _metadata(settings, admin, name)
        return _describe_configs(admin, name)


def topic_configs_alter(
    settings: ConnectionSettings, name: str, *, changes: dict[str, str | None], validate_only: bool = False
) -> None:
    """Change some configs of a topic with IncrementalAlterConfigs: a value sets the
    override, None removes it (back to the default). Other configs stay as they are.
    With `validate_only` the broker only checks the change."""
    doing = f"{'validating' if validate_only else 'applying'} config changes of topic '{name}'"
    ops: dict[str, Any] = {
        k: (AlterConfigOp.DELETE, None) if v is None else (AlterConfigOp.SET, v) for k, v in changes.items()
    }
    with admins.admin(settings, doing) as admin:
        _metadata(settings, admin, name)
        answer = admin.alter_configs(
            [ConfigResource("TOPIC", name, ops)], validate_only=validate_only, raise_on_unknown=False, incremental=True
        )
    result = answer.get("topic", {}).get(name, "OK")
    if result != "OK":
        # kafka-python gives "[Error 40] InvalidConfigurationError: <broker message>".
        code_text, _, message = str(result).partition(": ")
        match = re.match(r"\[Error (\d+)\]", code_text)
        code = int(match.group(1)) if match else 0
        raise _refusal(settings, code, message or str(result), doing, name)


def topic_partitions_add(settings: ConnectionSettings, name: str, *, total: int, validate_only: bool = False) -> None:
    """Raise the partition count of a topic to `total` (Kafka cannot lower it).
    With `validate_only` the controller only checks it."""
    doing = f"{'validating' if validate_only else 'adding'} partitions of topic '{name}'"
    with admins.admin(settings, doing) as admin:
        answer = admin.create_partitions({name: total}, validate_only=validate_only, raise_errors=False)
    for result in answer.results:
        if result.error_code:
            raise _refusal(settings, result.error_code, result.error_message, doing, name)


def topic_partition_count(settings: ConnectionSettings, name: str) -> int:
    """How many partitions a topic has now (one Metadata request)."""
    with admins.admin(settings, f"describing topic '{name}'") as admin:
        return len(_metadata(settings, admin, name).get("partitions") or [])


def topic_offsets(settings: ConnectionSettings, name: str) -> dict[int, tuple[int, int]]:
    """(earliest, latest) offset of every partition of a topic."""
    with admins.admin(settings, f"reading the offsets of topic '{name}'") as admin:
        meta = _metadata(settings, admin, name)
        indexes = sorted(int(p["partition_index"]) for p in meta.get("partitions", []))
        earliest, latest = _offsets(admin, name, indexes)
    return {p: (earliest[p], latest[p]) for p in indexes}


def topic_records_delete(settings: ConnectionSettings, name: str, *, before: dict[int, int]) -> dict[int, int]:
    """Delete the records below the given offset of each partition (DeleteRecords);
    returns each partition's new earliest offset (low watermark)."""
    doing = f"deleting records of topic '{name}'"
    with admins.admin(settings, doing) as admin:
        try:
            answer = admin.delete_records({TopicPartition(name, p): o for p, o in before.items()})
        except kafka_errors.OffsetOutOfRangeError:
            raise KafkaRejected(
                "An offset is beyond the partition's latest offset; deleting records can only go up to it.",
                field="offsets",
            ) from None
        except kafka_errors.UnknownTopicOrPartitionError as exc:
            raise KafkaRejected(f"Unknown partition: {exc}", field="offsets") from None
        except kafka_errors.BrokerResponseError as exc:
            raise KafkaRejected(f"{_where(settings)} refused {doing}: {exc}", field="offsets") from None
    return {tp.partition: int(r["low_watermark"]) for tp, r in answer.items()}


def topic_delete(settings: ConnectionSettings, name: str) -> None:
    """Delete a topic and all its records."""
    doing = f"deleting topic '{name}'"
    with admins.admin(settings, doing) as admin:
        answer = admin.delete_topics([name], raise_errors=False)
    for topic in answer.get("topics", []):
        if topic.get("error_code"):
            raise _refusal(settings, topic["error_code"], topic.get("error_message"), doing, name)


def topic_groups(settings: ConnectionSettings, name: str, *, max_groups: int = 500) -> TopicGroups:
    """Consumer groups with committed offsets on a topic. Looks at no more than
    `max_groups` groups (one batched OffsetFetch per coordinator) and says so."""
    with admins.admin(settings, f"finding the groups of topic '{name}'") as admin:
        listed = admin.list_groups()
        states = {
            str(g["group_id"]): str(g.get("group_state") or "")
            for g in listed
            if g.get("protocol_type", "consumer") in ("consumer", "")
        }
        checked = sorted(states)[:max_groups]
        errors: list[str] = []
        offsets: dict[str, Any] = {}
        if checked:
            try:
                offsets = admin.list_group_offsets(dict.fromkeys(checked))
            except kafka_errors.BrokerResponseError as exc:
                errors.append(f"Committed offsets could not be read: {exc}")
    groups = []
    for group_id in checked:
        mine = {tp.partition: int(o.offset) for tp, o in (offsets.get(group_id) or {}).items() if tp.topic == name}
        if mine:
            groups.append(
                TopicGroupOffsets(group_id=group_id, state=states[group_id], offsets=dict(sorted(mine.items())))
            )
    return TopicGroups(
        groups=tuple(groups), groups_checked=len(checked), groups_total=len(states), errors=tuple(errors)
    )


__all__ = [
    "MASK",
    "PartitionInfo",
    "TopicConfig",
    "TopicCreated",
    "TopicDescription",
    "TopicGroupOffsets",
    "TopicGroups",
    "topic_config_catalogue",
    "topic_configs",
    "topic_configs_alter",
    "topic_create",
    "topic_delete",
    "topic_describe",
    "topic_groups",
    "topic_offsets",
    "topic_partition_count",
    "topic_partitions_add",
    "topic_records_delete",
]
