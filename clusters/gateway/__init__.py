"""The only package that imports kafka-python. It takes ConnectionSettings, returns
plain dataclasses and raises GatewayError subclasses with messages a person can act on."""

from clusters.gateway.cluster import cluster_health, connection_test
from clusters.gateway.connection import admins
from clusters.gateway.errors import (
    GatewayError,
    KafkaAuthFailed,
    KafkaConfigInvalid,
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
    ConnectionReport,
    ConnectionSettings,
)

__all__ = [
    "SASL_MECHANISMS",
    "SECURITY_PROTOCOLS",
    "ApiVersionRange",
    "BrokerInfo",
    "ClusterHealth",
    "ConnectionReport",
    "ConnectionSettings",
    "GatewayError",
    "KafkaAuthFailed",
    "KafkaConfigInvalid",
    "KafkaRequestFailed",
    "KafkaTimeout",
    "KafkaUnreachable",
    "admins",
    "cluster_health",
    "connection_test",
]
