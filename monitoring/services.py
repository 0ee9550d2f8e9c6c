"""Polling a cluster: take a snapshot through the gateway, store it, push it."""

from __future__ import annotations

import heapq
import json
import logging
import os
import socket
import threading
import time
from dataclasses import dataclass
from typing import Any

import redis

from clusters import gateway
from clusters.models import Cluster, ClusterStatus
from clusters.services import cluster_status_record
from consumer_groups.models import GroupMeta
from consumer_groups.snapshot import GroupSnapshotStats, group_snapshot_take
from monitoring import events
from monitoring.broker_metrics import UNITS as BROKER_UNITS
from monitoring.broker_metrics import BrokerMetricsOutcome, broker_metrics_poll
from monitoring.rates import TopicRates, redis_client, topic_rates_update
from monitoring.series import KEY_MAX, series_record
from topics.models import TopicMeta
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
    started_at = time.time()
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
    at = time.time()
    values = _series_values(rates=rates, groups=groups, brokers=brokers, reachable=snapshot is not None)
    values[("cluster.poll_duration_ms", "")] = duration_ms
    try:
        series_record(cluster_id=cluster.pk, at=at, values=values, units={**UNITS, **BROKER_UNITS})
    except Exception as exc:  # history is secondary: the poll's snapshot is already stored
        log.warning("Metric history of cluster %s not recorded this poll: %s", cluster.name, exc)
    event = status.as_event()
    if rates is not None:
        event["messages_in_per_s"] = rates.cluster_messages_per_s
        event["bytes_in_per_s"] = rates.cluster_bytes_per_s
    event["bytes_out_per_s"] = values.get(("cluster.bytes_out_per_s", ""))
    event["groups_error"] = groups_error
    events.send_many(
        [
            (events.cluster_group(cluster.pk), "cluster.status", event),
            *live_points(cluster=cluster, at=at, values=values, rates=rates, groups=groups, reachable=status.reachable),
        ]
    )
    poll_journal_add(
        cluster_id=cluster.pk,
        started=started_at,
        finished=time.time(),
        outcome="ok" if status.reachable else "unreachable",
        error=error or groups_error,
    )
    return PollOutcome(
        status=status, topics=diff, groups=groups, groups_error=groups_error, rates=rates, brokers=brokers
    )


POLL_JOURNAL_LENGTH = 200


def _journal_key(cluster_id: int) -> str:
    return f"signalbox:polls:{cluster_id}"


def poll_journal_add(*, cluster_id: int, started: float, finished: float, outcome: str, error: str = "") -> None:
    """Keep the last POLL_JOURNAL_LENGTH polls of a cluster (start, end, outcome, who
    ran it) in Redis: what "recent polls" shows and how overlapping polls would show."""
    entry = {
        "started": round(started, 3),
        "finished": round(finished, 3),
        "duration_ms": round((finished - started) * 1000, 1),
        "outcome": outcome,
        "error": error[:500],
        "worker": f"{socket.gethostname()}:{os.getpid()}:{threading.get_ident()}",
    }
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.lpush(_journal_key(cluster_id), json.dumps(entry))
        pipe.ltrim(_journal_key(cluster_id), 0, POLL_JOURNAL_LENGTH - 1)
        pipe.expire(_journal_key(cluster_id), 7 * 24 * 3600)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("Poll of cluster %s not journaled: %s", cluster_id, exc)


def poll_journal(*, cluster_id: int, limit: int = POLL_JOURNAL_LENGTH) -> list[dict[str, Any]]:
    """The cluster's most recent polls, newest first. Redis down: an empty list."""
    try:
        raw: list[bytes] = redis_client().lrange(_journal_key(cluster_id), 0, limit - 1)  # type: ignore[assignment]
    except redis.RedisError as exc:
        log.warning("Poll journal of cluster %s unreadable: %s", cluster_id, exc)
        return []
    return [json.loads(item) for item in raw]


UNITS = {
    "cluster.messages_in_per_s": "messages/s",
    "cluster.bytes_in_per_s": "bytes/s",
    "topic.messages_per_s": "messages/s",
    "topic.bytes_per_s": "bytes/s",
    "group.lag": "messages",
    "group.lag_seconds": "s",
    "group.topic_lag": "messages",
    "group.topic_lag_seconds": "s",
    "cluster.bytes_out_per_s": "bytes/s",
    "cluster.groups_by_status": "groups",
    "cluster.poll_duration_ms": "ms",
}
GROUP_STATUSES = ("OK", "WARN", "ERR", "UNKNOWN")


def topic_lag_key(topic: str, group_id: str) -> str:
    """The key of a group's per-topic series: topic names cannot hold "@", so the
    first "@" always separates the two."""
    return f"{topic}@{group_id}"


