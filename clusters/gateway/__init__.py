"""The only package that imports kafka-python. It takes ConnectionSettings, returns
plain dataclasses and raises GatewayError subclasses with messages a person can act on."""

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
    "TopicSummary",
    "GatewayError",
    "KafkaAuthFailed",
    "KafkaConfigInvalid",
    "KafkaNotFound",
    "KafkaRejected",
    "KafkaRequestFailed",
    "KafkaTimeout",
    "KafkaUnreachable",
    "admins",
    "cluster_health",
    "cluster_snapshot",
    "connection_test",
]
