"""Polling a cluster: take a snapshot through the gateway, store it, push it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from clusters import gateway
from clusters.models import Cluster, ClusterStatus
from clusters.services import cluster_status_record
from consumer_groups.snapshot import GroupSnapshotStats, group_snapshot_take
from monitoring import events
from monitoring.rates import TopicRates, topic_rates_update
from topics.snapshot import SnapshotDiff, topic_rates_store, topic_snapshot_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    status: ClusterStatus
    topics: SnapshotDiff | None  # None when the cluster could not be reached
    groups: GroupSnapshotStats | None = None  # None when the lag snapshot failed
    groups_error: str = ""
    rates: TopicRates | None = None


def cluster_poll(*, cluster: Cluster) -> PollOutcome:
    """Poll one cluster: health and topic summaries, stored (topics only where they
    changed) and pushed to `cluster.<id>`. An unreachable cluster is a normal
    outcome: recorded with its reason, last known values kept, pushed, not raised."""
    start = time.perf_counter()
    snapshot: gateway.ClusterSnapshot | None = None
    error = ""
    try:
        snapshot = gateway.cluster_snapshot(cluster.connection())
    except gateway.GatewayError as exc:
        error = exc.message
        log.warning("Poll of cluster %s failed: %s", cluster.name, error)
    diff = topic_snapshot_store(cluster=cluster, topics=snapshot.topics) if snapshot else None
    rates: TopicRates | None = None
    if snapshot is not None:
        rates = topic_rates_update(
            cluster_id=cluster.pk, now=time.time(), end_offsets=snapshot.end_offsets, sizes=snapshot.partition_sizes
        )
        topic_rates_store(cluster=cluster, messages_per_s=rates.messages_per_s)
    groups: GroupSnapshotStats | None = None
    groups_error = ""
    if snapshot is not None:
        try:
            groups = group_snapshot_take(cluster=cluster)
        except gateway.GatewayError as exc:  # groups stay as last stored, marked by the status
            groups_error = exc.message
            log.warning("Lag snapshot of cluster %s failed: %s", cluster.name, groups_error)
    duration_ms = round((time.perf_counter() - start) * 1000, 2)
    status = cluster_status_record(
        cluster=cluster, health=snapshot.health if snapshot else None, error=error, duration_ms=duration_ms
    )
    event = status.as_event()
    if rates is not None:
        event["messages_in_per_s"] = rates.cluster_messages_per_s
        event["bytes_in_per_s"] = rates.cluster_bytes_per_s
    events.send(events.cluster_group(cluster.pk), "cluster.status", event)
    return PollOutcome(status=status, topics=diff, groups=groups, groups_error=groups_error, rates=rates)