def _series_values(
    *,
    rates: TopicRates | None,
    groups: GroupSnapshotStats | None,
    brokers: BrokerMetricsOutcome | None,
    reachable: bool,
) -> dict[tuple[str, str], float | None]:
    """This poll's derived values for the metric history. A failed poll still records
    (with no Kafka values) so charts show a gap, not a flat line."""
    values: dict[tuple[str, str], float | None] = {}
    if brokers is not None:
        values.update(brokers.values)  # scraped over HTTP: known even when Kafka's API is not
        out = [v for (kind, _url), v in brokers.values.items() if kind == "broker.bytes_out_per_s" and v is not None]
        values[("cluster.bytes_out_per_s", "")] = sum(out) if out else None
    if not reachable:
        return values
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
        for group_id, topic, lag, seconds in groups.topic_lags:
            key = topic_lag_key(topic, group_id)
            if len(key) <= KEY_MAX:  # longer keys do not fit the history; the totals still do
                values[("group.topic_lag", key)] = None if lag is None else float(lag)
                values[("group.topic_lag_seconds", key)] = seconds
        counts = dict.fromkeys(GROUP_STATUSES, 0.0)
        for _group_id, group_status in groups.statuses:
            counts[group_status if group_status in counts else "UNKNOWN"] += 1
        for group_status, count in counts.items():
            values[("cluster.groups_by_status", group_status)] = count
    return values


TOP_TOPICS = 10


def live_points(
    *,
    cluster: Cluster,
    at: float,
    values: dict[tuple[str, str], float | None],
    rates: TopicRates | None,
    groups: GroupSnapshotStats | None,
    reachable: bool,
) -> list[tuple[str, str, dict[str, Any]]]:
    """The new points of this poll, as events for the channel groups: every cluster-wide
    series to `cluster.<id>`; each watched topic's and group's series to its own group.
    A series a chart shows but this poll has no value for arrives as null: a gap."""
    by_kind: dict[str, dict[str, float | None]] = {}
    for (kind, key), value in values.items():
        if kind.startswith(("cluster.", "broker.")):
            by_kind.setdefault(kind, {})[key] = value
    for kind in ("cluster.messages_in_per_s", "cluster.bytes_in_per_s"):
        by_kind.setdefault(kind, {"": None})
    top: list[dict[str, Any]] = []
    if rates is not None:
        bytes_rates = rates.bytes_per_s
        for topic, rate in heapq.nlargest(TOP_TOPICS, rates.messages_per_s.items(), key=lambda kv: kv[1]):
            top.append({"topic": topic, "messages_per_s": rate, "bytes_per_s": bytes_rates.get(topic)})
    out: list[tuple[str, str, dict[str, Any]]] = [
        (
            events.cluster_group(cluster.pk),
            "cluster.points",
            {"cluster": cluster.pk, "at": at, "reachable": reachable, "series": by_kind, "top_topics": top},
        )
    ]
    watched = events.watched(cluster_id=cluster.pk, now=at)
    if watched["topic"]:
        for pk, name in TopicMeta.objects.filter(cluster=cluster, pk__in=watched["topic"]).values_list("pk", "name"):
            series = {
                "topic.messages_per_s": {name: values.get(("topic.messages_per_s", name))},
                "topic.bytes_per_s": {name: values.get(("topic.bytes_per_s", name))},
            }
            data = {"cluster": cluster.pk, "topic": name, "at": at, "reachable": reachable, "series": series}
            out.append((events.topic_group(pk), "topic.points", data))
    if watched["group"]:
        topics_of: dict[str, list[str]] = {}
        if groups is not None:
            for group_id, topic, _lag, _seconds in groups.topic_lags:
                topics_of.setdefault(group_id, []).append(topic)
        rows = GroupMeta.objects.filter(cluster=cluster, pk__in=watched["group"]).values_list(
            "pk", "group_id", "status", "status_reason", "total_lag", "max_lag_seconds", "members"
        )
        for pk, group_id, group_status, reason, total_lag, max_seconds, members in rows:
            keys = [topic_lag_key(t, group_id) for t in topics_of.get(group_id, [])]
            series = {
                "group.lag": {group_id: values.get(("group.lag", group_id))},
                "group.lag_seconds": {group_id: values.get(("group.lag_seconds", group_id))},
                "group.topic_lag": {k: values.get(("group.topic_lag", k)) for k in keys},
                "group.topic_lag_seconds": {k: values.get(("group.topic_lag_seconds", k)) for k in keys},
            }
            data = {
                "cluster": cluster.pk,
                "group": group_id,
                "at": at,
                "reachable": reachable,
                "status": group_status,
                "status_reason": reason,
                "total_lag": total_lag,
                "max_lag_seconds": max_seconds,
                "members": members,
                "series": series,
            }
            out.append((events.group_group(pk), "group.points", data))
    return out
