"""Throughput from deltas between polls. The previous poll's per-topic end-offset and
size totals live in one Redis hash per cluster, so computing rates costs one read and
one write per poll, not a database row per topic."""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass

import redis
from django.conf import settings

log = logging.getLogger(__name__)

_clients: dict[str, redis.Redis] = {}


def redis_client() -> redis.Redis:
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=5, socket_connect_timeout=5)
    return _clients[url]


@dataclass(frozen=True)
class TopicRates:
    """Per-topic and cluster-wide rates over the interval since the previous poll."""

    interval_s: float | None
    messages_per_s: dict[str, float]
    bytes_per_s: dict[str, float]
    cluster_messages_per_s: float | None
    cluster_bytes_per_s: float | None


def topic_totals(
    end_offsets: Mapping[tuple[str, int], int], sizes: Mapping[tuple[str, int], int]
) -> dict[str, tuple[int, int]]:
    """Per topic: (sum of log end offsets, sum of partition sizes)."""
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for (topic, _partition), offset in end_offsets.items():
        totals[topic][0] += offset
    for (topic, _partition), size in sizes.items():
        totals[topic][1] += size
    return {topic: (v[0], v[1]) for topic, v in totals.items()}


def rates_between(
    previous: Mapping[str, tuple[float, int, int]], current: Mapping[str, tuple[int, int]], now: float
) -> TopicRates:
    """Rates from two polls (pure). A topic that is new, recreated (offsets went back)
    or seen too recently gets no rate rather than a wrong one. Bytes/s counts only
    growth: retention deleting old segments is not negative traffic."""
    messages: dict[str, float] = {}
    bytes_: dict[str, float] = {}
    interval: float | None = None
    for topic, (offsets, size) in current.items():
        before = previous.get(topic)
        if before is None:
            continue
        then, old_offsets, old_size = before
        elapsed = now - then
        if elapsed <= 0.2 or offsets < old_offsets:
            continue
        interval = elapsed if interval is None else max(interval, elapsed)
        messages[topic] = (offsets - old_offsets) / elapsed
        bytes_[topic] = max(0, size - old_size) / elapsed
    return TopicRates(
        interval_s=interval,
        messages_per_s=messages,
        bytes_per_s=bytes_,
        cluster_messages_per_s=sum(messages.values()) if messages else None,
        cluster_bytes_per_s=sum(bytes_.values()) if bytes_ else None,
    )


def topic_rates_update(
    *, cluster_id: int, now: float, end_offsets: Mapping[tuple[str, int], int], sizes: Mapping[tuple[str, int], int]
) -> TopicRates:
    """Compare this poll's totals with the previous poll's (kept in Redis) and store
    this poll's as the new previous. Redis down: no rates this time, logged."""
    current = topic_totals(end_offsets, sizes)
    key = f"signalbox:rates:{cluster_id}"
    try:
        stored: dict[bytes, bytes] = redis_client().hgetall(key)  # type: ignore[assignment]
        previous: dict[str, tuple[float, int, int]] = {}
        for raw_topic, raw in stored.items():
            t, offsets, size = raw.decode().split(":")
            previous[raw_topic.decode()] = (float(t), int(offsets), int(size))
        pipe = redis_client().pipeline(transaction=False)
        pipe.delete(key)
        if current:
            pipe.hset(key, mapping={topic: f"{now}:{o}:{s}" for topic, (o, s) in current.items()})
            pipe.expire(key, 3600)
        pipe.execute()
    except redis.RedisError as exc:
        log.warning("Throughput of cluster %s not computed this poll (Redis: %s)", cluster_id, exc)
        return TopicRates(None, {}, {}, None, None)
    return rates_between(previous, current, now)
