"""Plain dataclasses the gateway returns; no kafka-python object leaves the gateway."""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

SECURITY_PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
SASL_MECHANISMS = ("PLAIN", "SCRAM-SHA-256", "SCRAM-SHA-512")


@dataclass(frozen=True)
class ConnectionSettings:
    """How to reach one cluster: typed fields only, never raw client properties."""

    name: str
    bootstrap_servers: tuple[str, ...]
    # Stable identity for the connection cache, e.g. "cluster:3"; empty for unsaved settings.
    ident: str = ""
    security_protocol: str = "PLAINTEXT"
    sasl_mechanism: str = ""
    username: str = ""
    password: str = field(default="", repr=False)
    ca_certificate: str = field(default="", repr=False)
    request_timeout_ms: int = 5000
    bootstrap_timeout_ms: int = 5000

    def cache_key(self) -> str:
        """A digest of every setting, so a changed cluster gets a new connection."""
        raw = "\x00".join(
            [
                self.name,
                ",".join(self.bootstrap_servers),
                self.security_protocol,
                self.sasl_mechanism,
                self.username,
                self.password,
                self.ca_certificate,
                str(self.request_timeout_ms),
                str(self.bootstrap_timeout_ms),
            ]
        )
        return hashlib.sha256(raw.encode()).hexdigest()

    @property
    def uses_sasl(self) -> bool:
        return self.security_protocol.startswith("SASL_")

    @property
    def uses_tls(self) -> bool:
        return self.security_protocol in ("SSL", "SASL_SSL")


@dataclass(frozen=True)
class BrokerInfo:
    node_id: int
    host: str
    port: int
    rack: str | None = None


@dataclass(frozen=True)
class ApiVersionRange:
    api_key: int
    name: str
    min_version: int
    max_version: int


@dataclass(frozen=True)
class ConnectionReport:
    """What "test connection" learned about a cluster."""

    cluster_id: str
    controller_id: int | None
    brokers: tuple[BrokerInfo, ...]
    api_versions: tuple[ApiVersionRange, ...]
    round_trip_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ClusterHealth:
    """One look at a cluster: enough for the cluster list."""

    cluster_id: str
    controller_id: int | None
    brokers: tuple[BrokerInfo, ...]
    topic_count: int
    partition_count: int
    under_replicated_partitions: int
    offline_partitions: int
    round_trip_ms: float

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class TopicSummary:
    """One topic as the snapshot stores it."""

    name: str
    internal: bool
    partition_count: int
    replication_factor: int
    size_bytes: int | None
    under_replicated: int
    offline: int


@dataclass(frozen=True)
class ClusterSnapshot:
    """What one poll learns: health plus a summary of every topic."""

    health: ClusterHealth
    topics: tuple[TopicSummary, ...]
    # Brokers whose log-dir sizes could not be read this time (sizes then partial).
    size_errors: tuple[str, ...] = ()
    # Log end offset and size of every partition (for throughput from deltas between polls).
    end_offsets: dict[tuple[str, int], int] = field(default_factory=dict)
    partition_sizes: dict[tuple[str, int], int] = field(default_factory=dict)
    offset_errors: tuple[str, ...] = ()
