"""Polling a cluster: take a look through the gateway, store it, push it."""

from __future__ import annotations

import logging
import time

from clusters import gateway
from clusters.models import Cluster, ClusterStatus
from clusters.services import cluster_status_record
from monitoring import events

log = logging.getLogger(__name__)


def cluster_poll(*, cluster: Cluster) -> ClusterStatus:
    """Poll one cluster's health, store the outcome and push it to `cluster.<id>`.
    An unreachable cluster is a normal outcome: recorded, pushed, not raised."""
    start = time.perf_counter()
    health: gateway.ClusterHealth | None = None
    error = ""
    try:
        health = gateway.cluster_health(cluster.connection())
    except gateway.GatewayError as exc:
        error = exc.message
        log.warning("Poll of cluster %s failed: %s", cluster.name, error)
    duration_ms = round((time.perf_counter() - start) * 1000, 2)
    status = cluster_status_record(cluster=cluster, health=health, error=error, duration_ms=duration_ms)
    events.send(events.cluster_group(cluster.pk), "cluster.status", status.as_event())
    return status
