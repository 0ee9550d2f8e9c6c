"""Reads for the live pages and the metrics API: the cluster dashboard's summary and
the catalogue of series kinds."""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from django.db.models import Count

from clusters.models import Cluster
from consumer_groups.models import GroupMeta
from monitoring.broker_metrics import UNITS as BROKER_UNITS
from monitoring.series import series_latest
from monitoring.services import GROUP_STATUSES, TOP_TOPICS, UNITS
from topics.models import TopicMeta

KINDS: dict[str, str] = {**UNITS, **BROKER_UNITS}
RANGES = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 24 * 3600}

DESCRIPTIONS = {
    "cluster.messages_in_per_s": "Messages written to the cluster per second (from end-offset deltas).",
    "cluster.bytes_in_per_s": "Bytes written to the cluster per second (from log-size growth).",
    "cluster.bytes_out_per_s": "Bytes read from the brokers per second (broker metrics; needs metrics URLs).",
    "cluster.groups_by_status": "Number of consumer groups per lag status; keys OK, WARN, ERR, UNKNOWN.",
    "cluster.poll_duration_ms": "How long each poll of the cluster took.",
    "topic.messages_per_s": "Messages written per second; key: topic.",
    "topic.bytes_per_s": "Bytes written per second; key: topic.",
    "group.lag": "Total lag in messages; key: group id.",
    "group.lag_seconds": "Largest lag in seconds over the group's partitions; key: group id.",
    "group.topic_lag": "Lag in messages of one group on one topic; key: <topic>@<group id>.",
    "group.topic_lag_seconds": "Largest lag in seconds of one group on one topic; key: <topic>@<group id>.",
    "broker.bytes_in_per_s": "Bytes in per second per broker; key: metrics URL.",
    "broker.bytes_out_per_s": "Bytes out per second per broker; key: metrics URL.",
    "broker.messages_in_per_s": "Messages in per second per broker; key: metrics URL.",
    "broker.request_handler_idle_ratio": "Request handler idle ratio (1 = idle); key: metrics URL.",
    "broker.under_replicated_partitions": "Under-replicated partitions led by the broker; key: metrics URL.",
    "broker.active_controller_count": "1 on the active controller; key: metrics URL.",
    "broker.heap_used_bytes": "JVM heap in use; key: metrics URL.",
}


@dataclass(frozen=True)
class BrokerHealth:
    url: str
    idle_ratio: float | None
    under_replicated: float | None
    active_controller: float | None
    bytes_in_per_s: float | None
    bytes_out_per_s: float | None
    heap_used_bytes: float | None

    @property
    def busy(self) -> bool:
        # Below 30% idle request handlers a broker starts queueing requests.
        return self.idle_ratio is not None and self.idle_ratio < 0.3


@dataclass(frozen=True)
class Dashboard:
    top_topics: list[dict[str, Any]]  # topic, messages_per_s, size_bytes
    groups_by_status: dict[str, int]
    groups_total: int
    brokers: list[BrokerHealth]
    checked_at: datetime | None
    reachable: bool
    stale_since: datetime | None

    def as_dict(self) -> dict[str, Any]:
        out = asdict(self)
        out["brokers"] = [asdict(b) for b in self.brokers]
        return out


def dashboard(*, cluster: Cluster) -> Dashboard:
    """What the cluster dashboard shows before live points arrive: top topics by the
    latest poll's messages/s, groups per lag status, broker health from the latest
    scrape and how fresh it all is."""
    top = list(
        TopicMeta.objects.filter(cluster=cluster, messages_per_s__isnull=False)
        .order_by("-messages_per_s", "name")
        .values("name", "messages_per_s", "size_bytes")[:TOP_TOPICS]
    )
    counts = dict.fromkeys(GROUP_STATUSES, 0)
    for row in GroupMeta.objects.filter(cluster=cluster).values("status").annotate(n=Count("id")):
        counts[row["status"] if row["status"] in counts else "UNKNOWN"] += row["n"]
    brokers: list[BrokerHealth] = []
    if cluster.metrics_urls:
        latest = {kind: series_latest(cluster_id=cluster.pk, kind=kind) for kind in BROKER_UNITS}
        for url in cluster.metrics_urls:
            brokers.append(
                BrokerHealth(
                    url=url,
                    idle_ratio=latest["broker.request_handler_idle_ratio"].get(url),
                    under_replicated=latest["broker.under_replicated_partitions"].get(url),
                    active_controller=latest["broker.active_controller_count"].get(url),
                    bytes_in_per_s=latest["broker.bytes_in_per_s"].get(url),
                    bytes_out_per_s=latest["broker.bytes_out_per_s"].get(url),
                    heap_used_bytes=latest["broker.heap_used_bytes"].get(url),
                )
            )
    status = getattr(cluster, "status", None)
    reachable = bool(status and status.reachable)
    return Dashboard(
        top_topics=[
            {"topic": t["name"], "messages_per_s": t["messages_per_s"], "size_bytes": t["size_bytes"]} for t in top
        ],
        groups_by_status=counts,
        groups_total=sum(counts.values()),
        brokers=brokers,
        checked_at=status.checked_at if status else None,
        reachable=reachable,
        stale_since=status.last_ok_at if status and not reachable else None,
    )


def since_for(span: str) -> float:
    return time.time() - RANGES[span]
