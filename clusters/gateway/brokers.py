"""Live reads of brokers (overview, KRaft quorum, features) and broker configs, and
incremental changes to dynamic broker configs."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import Any

from kafka import errors as kafka_errors
from kafka.admin import ConfigResourceType, ConfigSourceType, ConfigType
from kafka.protocol.admin import DescribeConfigsRequest, IncrementalAlterConfigsRequest

from clusters.gateway.connection import admins, elapsed_ms, translate
from clusters.gateway.errors import (
    GatewayError,
    KafkaAuthFailed,
    KafkaNotFound,
    KafkaRejected,
    KafkaRequestFailed,
)
from clusters.gateway.types import ConnectionSettings

# Never shown, whatever the broker sent.
MASK = "********"
# Incremental alter operations we offer (APPEND/SUBTRACT only make sense for lists).
CONFIG_OPS = ("SET", "DELETE")
_OP_CODES = {"SET": 0, "DELETE": 1}
# Broker error codes that mean "your input is invalid" rather than "Kafka failed".
_REJECTED_CODES = {40, 42, 44}  # INVALID_CONFIG, INVALID_REQUEST, POLICY_VIOLATION
_AUTH_CODES = {29, 31}
_DYNAMIC_SOURCES = ("DYNAMIC_BROKER_CONFIG", "DYNAMIC_DEFAULT_BROKER_CONFIG")  # TOPIC_ / CLUSTER_AUTHORIZATION_FAILED


@dataclass(frozen=True)
class LogDirInfo:
    path: str
    size_bytes: int
    partition_count: int
    total_bytes: int | None
    usable_bytes: int | None
    error: str = ""


@dataclass(frozen=True)
class BrokerOverview:
    """One broker as the overview shows it. `log_dirs_error` set means the sizes are unknown."""

    node_id: int
    host: str
    port: int
    rack: str | None
    is_controller: bool
    fenced: bool
    leader_count: int
    size_bytes: int | None
    partition_count: int | None
    log_dirs: tuple[LogDirInfo, ...]
    log_dirs_error: str = ""


@dataclass(frozen=True)
class QuorumReplica:
    node_id: int
    log_end_offset: int
    lag: int | None
    last_fetch_ms: int | None
    last_caught_up_ms: int | None
    # How long ago the replica was last caught up with the leader (None when unknown).
    caught_up_ago_ms: int | None
    is_leader: bool


@dataclass(frozen=True)
class MetadataQuorum:
    """The KRaft quorum of the __cluster_metadata log."""

    leader_id: int
    leader_epoch: int
    high_watermark: int
    voters: tuple[QuorumReplica, ...]
    observers: tuple[QuorumReplica, ...]


@dataclass(frozen=True)
class FeatureLevel:
    name: str
    supported_min: int | None
    supported_max: int | None
    finalized_min: int | None
    finalized_max: int | None


@dataclass(frozen=True)
class ClusterOverview:
    """What the cluster overview shows; parts that could not be read carry their error."""

    cluster_id: str
    controller_id: int | None
    brokers: tuple[BrokerOverview, ...]
    quorum: MetadataQuorum | None
    quorum_error: str
    features: tuple[FeatureLevel, ...]
    features_error: str
    leaders_error: str
    round_trip_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConfigSynonym:
    name: str
    source: str
    value: str | None


@dataclass(frozen=True)
class BrokerConfigEntry:
    """One broker config. A sensitive config's value is always None (never sent on)."""

    name: str
    value: str | None
    source: str
    read_only: bool
    sensitive: bool
    config_type: str
    synonyms: tuple[ConfigSynonym, ...] = ()

    @property
    def shown_value(self) -> str | None:
        """The value to display: the mask for a sensitive config that is set anywhere."""
        if not self.sensitive:
            return self.value
        return MASK if self.source != "DEFAULT_CONFIG" else None

    @property
    def is_default(self) -> bool:
        return self.source == "DEFAULT_CONFIG"


@dataclass(frozen=True)
class BrokerConfigChange:
    """An incremental change: SET a value, or DELETE the dynamic value (back to the default)."""

    name: str
    op: str
    value: str | None = None


def _where(settings: ConnectionSettings) -> str:
    return f"cluster '{settings.name}'"


def _broker_label(broker_id: int | None) -> str:
    return "the cluster-wide broker default" if broker_id is None else f"broker {broker_id}"


