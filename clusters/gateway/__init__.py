"""The only package that imports kafka-python. It takes ConnectionSettings, returns
plain dataclasses and raises GatewayError subclasses with messages a person can act on."""

from clusters.gateway import groups, topics
from clusters.gateway.cluster import cluster_health, cluster_snapshot, connection_test
from clusters.gateway.connection import admins
from clusters.gateway.errors import (
    GatewayError,
    KafkaAuthFailed,
    KafkaConfigInvalid,
    KafkaNotFound,
    KafkaRejected,
    KafkaRequestFailed,
    KafkaTimeout,
    KafkaUnreachable,
)
from clusters.gateway.groups import (
    GroupDescription,
    GroupMember,
    LagSnapshot,
    RequestCount,
    group_describe,
    groups_describe,
    lag_snapshot,
)
from clusters.gateway.messages import (
    ProducedRecord,
    RawMessage,
    ScanResult,
    ScanStart,
    message_produce,
    messages_scan,
    messages_tail,
)
from clusters.gateway.topics import (
    PartitionInfo,
    TopicConfig,
    TopicCreated,
    TopicDescription,
    TopicGroupOffsets,
    TopicGroups,
)
from clusters.gateway.types import (
    SASL_MECHANISMS,
    SECURITY_PROTOCOLS,
    ApiVersionRange,
    BrokerInfo,
    ClusterHealth,
    ClusterSnapshot,
    ConnectionReport,
    ConnectionSettings,
    TopicSummary,
)

__all__ = [
    "SASL_MECHANISMS",
    "SECURITY_PROTOCOLS",
    "ApiVersionRange",
    "BrokerInfo",
    "ClusterHealth",
    "ClusterSnapshot",
    "ConnectionReport",
    "ConnectionSettings",
    "GatewayError",
    "GroupDescription",
    "GroupMember",
    "KafkaAuthFailed",
    "KafkaConfigInvalid",
    "KafkaNotFound",
    "KafkaRejected",
    "KafkaRequestFailed",
    "KafkaTimeout",
    "KafkaUnreachable",
    "LagSnapshot",
    "PartitionInfo",
    "ProducedRecord",
    "RawMessage",
    "RequestCount",
    "ScanResult",
    "ScanStart",
    "TopicConfig",
    "TopicCreated",
    "TopicDescription",
    "TopicGroupOffsets",
    "TopicGroups",
    "TopicSummary",
    "admins",
    "cluster_health",
    "cluster_snapshot",
    "connection_test",
    "group_describe",
    "groups",
    "groups_describe",
    "lag_snapshot",
    "message_produce",
    "messages_scan",
    "messages_tail",
    "topics",
]

# Group changes (offset reset, group delete, offsets delete): engineer G.
from clusters.gateway import group_admin
from clusters.gateway.group_admin import GroupPositions, KafkaGroupActive

__all__ += ["GroupPositions", "KafkaGroupActive", "group_admin"]

# Broker metrics over HTTP from each broker's Prometheus JMX exporter: engineer I.
from clusters.gateway import metrics  # noqa: E402 - appended after the __all__ above
from clusters.gateway.metrics import BrokerMetrics, MetricsScrape, ScrapeError, broker_metrics_scrape  # noqa: E402

__all__ += ["BrokerMetrics", "MetricsScrape", "ScrapeError", "broker_metrics_scrape", "metrics"]
