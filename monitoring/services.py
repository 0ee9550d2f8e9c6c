"""Polling a cluster: take a snapshot through the gateway, store it, push it."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

import redis

from clusters import gateway
from clusters.models import Cluster, ClusterStatus
from clusters.services import cluster_status_record
from consumer_groups.snapshot import GroupSnapshotStats, group_snapshot_take
from monitoring import events
from monitoring.broker_metrics import UNITS as BROKER_UNITS
from monitoring.broker_metrics import BrokerMetricsOutcome, broker_metrics_poll
from monitoring.rates import TopicRates, topic_rates_update
from monitoring.series import series_record
from topics.snapshot import SnapshotDiff, topic_rates_store, topic_snapshot_store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class PollOutcome:
    status: ClusterStatus
    topics: SnapshotDiff | None  # None when the cluster could not be reached
    groups: GroupSnapshotStats | None = None  # None when the lag snapshot failed
    groups_error: str = ""
    rates: TopicRates | None = None
    brokers: BrokerMetricsOutcome | None = None  # None when the cluster has no metrics URLs


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
        except redis.RedisError as exc:  # the offset history lives in Redis
            groups_error = f"Lag could not be evaluated: Redis did not answer ({exc})."
            log.warning("Lag snapshot of cluster %s failed: %s", cluster.name, groups_error)
    duration_ms = round((time.perf_counter() - start) * 1000, 2)
    status = cluster_status_record(
        cluster=cluster, health=snapshot.health if snapshot else None, error=error, duration_ms=duration_ms
    )
    brokers = broker_metrics_poll(cluster=cluster)
    _record_series(
        cluster=cluster, at=time.time(), rates=rates, groups=groups, brokers=brokers, reachable=snapshot is not None
    )
    event = status.as_event()
    if rates is not None:
        event["messages_in_per_s"] = rates.cluster_messages_per_s
        event["bytes_in_per_s"] = rates.cluster_bytes_per_s
    events.send(events.cluster_group(cluster.pk), "cluster.status", event)
    return PollOutcome(
        status=status, topics=diff, groups=groups, groups_error=groups_error, rates=rates, brokers=brokers
    )


UNITS = {
    "cluster.messages_in_per_s": "messages/s",
    "cluster.bytes_in_per_s": "bytes/s",
    "topic.messages_per_s": "messages/s",
    "topic.bytes_per_s": "bytes/s",
    "group.lag": "messages",
    "group.lag_seconds": "s",
}


def _record_series(
    *,
    cluster: Cluster,
    at: float,
    rates: TopicRates | None,
    groups: GroupSnapshotStats | None,
    brokers: BrokerMetricsOutcome | None,
    reachable: bool,
) -> None:
    """Append this poll's derived values to the metric history. A failed poll is still
    recorded (with no values) so charts show a gap, not a flat line."""
    values: dict[tuple[str, str], float | None] = {}
    if rates is not None:
        values[("cluster.messages_in_per_s", "")] = rates.cluster_messages_per_s
        values[("cluster.bytes_in_per_s", "")] = rates.cluster_bytes_per_s
        for topic, rate in rates.messages_per_s.items():
            values[("topic.messages_per_s", topic)] = rate
        for topic, rate in rates.bytes_per_s.items():
            values[("topic.bytes_per_s", topic)] = rate
    if groups is not None:
        for group_id, lag, seconds in groups.lags:
            values[("group.lag", group_id)] = None if lag is None else float(lag)
            values[("group.lag_seconds", group_id)] = seconds
    if brokers is not None:
        values.update(brokers.values)  # scraped over HTTP: known even when Kafka's API is not
    if not reachable:
        values = brokers.values if brokers is not None else {}
    try:
        series_record(cluster_id=cluster.pk, at=at, values=values, units={**UNITS, **BROKER_UNITS})
    except Exception as exc:  # history is secondary: the poll's snapshot is already stored
        log.warning("Metric history of cluster %s not recorded this poll: %s", cluster.name, exc)