def _enum_name(enum: Any, value: Any) -> str:
    if isinstance(value, str):
        return value
    try:
        return str(enum(int(value)).name)
    except (TypeError, ValueError):
        return "UNKNOWN"


def config_entry_from_raw(raw: dict[str, Any]) -> BrokerConfigEntry:
    """Turn one DescribeConfigs entry (as kafka-python's to_dict gives it) into our
    dataclass; sensitive values (and their synonyms) are dropped here, once."""
    sensitive = bool(raw.get("is_sensitive"))
    source = _enum_name(ConfigSourceType, raw.get("config_source", 0))
    read_only = bool(raw.get("read_only"))
    if str(raw["name"]).startswith("listener.name.") and source in _DYNAMIC_SOURCES:
        # Brokers flag per-listener names read-only, yet they were set (and are deleted) dynamically.
        read_only = False
    synonyms = tuple(
        ConfigSynonym(
            name=str(s.get("name", "")),
            source=_enum_name(ConfigSourceType, s.get("source", 0)),
            value=None if sensitive else s.get("value"),
        )
        for s in raw.get("synonyms") or []
    )
    return BrokerConfigEntry(
        name=str(raw["name"]),
        value=None if sensitive else raw.get("value"),
        source=source,
        read_only=read_only,
        sensitive=sensitive,
        config_type=_enum_name(ConfigType, raw.get("config_type", 0)),
        synonyms=synonyms,
    )


def _send(admin: Any, request: Any, node_id: int | None) -> Any:
    """Send one request on the admin client's own connection manager.

    kafka-python's describe/alter helpers insist on an integer broker id, so the
    cluster-wide default (empty resource name) and the raw error codes need this."""

    async def call() -> Any:
        return await admin._manager.send(request, node_id=node_id)

    return admin._manager.run(call)


def _describe_cluster(admin: Any) -> dict[str, Any]:
    return dict(admin.describe_cluster())


def _broker_ids(described: dict[str, Any]) -> list[int]:
    return sorted(int(b["broker_id"]) for b in described.get("brokers", []))


def _require_broker(settings: ConnectionSettings, described: dict[str, Any], broker_id: int | None) -> None:
    ids = _broker_ids(described)
    if broker_id is not None and broker_id not in ids:
        listed = ", ".join(str(i) for i in ids) or "none"
        raise KafkaNotFound(
            f"Broker {broker_id} is not part of {_where(settings)} (its brokers: {listed}); "
            "it may have been removed — pick one from the cluster overview."
        )


def _resource_error(
    settings: ConnectionSettings, code: int, message: str | None, label: str, doing: str, field: str | None
) -> GatewayError:
    name = kafka_errors.for_code(code).__name__
    detail = message or getattr(kafka_errors.for_code(code), "description", "") or name
    if code in _REJECTED_CODES:
        return KafkaRejected(f"{label.capitalize()} rejected the change: {detail}", field=field)
    if code in _AUTH_CODES:
        return KafkaAuthFailed(
            f"{_where(settings)} denied {doing}: the configured user lacks the ALTER_CONFIGS / "
            f"DESCRIBE_CONFIGS permission on the cluster ({detail})."
        )
    return KafkaRequestFailed(f"{label.capitalize()} of {_where(settings)} failed while {doing}: {detail} ({name}).")


def _describe_configs(
    admin: Any, settings: ConnectionSettings, broker_id: int | None, doing: str
) -> tuple[BrokerConfigEntry, ...]:
    request = DescribeConfigsRequest(
        resources=[(ConfigResourceType.BROKER, "" if broker_id is None else str(broker_id), None)],
        include_synonyms=True,
        min_version=1,
    )
    response = _send(admin, request, broker_id)
    entries: list[BrokerConfigEntry] = []
    for result in response.results:
        if result.error_code:
            raise _resource_error(
                settings, result.error_code, result.error_message, _broker_label(broker_id), doing, None
            )
        entries.extend(config_entry_from_raw(c.to_dict()) for c in result.configs)
    return tuple(sorted(entries, key=lambda e: e.name))


def broker_configs_describe(settings: ConnectionSettings, broker_id: int | None) -> tuple[BrokerConfigEntry, ...]:
    """All configs of one broker (with source, read-only flag and synonyms), or with
    `broker_id=None` the cluster-wide dynamic defaults that are set. Sensitive values
    are never returned. Raises KafkaNotFound for a broker the cluster does not have."""
    doing = f"reading the configs of {_broker_label(broker_id)}"
    with admins.admin(settings, doing) as admin:
        _require_broker(settings, _describe_cluster(admin), broker_id)
        return _describe_configs(admin, settings, broker_id, doing)


