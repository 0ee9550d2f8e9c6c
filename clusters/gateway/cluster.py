"""Cluster-level reads: test a connection, describe brokers, take a health look."""

from __future__ import annotations

import contextlib
import time
from typing import Any

from kafka.protocol.api_key import ApiKey

from clusters.gateway.connection import admins, elapsed_ms, open_admin, translate
from clusters.gateway.errors import GatewayError
from clusters.gateway.types import (
    ApiVersionRange,
    BrokerInfo,
    ClusterHealth,
    ConnectionReport,
    ConnectionSettings,
)


def _brokers(described: dict[str, Any]) -> tuple[BrokerInfo, ...]:
    return tuple(
        sorted(
            (
                BrokerInfo(
                    node_id=int(b["broker_id"]),
                    host=str(b["host"]),
                    port=int(b["port"]),
                    rack=b.get("rack"),
                )
                for b in described.get("brokers", [])
            ),
            key=lambda b: b.node_id,
        )
    )


def _controller(described: dict[str, Any]) -> int | None:
    controller = described.get("controller_id")
    return int(controller) if controller is not None and int(controller) >= 0 else None


def _api_name(key: int) -> str:
    try:
        return ApiKey(key).name
    except ValueError:
        return f"Unknown({key})"


def connection_test(settings: ConnectionSettings) -> ConnectionReport:
    """Connect with these (possibly unsaved) settings on a fresh client and report
    the cluster id, brokers, controller, supported API versions and round trip.

    Raises a GatewayError naming the exact reason when it fails.
    """
    admin = open_admin(settings)
    try:
        start = time.perf_counter()
        described = admin.describe_cluster()
        rtt = elapsed_ms(start)
        versions = admin.api_versions()
    except GatewayError:
        raise
    except Exception as exc:
        raise translate(exc, settings, "describing the cluster") from None
    finally:
        with contextlib.suppress(Exception):
            admin.close()
    api_versions = tuple(
        ApiVersionRange(api_key=int(key), name=_api_name(int(key)), min_version=int(v[0]), max_version=int(v[1]))
        for key, v in sorted(versions.items(), key=lambda kv: int(kv[0]))
    )
    return ConnectionReport(
        cluster_id=str(described.get("cluster_id") or ""),
        controller_id=_controller(described),
        brokers=_brokers(described),
        api_versions=api_versions,
        round_trip_ms=rtt,
    )


def cluster_health(settings: ConnectionSettings) -> ClusterHealth:
    """Brokers, controller, topic and partition counts and replica health, from the
    cached admin connection of this cluster."""
    with admins.admin(settings, "reading cluster health") as admin:
        start = time.perf_counter()
        described = admin.describe_cluster()
        rtt = elapsed_ms(start)
        topics = admin.describe_topics()
    partitions = 0
    under_replicated = 0
    offline = 0
    for topic in topics:
        for partition in topic.get("partitions", []):
            partitions += 1
            replicas = partition.get("replica_nodes") or partition.get("replicas") or []
            isr = partition.get("isr_nodes") or partition.get("isr") or []
            if len(isr) < len(replicas):
                under_replicated += 1
            if partition.get("leader_id", partition.get("leader", -1)) in (-1, None):
                offline += 1
    return ClusterHealth(
        cluster_id=str(described.get("cluster_id") or ""),
        controller_id=_controller(described),
        brokers=_brokers(described),
        topic_count=len(topics),
        partition_count=partitions,
        under_replicated_partitions=under_replicated,
        offline_partitions=offline,
        round_trip_ms=rtt,
    )
