"""Celery entry points for monitoring: thin, take ids, call a service."""

from __future__ import annotations

import contextlib
import logging
import time

import redis
from celery import shared_task
from django.conf import settings

from clusters.models import Cluster
from monitoring.series import series_compact, series_compact_pending, series_prune
from monitoring.services import cluster_poll

log = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}

COMPACT_TASK_BUDGET_S = 25.0  # compact_history starts no cluster after this long (it runs every 30 s)


def _conn() -> redis.Redis:
    """A Redis client for locks and due-marks, one per URL per process."""
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _clients[url]


@shared_task(name="monitoring.tasks.dispatch_polls", ignore_result=True)
def dispatch_polls() -> int:
    """Queue one poll for every enabled cluster whose interval has passed.

    The "due" mark is a Redis key set with NX and the interval as expiry, so a second
    beat (or a tick that comes early) queues nothing twice."""
    queued = 0
    for pk, interval in Cluster.objects.filter(enabled=True).values_list("pk", "poll_interval_s"):
        # The mark lives half a second less than the interval: with the exact interval it
        # often outlived the tick that should have found it gone, and polls came every P + 1 s.
        if _conn().set(f"signalbox:poll-due:{pk}", 1, nx=True, px=max(500, interval * 1000 - 500)):
            poll_cluster.apply_async(args=[pk], expires=max(1, interval))
            queued += 1
    return queued


@shared_task(name="monitoring.tasks.poll_cluster")
def poll_cluster(cluster_id: int) -> dict[str, object]:
    """Poll one cluster under a per-cluster lock: two workers never poll it at once."""
    cluster = Cluster.objects.filter(pk=cluster_id).first()
    if cluster is None:
        return {"cluster": cluster_id, "outcome": "gone"}
    # The lock outlives the slowest poll (timeouts are seconds) but never sticks forever.
    lock = _conn().lock(f"signalbox:poll-lock:{cluster_id}", timeout=120, blocking=False)
    if not lock.acquire():
        log.info("Poll of cluster %s skipped: another worker is polling it", cluster_id)
        return {"cluster": cluster_id, "outcome": "skipped"}
    try:
        status = cluster_poll(cluster=cluster).status
    finally:
        with contextlib.suppress(redis.exceptions.LockError):  # expired during a very slow poll
            lock.release()
    return {"cluster": cluster_id, "outcome": "ok" if status.reachable else "unreachable", "error": status.error}


@shared_task(name="monitoring.tasks.compact_history", ignore_result=True)
def compact_history() -> dict[str, int]:
    """Move full blocks of polls out of each cluster's metric journal (series_compact),
    outside the polls, so no poll waits for it."""
    return _compact_clusters(budget_s=COMPACT_TASK_BUDGET_S)


def _compact_clusters(*, budget_s: float) -> dict[str, int]:
    deadline = time.monotonic() + budget_s
    done = {"clusters": 0, "blocks": 0, "skipped": 0, "left": 0}
    for cluster_id in series_compact_pending():
        if time.monotonic() >= deadline:
            done["left"] += 1
            continue
        # Not the poll lock: a poll may record while its cluster compacts (the database keeps the
        # two apart, see monitoring/series_compaction.py), and sharing it would skip or delay polls.
        lock = _conn().lock(f"signalbox:compact-lock:{cluster_id}", timeout=120, blocking=False)
        if not lock.acquire():
            done["skipped"] += 1
            continue
        try:
            stats = series_compact(cluster_id=cluster_id)
        finally:
            with contextlib.suppress(redis.exceptions.LockError):  # expired during a very slow compaction
                lock.release()
        done["clusters"] += 1
        done["blocks"] += stats.blocks
        done["left"] += stats.more
    if done["blocks"] or done["skipped"] or done["left"]:
        log.info("Metric history compacted: %s", done)
    return done


@shared_task(name="monitoring.tasks.prune_history", ignore_result=True)
def prune_history() -> int:
    """Roll old raw points up into 1-minute points and drop what is past retention.
    Journals the compaction task left behind are compacted first, so the roll-up sees
    every poll. Each call of series_prune is bounded; a few rounds catch up after downtime."""
    _compact_clusters(budget_s=COMPACT_TASK_BUDGET_S)
    rounds = 0
    for rounds in range(1, 21):  # noqa: B007 (the count is the result)
        if not series_prune().more:
            break
    return rounds