def _field_for(message: str, names: list[str]) -> str | None:
    """The config the broker's message is about: the longest name it mentions."""
    mentioned = [n for n in names if n in message]
    if mentioned:
        return max(mentioned, key=len)
    return names[0] if len(names) == 1 else None


def broker_configs_alter(
    settings: ConnectionSettings,
    broker_id: int | None,
    changes: Iterable[BrokerConfigChange],
    *,
    validate_only: bool,
) -> None:
    """Incrementally SET/DELETE dynamic configs of one broker (or the cluster-wide
    default when `broker_id` is None). With `validate_only` the broker checks the
    change and applies nothing. Raises KafkaRejected naming the config the broker
    refused, with the broker's own message."""
    changes = list(changes)
    verb = "validating" if validate_only else "changing"
    doing = f"{verb} the configs of {_broker_label(broker_id)}"
    entries = [(c.name, _OP_CODES[c.op], c.value if c.op == "SET" else None) for c in changes if c.op in _OP_CODES]
    request = IncrementalAlterConfigsRequest(
        resources=[(ConfigResourceType.BROKER, "" if broker_id is None else str(broker_id), entries)],
        validate_only=validate_only,
    )
    with admins.admin(settings, doing) as admin:
        _require_broker(settings, _describe_cluster(admin), broker_id)
        # A broker's own configs are changed through that broker; the default through any.
        response = _send(admin, request, broker_id)
    for result in response.responses:
        if result.error_code:
            message = result.error_message or ""
            field = _field_for(message, [c.name for c in changes])
            raise _resource_error(settings, result.error_code, message, _broker_label(broker_id), doing, field)


def _log_dirs(admin: Any, settings: ConnectionSettings, broker: dict[str, Any]) -> tuple[tuple[LogDirInfo, ...], str]:
    node_id = int(broker["broker_id"])
    doing = f"reading the log dirs of broker {node_id} ({broker['host']}:{broker['port']})"
    try:
        described = admin.describe_log_dirs(brokers=[node_id])
    except Exception as exc:  # one broker down must not hide what the others say
        return (), translate(exc, settings, doing).message
    dirs: list[LogDirInfo] = []
    for entry in described:
        for log_dir in entry.get("log_dirs", []):
            code = int(log_dir.get("error_code") or 0)
            size = count = 0
            for topic in log_dir.get("topics") or []:
                for p in topic.get("partitions") or []:
                    size += int(p.get("partition_size") or 0)
                    count += 1
            total = log_dir.get("total_bytes")
            usable = log_dir.get("usable_bytes")
            dirs.append(
                LogDirInfo(
                    path=str(log_dir.get("log_dir") or ""),
                    size_bytes=size,
                    partition_count=count,
                    total_bytes=int(total) if total is not None and int(total) >= 0 else None,
                    usable_bytes=int(usable) if usable is not None and int(usable) >= 0 else None,
                    error=kafka_errors.for_code(code).__name__ if code else "",
                )
            )
    return tuple(dirs), ""


def _replica(raw: dict[str, Any], leader_id: int, leader_leo: int | None, now_ms: int) -> QuorumReplica:
    leo = int(raw.get("log_end_offset", -1))
    fetch = raw.get("last_fetch_timestamp")
    caught_up = raw.get("last_caught_up_timestamp")
    fetch_ms = int(fetch) if fetch is not None and int(fetch) >= 0 else None
    caught_ms = int(caught_up) if caught_up is not None and int(caught_up) >= 0 else None
    return QuorumReplica(
        node_id=int(raw["replica_id"]),
        log_end_offset=leo,
        lag=max(0, leader_leo - leo) if leader_leo is not None and leo >= 0 else None,
        last_fetch_ms=fetch_ms,
        last_caught_up_ms=caught_ms,
        caught_up_ago_ms=max(0, now_ms - caught_ms) if caught_ms is not None else None,
        is_leader=int(raw["replica_id"]) == leader_id,
    )


