"""Chart specifications for the live pages: which series each chart shows, in which
unit, and what its empty state says. Rendered by `{% live_chart %}`; drawn and kept
live by static/js/charts.js."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from clusters.models import Cluster
from monitoring.services import GROUP_STATUSES, topic_lag_key


@dataclass(frozen=True)
class Trace:
    kind: str
    key: str
    name: str
    color: str = ""  # empty: Plotly's palette


STATUS_COLORS = {"OK": "#1e8e3e", "WARN": "#e37400", "ERR": "#d93025", "UNKNOWN": "#9aa0a6"}


@dataclass(frozen=True)
class ChartSpec:
    cluster_id: int
    slug: str  # unique on the page; tests and links find the chart by it
    title: str
    unit: str
    traces: list[Trace]
    empty: str
    stack: bool = False
    step: bool = False
    height: int = 260
    note: str = ""
    extra: dict[str, object] = field(default_factory=dict)

    @property
    def config_json(self) -> str:
        return json.dumps(
            {
                "cluster": self.cluster_id,
                "unit": self.unit,
                "traces": [{"kind": t.kind, "key": t.key, "name": t.name, "color": t.color} for t in self.traces],
                "stack": self.stack,
                "step": self.step,
                "height": self.height,
                **self.extra,
            }
        )


def _waiting(cluster: Cluster, what: str) -> str:
    if not cluster.enabled:
        return "No data: polling is switched off for this cluster. Edit the cluster to switch it on."
    return (
        f"No points yet: {what} appears after the next polls (every {cluster.poll_interval_s} s). "
        "If it stays empty, check that the worker and beat are running and the cluster is reachable."
    )


def cluster_charts(cluster: Cluster) -> list[ChartSpec]:
    """The cluster dashboard: throughput in and out, groups by status, poll duration."""
    bytes_traces = [Trace("cluster.bytes_in_per_s", "", "in")]
    if cluster.metrics_urls:
        bytes_traces.append(Trace("cluster.bytes_out_per_s", "", "out"))
    return [
        ChartSpec(
            cluster.pk,
            "messages",
            "Messages in",
            "messages/s",
            [Trace("cluster.messages_in_per_s", "", "in")],
            _waiting(cluster, "throughput (needs two polls to compare offsets)"),
        ),
        ChartSpec(
            cluster.pk,
            "bytes",
            "Bytes in" + (" and out" if cluster.metrics_urls else ""),
            "bytes/s",
            bytes_traces,
            _waiting(cluster, "throughput"),
            note="" if cluster.metrics_urls else "Bytes out needs broker metrics URLs (edit the cluster).",
        ),
        ChartSpec(
            cluster.pk,
            "groups",
            "Consumer groups by lag status",
            "groups",
            [Trace("cluster.groups_by_status", s, s, STATUS_COLORS[s]) for s in GROUP_STATUSES],
            _waiting(cluster, "the count of groups per status"),
            stack=True,
            step=True,
        ),
        ChartSpec(
            cluster.pk,
            "poll",
            "Poll duration",
            "ms",
            [Trace("cluster.poll_duration_ms", "", "poll")],
            _waiting(cluster, "the poll duration"),
            height=180,
        ),
    ]


def topic_charts(cluster: Cluster, topic: str) -> list[ChartSpec]:
    """A topic's throughput in messages/s and bytes/s."""
    return [
        ChartSpec(
            cluster.pk,
            "messages",
            "Messages in",
            "messages/s",
            [Trace("topic.messages_per_s", topic, topic)],
            _waiting(cluster, "throughput (needs two polls after the topic was first seen)"),
        ),
        ChartSpec(
            cluster.pk,
            "bytes",
            "Bytes in",
            "bytes/s",
            [Trace("topic.bytes_per_s", topic, topic)],
            _waiting(cluster, "throughput"),
        ),
    ]


def group_charts(cluster: Cluster, group_id: str, topics: list[str]) -> list[ChartSpec]:
    """A group's lag in messages and in seconds: the total and one line per topic."""
    lag = [Trace("group.lag", group_id, "total")] + [
        Trace("group.topic_lag", topic_lag_key(t, group_id), t) for t in topics
    ]
    seconds = [Trace("group.lag_seconds", group_id, "max")] + [
        Trace("group.topic_lag_seconds", topic_lag_key(t, group_id), t) for t in topics
    ]
    return [
        ChartSpec(cluster.pk, "lag", "Lag", "messages", lag, _waiting(cluster, "lag")),
        ChartSpec(
            cluster.pk,
            "lag-seconds",
            "Lag in time",
            "s",
            seconds,
            _waiting(cluster, "lag in time (needs a few polls of end-offset history)"),
        ),
    ]
