"""Cluster-level reads: test a connection, describe brokers, take a health look."""

from __future__ import annotations

import contextlib
import time
from collections import defaultdict
from typing import Any

from kafka.protocol.api_key import ApiKey

from clusters.gateway.connection import admins, elapsed_ms, open_admin, translate
from clusters.gateway.errors import GatewayError
from clusters.gateway.types import (
    ApiVersionRange,
    BrokerInfo,
    ClusterHealth,
    ClusterSnapshot,
    ConnectionReport,
    ConnectionSettings,
    TopicSummary,
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


def _log_dir_sizes(admin: Any, brokers: tuple[BrokerInfo, ...]) -> tuple[dict[tuple[str, int], int], list[str]]:
    """Largest replica size per (topic, partition) over all brokers that answered."""
    sizes: dict[tuple[str, int], int] = {}
    errors: list[str] = []
    for broker in brokers:
        try:
            described = admin.describe_log_dirs(brokers=[broker.node_id])
        except Exception as exc:  # one broker down must not hide the others' sizes
            errors.append(f"broker {broker.node_id}: {exc}")
            continue
        for entry in described:
            for log_dir in entry.get("log_dirs", []):
                if log_dir.get("error_code", 0):
                    code = log_dir["error_code"]
                    errors.append(f"broker {broker.node_id} log dir {log_dir.get('log_dir')}: error {code}")
                    continue
                for topic in log_dir.get("topics", []):
                    for p in topic.get("partitions", []):
                        key = (topic["name"], int(p["partition_index"]))
                        sizes[key] = max(sizes.get(key, 0), int(p.get("partition_size", 0)))
    return sizes, errors


def _end_offsets(admin: Any, topics: list[dict[str, Any]]) -> tuple[dict[tuple[str, int], int], list[str]]:
    """Log end offset of every partition: one ListOffsets per leader, all in flight at once."""
    from kafka.protocol.consumer import OffsetSpec

    from clusters.gateway.groups import list_offsets_request, offsets_from

    by_leader: dict[int, list[tuple[str, int]]] = defaultdict(list)
    for topic in topics:
        for p in topic.get("partitions") or []:
            leader = p.get("leader_id", -1)
            if leader is not None and leader >= 0:
                by_leader[int(leader)].append((str(topic["name"]), int(p["partition_index"])))

    async def fetch() -> tuple[dict[tuple[str, int], int], list[str]]:
        pending = {
            leader: admin._manager.send(list_offsets_request(tps, OffsetSpec.LATEST), node_id=leader)
            for leader, tps in by_leader.items()
        }
        offsets: dict[tuple[str, int], int] = {}
        errors: list[str] = []
        for leader, future in pending.items():
            try:
                response = await future
            except Exception as exc:  # one leader down must not hide the others' offsets
                errors.append(f"broker {leader}: {exc}")
                continue
            found, _failed = offsets_from(response)
            offsets.update(found)
        return offsets, errors

    if not by_leader:
        return {}, []
    result: tuple[dict[tuple[str, int], int], list[str]] = admin._manager.run(fetch)
    return result


def cluster_snapshot(settings: ConnectionSettings) -> ClusterSnapshot:
    """Health and a per-topic summary (partitions, replication, replica health, size)
    in one pass: Metadata for all topics, DescribeCluster, DescribeLogDirs per broker."""
    with admins.admin(settings, "taking a cluster snapshot") as admin:
        start = time.perf_counter()
        described = admin.describe_cluster()
        rtt = elapsed_ms(start)
        topics = admin.describe_topics()
        brokers = _brokers(described)
        sizes, size_errors = _log_dir_sizes(admin, brokers)
        end_offsets, offset_errors = _end_offsets(admin, topics)
    summaries = []
    total_partitions = total_urp = total_offline = 0
    for topic in topics:
        partitions = topic.get("partitions") or []
        rf = urp = offline = 0
        size = 0
        for p in partitions:
            replicas = p.get("replica_nodes") or []
            isr = p.get("isr_nodes") or []
            rf = max(rf, len(replicas))
            if len(isr) < len(replicas):
                urp += 1
            if p.get("leader_id", -1) in (-1, None):
                offline += 1
            size += sizes.get((topic["name"], int(p["partition_index"])), 0)
        total_partitions += len(partitions)
        total_urp += urp
        total_offline += offline
        summaries.append(
            TopicSummary(
                name=str(topic["name"]),
                internal=bool(topic.get("is_internal")),
                partition_count=len(partitions),
                replication_factor=rf,
                # No broker answered DescribeLogDirs: the size is unknown, not zero.
                size_bytes=size if sizes or not size_errors else None,
                under_replicated=urp,
                offline=offline,
            )
        )
    health = ClusterHealth(
        cluster_id=str(described.get("cluster_id") or ""),
        controller_id=_controller(described),
        brokers=brokers,
        topic_count=len(topics),
        partition_count=total_partitions,
        under_replicated_partitions=total_urp,
        offline_partitions=total_offline,
        round_trip_ms=rtt,
    )
    return ClusterSnapshot(
        health=health,
        topics=tuple(summaries),
        size_errors=tuple(size_errors),
        end_offsets=end_offsets,
        partition_sizes=sizes,
        offset_errors=tuple(offset_errors),
    )


def cluster_health(settings: ConnectionSettings) -> ClusterHealth:
    """Brokers, controller, topic and partition counts and replica health."""
    return cluster_snapshot(settings).health
