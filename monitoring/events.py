"""Channel group names, the watch registry, and the functions that send to groups.

Group names are built from ids only (never raw Kafka names, which may hold
characters channel layers refuse): `cluster.<cluster id>`, `topic.<TopicMeta id>`,
`group.<GroupMeta id>`.

A poll cannot afford one send per topic at 10,000 topics, so topic and group points
go only to groups someone watches: a subscribing websocket adds its group to a Redis
sorted set per cluster, scored by an expiry it keeps refreshing while it is open
(`WATCH_TTL_S`). The poll reads that set once."""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from typing import Any

import redis
from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

from monitoring.rates import redis_client

log = logging.getLogger(__name__)

MESSAGE_TYPE = "live.update"
WATCH_TTL_S = 90  # a socket refreshes its watches every WATCH_TTL_S / 3


def cluster_group(cluster_id: int) -> str:
    return f"cluster.{cluster_id}"


def topic_group(topic_pk: int) -> str:
    return f"topic.{topic_pk}"


def group_group(group_pk: int) -> str:
    return f"group.{group_pk}"


def watch_key(cluster_id: int) -> str:
    return f"signalbox:watch:{cluster_id}"


def watched(*, cluster_id: int, now: float | None = None) -> dict[str, set[int]]:
    """The topic and group row ids someone watches on this cluster: {"topic": {...},
    "group": {...}}. Expired watches are dropped. Redis down: nothing is watched."""
    now = time.time() if now is None else now
    out: dict[str, set[int]] = {"topic": set(), "group": set()}
    try:
        pipe = redis_client().pipeline(transaction=False)
        pipe.zremrangebyscore(watch_key(cluster_id), "-inf", now)
        pipe.zrange(watch_key(cluster_id), 0, -1)
        members: list[bytes] = pipe.execute()[1]
    except redis.RedisError as exc:
        log.warning("Watched topics and groups of cluster %s unknown this poll: %s", cluster_id, exc)
        return out
    for member in members:
        kind, _, pk = member.decode().partition(".")
        if kind in out and pk.isdigit():
            out[kind].add(int(pk))
    return out


def _message(group: str, event: str, data: dict[str, Any]) -> dict[str, Any]:
    return {"type": MESSAGE_TYPE, "group": group, "event": event, "data": data}


def send(group: str, event: str, data: dict[str, Any]) -> None:
    """Send one event to a group after the current transaction commits."""
    send_many([(group, event, data)])


def send_many(items: Sequence[tuple[str, str, dict[str, Any]]]) -> None:
    """Send events (group, event, data) after the current transaction commits, all in
    one trip to the event loop. A channel layer that is down costs a log line, not the
    caller's work."""
    if not items:
        return
    batch = list(items)

    async def deliver_all() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        for group, event, data in batch:  # in order: a chart sees status before points
            try:
                await layer.group_send(group, _message(group, event, data))
            except Exception as exc:
                log.warning("Could not push %s to %s: %s", event, group, exc)

    def deliver() -> None:
        try:
            async_to_sync(deliver_all)()
        except Exception as exc:
            log.warning("Could not push %d live events: %s", len(batch), exc)

    transaction.on_commit(deliver)