def quorum_from_raw(raw: dict[str, Any], now_ms: int) -> MetadataQuorum:
    """The metadata quorum from a DescribeQuorum answer; lag is measured against
    the leader's log end offset (as kafka-metadata-quorum does)."""
    partition = raw["topics"][0]["partitions"][0]
    if partition.get("error"):
        raise KafkaRequestFailed(f"The metadata quorum answered with an error: {partition['error']}.")
    leader_id = int(partition["leader_id"])
    voters_raw = partition.get("current_voters") or []
    leader_leo = next(
        (int(v["log_end_offset"]) for v in voters_raw if int(v["replica_id"]) == leader_id),
        int(partition.get("high_watermark", -1)),
    )
    return MetadataQuorum(
        leader_id=leader_id,
        leader_epoch=int(partition.get("leader_epoch", -1)),
        high_watermark=int(partition.get("high_watermark", -1)),
        voters=tuple(_replica(v, leader_id, leader_leo, now_ms) for v in voters_raw),
        observers=tuple(_replica(o, leader_id, leader_leo, now_ms) for o in partition.get("observers") or []),
    )


def features_from_raw(raw: dict[str, dict[str, Any]]) -> tuple[FeatureLevel, ...]:
    """Supported and finalized feature levels, by name."""
    levels = []
    for name, info in sorted(raw.items()):
        supported = info.get("supported") or (None, None)
        finalized = info.get("finalized") or (None, None)
        levels.append(
            FeatureLevel(
                name=name,
                supported_min=supported[0],
                supported_max=supported[1],
                finalized_min=finalized[0],
                finalized_max=finalized[1],
            )
        )
    return tuple(levels)


def cluster_overview(settings: ConnectionSettings) -> ClusterOverview:
    """Brokers with log-dir sizes (DescribeLogDirs per broker) and leader counts
    (Metadata), the KRaft metadata quorum and the feature levels, read live.

    A broker that does not answer DescribeLogDirs is reported with `log_dirs_error`
    and the others are still shown; an older (ZooKeeper) cluster without a quorum
    gets `quorum_error`. Raises only when the cluster itself cannot be described."""
    with admins.admin(settings, "describing the cluster") as admin:
        start = time.perf_counter()
        described = _describe_cluster(admin)
        rtt = elapsed_ms(start)
        controller = described.get("controller_id")
        controller_id = int(controller) if controller is not None and int(controller) >= 0 else None
        leaders: dict[int, int] = {}
        leaders_error = ""
        try:
            for topic in admin.describe_topics():
                for p in topic.get("partitions") or []:
                    leader = int(p.get("leader_id", -1))
                    if leader >= 0:
                        leaders[leader] = leaders.get(leader, 0) + 1
        except Exception as exc:
            leaders_error = translate(exc, settings, "counting partition leaders").message
        brokers = []
        for b in sorted(described.get("brokers", []), key=lambda b: int(b["broker_id"])):
            dirs, error = _log_dirs(admin, settings, b)
            node_id = int(b["broker_id"])
            brokers.append(
                BrokerOverview(
                    node_id=node_id,
                    host=str(b["host"]),
                    port=int(b["port"]),
                    rack=b.get("rack"),
                    is_controller=node_id == controller_id,
                    fenced=bool(b.get("is_fenced")),
                    leader_count=leaders.get(node_id, 0),
                    size_bytes=None if error else sum(d.size_bytes for d in dirs),
                    partition_count=None if error else sum(d.partition_count for d in dirs),
                    log_dirs=dirs,
                    log_dirs_error=error,
                )
            )
        quorum: MetadataQuorum | None = None
        quorum_error = ""
        try:
            quorum = quorum_from_raw(admin.describe_metadata_quorum(), int(time.time() * 1000))
        except GatewayError as exc:
            quorum_error = exc.message
        except Exception as exc:
            quorum_error = translate(exc, settings, "describing the KRaft metadata quorum").message
        features: tuple[FeatureLevel, ...] = ()
        features_error = ""
        try:
            features = features_from_raw(admin.describe_features())
        except Exception as exc:
            features_error = translate(exc, settings, "reading the feature levels").message
    return ClusterOverview(
        cluster_id=str(described.get("cluster_id") or ""),
        controller_id=controller_id,
        brokers=tuple(brokers),
        quorum=quorum,
        quorum_error=quorum_error,
        features=features,
        features_error=features_error,
        leaders_error=leaders_error,
        round_trip_ms=rtt,
    )


def broker_ids(settings: ConnectionSettings) -> tuple[int, ...]:
    """The ids of the cluster's brokers right now (controller first when it is one)."""
    with admins.admin(settings, "listing the brokers") as admin:
        described = _describe_cluster(admin)
    ids = _broker_ids(described)
    controller = described.get("controller_id")
    return tuple(sorted(ids, key=lambda i: (i != controller, i)))
