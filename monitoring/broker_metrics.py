"""Broker metrics in the poll: scrape the cluster's Prometheus URLs, turn counters into
rates against the previous scrape (kept in Redis), and hand the values to the history."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass, field

import redis
from django.conf import settings

from clusters import gateway
from clusters.gateway.metrics import BrokerMetrics, MetricsScrape, rates
from clusters.models import Cluster
from monitoring.rates import redis_client

log = logging.getLogger(__name__)

GAUGES = ("request_handler_idle_ratio", "under_replicated_partitions", "active_controller_count", "heap_used_bytes")
UNITS = {
    "broker.bytes_in_per_s": "bytes/s",
    "broker.bytes_out_per_s": "bytes/s",
    "broker.messages_in_per_s": "messages/s",
    "broker.request_handler_idle_ratio": "ratio",
    "broker.under_replicated_partitions": "partitions",
    "broker.active_controller_count": "controllers",
    "broker.heap_used_bytes": "bytes",
}


@dataclass(frozen=True)
class BrokerMetricsOutcome:
    values: dict[tuple[str, str], float | None] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # URL -> why it was not scraped


def _previous(cluster_id: int) -> MetricsScrape | None:
    raw = redis_client().get(f"signalbox:metrics:{cluster_id}")
    if not raw:
        return None
    stored = json.loads(raw)  # our own JSON of plain numbers; nothing from the broker is evaluated
    brokers = tuple(BrokerMetrics(**b) for b in stored.get("brokers", []))
    return MetricsScrape(brokers=brokers, errors=())


def broker_metrics_poll(*, cluster: Cluster) -> BrokerMetricsOutcome | None:
    """Scrape the cluster's broker metrics URLs, if it has any. An endpoint that is down
    is reported per URL; Redis down only costs this poll's rates."""
    urls = list(cluster.metrics_urls or [])
    if not urls:
        return None
    scrape = gateway.broker_metrics_scrape(urls, timeout_s=settings.KAFKA_REQUEST_TIMEOUT_MS / 1000)
    values: dict[tuple[str, str], float | None] = {}
    for broker in scrape.brokers:
        for name in GAUGES:
            value = getattr(broker, name)
            values[(f"broker.{name}", broker.url)] = None if value is None else float(value)
    try:
        previous = _previous(cluster.pk)
        redis_client().set(f"signalbox:metrics:{cluster.pk}", json.dumps(scrape.as_dict()), ex=3600)
    except (redis.RedisError, TypeError, ValueError) as exc:
        log.warning("Broker metric rates of cluster %s skipped this poll: %s", cluster.name, exc)
        previous = None
    if previous is not None:
        for url, row in rates(previous, scrape).items():
            for key in ("bytes_in_per_s", "bytes_out_per_s", "messages_in_per_s"):
                values[(f"broker.{key}", url)] = row.get(key)
    return BrokerMetricsOutcome(values=values, errors=scrape.errors_by_url())
