"""Broker metrics over HTTP: scrape the Prometheus JMX exporter of each broker and keep the values we chart.

This module speaks HTTP, not the Kafka protocol, so it needs no ConnectionSettings. An endpoint that is down,
slow or not an exporter is a normal condition: it becomes a ScrapeError naming the URL, never an exception.
The metric names are those of dev/jmx-exporter.yml (the agent's own JVM and process metrics come along).
"""

from __future__ import annotations

import http.client
import math
import socket
import ssl
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import asdict, dataclass, fields
from typing import Any
from urllib.parse import urlsplit

from prometheus_client.parser import text_string_to_metric_families

MAX_BODY_BYTES = 5 * 1024 * 1024
MAX_PARALLEL = 8
# Classic text format: the 1.x agent answers OpenMetrics only when asked for it.
ACCEPT = "text/plain;version=0.0.4;q=1.0, */*;q=0.1"

# Sample name (without labels) -> BrokerMetrics field, for the values a broker exports unlabelled.
_PLAIN_SAMPLES = {
    "kafka_server_brokertopicmetrics_bytes_in_total": "bytes_in_total",
    "kafka_server_brokertopicmetrics_bytes_out_total": "bytes_out_total",
    "kafka_server_brokertopicmetrics_messages_in_total": "messages_in_total",
    "kafka_server_request_handler_avg_idle_ratio": "request_handler_idle_ratio",
    "kafka_controller_kafkacontroller_activecontrollercount": "active_controller_count",
    "kafka_controller_kafkacontroller_offlinepartitionscount": "offline_partitions",
    "kafka_server_replicamanager_underreplicatedpartitions": "under_replicated_partitions",
    "kafka_server_replicamanager_partitioncount": "partition_count",
    "kafka_server_replicamanager_leadercount": "leader_count",
    "process_start_time_seconds": "process_start_time",
}
# JVM heap: the 1.x agent's names first, then the 0.x agent's, so either exporter version works.
_HEAP_SAMPLES = {
    "jvm_memory_used_bytes": "heap_used_bytes",
    "jvm_memory_bytes_used": "heap_used_bytes",
    "jvm_memory_max_bytes": "heap_max_bytes",
    "jvm_memory_bytes_max": "heap_max_bytes",
}
_INT_FIELDS = {"active_controller_count", "offline_partitions", "under_replicated_partitions"}
_INT_FIELDS |= {"partition_count", "leader_count"}
# Counters whose per-second rate `rates` computes: BrokerMetrics field -> key in the result.
_COUNTERS = {
    "bytes_in_total": "bytes_in_per_s",
    "bytes_out_total": "bytes_out_per_s",
    "messages_in_total": "messages_in_per_s",
}


@dataclass(frozen=True)
class BrokerMetrics:
    """What one broker's exporter reported. A value the exporter did not export is None."""

    url: str
    scraped_at: float  # epoch seconds when the answer arrived
    bytes_in_total: float | None = None
    bytes_out_total: float | None = None
    messages_in_total: float | None = None
    request_handler_idle_ratio: float | None = None  # 0..1, one-minute average
    active_controller_count: int | None = None  # 1 on the active KRaft controller, else 0
    under_replicated_partitions: int | None = None
    offline_partitions: int | None = None
    partition_count: int | None = None
    leader_count: int | None = None
    heap_used_bytes: float | None = None
    heap_max_bytes: float | None = None
    process_start_time: float | None = None  # epoch seconds; a change means the counters restarted

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ScrapeError:
    """Why one URL gave no metrics, in words a person can act on."""

    url: str
    message: str


@dataclass(frozen=True)
class MetricsScrape:
    """One pass over every URL: the brokers that answered and the URLs that did not, both in the order asked."""

    brokers: tuple[BrokerMetrics, ...]
    errors: tuple[ScrapeError, ...]

    def broker(self, url: str) -> BrokerMetrics | None:
        return next((b for b in self.brokers if b.url == url), None)

    def errors_by_url(self) -> dict[str, str]:
        return {e.url: e.message for e in self.errors}

    def as_dict(self) -> dict[str, Any]:
        return {"brokers": [b.as_dict() for b in self.brokers], "errors": self.errors_by_url()}


class _ScrapeFailed(Exception):
    """Internal: one URL failed; the message is shown as is."""


def _secs(value: float) -> str:
    return f"{value:g} s"


def metrics_url_check(url: str) -> str | None:
    """Why `url` may not be scraped (None if it may): only plain http(s) URLs with a host and a path, no
    credentials, no fragment and no whitespace or control characters."""
    if not url or any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in url):
        return f"Metrics URL {url!r} is empty or contains whitespace: use http://HOST:PORT/metrics"
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as e:
        return f"Metrics URL {url!r} is malformed ({e}): use http://HOST:PORT/metrics"
    if parts.scheme not in ("http", "https"):
        return f"Metrics URL {url!r} must start with http:// or https:// (the exporter serves HTTP)"
    if not parts.hostname:
        return f"Metrics URL {url!r} names no host: use http://HOST:PORT/metrics"
    if parts.username is not None or parts.password is not None:
        return f"Metrics URL {url!r} carries credentials: the exporter needs none, remove the user:password@ part"
    if parts.fragment:
        return f"Metrics URL {url!r} has a #fragment: remove it"
    if port == 0:
        return f"Metrics URL {url!r} has port 0: use the exporter's port"
    return None


def _fetch(url: str, timeout_s: float) -> str:
    """GET `url` within `timeout_s` in all (connect, headers and body together). Redirects are not followed, and a
    body over MAX_BODY_BYTES is refused."""
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    deadline = time.monotonic() + timeout_s
    conn: http.client.HTTPConnection
    if parts.scheme == "https":
        conn = http.client.HTTPSConnection(host, port, timeout=timeout_s, context=ssl.create_default_context())
    else:
        conn = http.client.HTTPConnection(host, port, timeout=timeout_s)
    where = f"{host}:{port or (443 if parts.scheme == 'https' else 80)}"
    try:
        conn.request("GET", path, headers={"Accept": ACCEPT, "Accept-Encoding": "identity"})
        sock = conn.sock  # kept: getresponse() drops conn.sock when the server closes after the answer
        resp = conn.getresponse()
        if 300 <= resp.status < 400:
            # Never followed: a redirect could point the scraper at another host.
            target = resp.getheader("Location", "?")
            raise _ScrapeFailed(
                f"Broker metrics at {url} answered with a redirect (HTTP {resp.status} to {target}), which is not "
                "followed: set the URL of the exporter's /metrics page itself"
            )
        if resp.status != 200:
            raise _ScrapeFailed(
                f"Broker metrics at {url} answered HTTP {resp.status} {resp.reason}: check the path (usually /metrics)"
            )
        body = bytearray()
        while True:
            left = deadline - time.monotonic()
            if left <= 0:
                raise TimeoutError
            if sock is not None:  # the socket timeout applies per read; the deadline caps the whole body
                sock.settimeout(left)
            # read1: one receive at a time, so a server trickling bytes meets the deadline too.
            chunk = resp.read1(min(65536, MAX_BODY_BYTES + 1 - len(body)))
            if not chunk:
                break
            body += chunk
            if len(body) > MAX_BODY_BYTES:
                raise _ScrapeFailed(
                    f"Broker metrics at {url} sent more than {MAX_BODY_BYTES // (1024 * 1024)} MB: narrow the "
                    "exporter's includeObjectNames so it exports only the broker metrics"
                )
        return body.decode("utf-8", errors="replace")
    except TimeoutError:  # socket.timeout is TimeoutError since Python 3.10
        raise _ScrapeFailed(
            f"Broker metrics at {url} did not answer within {_secs(timeout_s)}: check that the broker and its "
            "JMX exporter are up and not overloaded"
        )
    except ConnectionRefusedError:
        raise _ScrapeFailed(
            f"Nothing listens at {where} for {url} (connection refused, waited up to {_secs(timeout_s)}): start the "
            "broker with the JMX exporter agent, or fix the metrics URL"
        )
    except (socket.gaierror, ssl.SSLError, http.client.HTTPException, OSError) as e:
        raise _ScrapeFailed(
            f"Broker metrics at {url} could not be read ({type(e).__name__}: {e}; waited up to {_secs(timeout_s)}): "
            "check the host, the port and whether it speaks http or https"
        )
    finally:
        conn.close()


def _number(value: float) -> float | None:
    return None if math.isnan(value) or math.isinf(value) else value


def broker_metrics_parse(url: str, text: str, scraped_at: float) -> BrokerMetrics:
    """The values we keep from one exporter's Prometheus text. Raises ValueError when it is not that format."""
    found: dict[str, Any] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            value = _number(float(sample.value))
            if value is None:
                continue
            name = sample.name
            if name in _PLAIN_SAMPLES and not sample.labels:
                found[_PLAIN_SAMPLES[name]] = value
            elif name in _HEAP_SAMPLES and sample.labels.get("area") == "heap":
                found.setdefault(_HEAP_SAMPLES[name], value)
    for key in _INT_FIELDS & found.keys():
        found[key] = int(found[key])
    return BrokerMetrics(url=url, scraped_at=scraped_at, **found)


def _scrape_one(url: str, timeout_s: float) -> BrokerMetrics | ScrapeError:
    problem = metrics_url_check(url)
    if problem:
        return ScrapeError(url, problem)
    try:
        text = _fetch(url, timeout_s)
    except _ScrapeFailed as e:
        return ScrapeError(url, str(e))
    try:
        return broker_metrics_parse(url, text, time.time())
    except ValueError as e:
        return ScrapeError(
            url, f"Broker metrics at {url} are not in the Prometheus text format ({e}): is this a JMX exporter?"
        )


def broker_metrics_scrape(urls: Sequence[str], timeout_s: float) -> MetricsScrape:
    """Scrape each broker's JMX exporter (in parallel, each within `timeout_s`) and return what every one reported;
    a URL that is down, slow or not an exporter gives a ScrapeError naming it instead of raising."""
    if timeout_s <= 0:
        raise ValueError(f"timeout_s must be positive, got {timeout_s}")
    unique = list(dict.fromkeys(u.strip() for u in urls if u.strip()))
    if not unique:
        return MetricsScrape(brokers=(), errors=())
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL, len(unique)), thread_name_prefix="metrics") as pool:
        results = list(pool.map(lambda u: _scrape_one(u, timeout_s), unique))
    return MetricsScrape(
        brokers=tuple(r for r in results if isinstance(r, BrokerMetrics)),
        errors=tuple(r for r in results if isinstance(r, ScrapeError)),
    )


def rates(previous: MetricsScrape, current: MetricsScrape) -> dict[str, dict[str, float | None]]:
    """Per-second rates from the counter deltas between two scrapes, per broker URL of `current`:
    {url: {"interval_s", "bytes_in_per_s", "bytes_out_per_s", "messages_in_per_s"}}. A rate is None when it cannot
    be known for this interval: the broker is missing from either scrape, a counter is missing, it went down or the
    broker restarted (a counter reset), or no time passed."""
    out: dict[str, dict[str, float | None]] = {}
    for now in current.brokers:
        before = previous.broker(now.url)
        interval = now.scraped_at - before.scraped_at if before else 0.0
        row: dict[str, float | None] = {"interval_s": interval if interval > 0 else None}
        restarted = (
            before is not None
            and None not in (before.process_start_time, now.process_start_time)
            and before.process_start_time != now.process_start_time
        )
        for counter, key in _COUNTERS.items():
            row[key] = None
            if before is None or interval <= 0 or restarted:
                continue
            a, b = getattr(before, counter), getattr(now, counter)
            if a is not None and b is not None and b >= a:
                row[key] = (b - a) / interval
        out[now.url] = row
    return out


# The field names, for callers that build tables or charts from the dataclass.
BROKER_METRIC_FIELDS = tuple(f.name for f in fields(BrokerMetrics) if f.name not in ("url", "scraped_at"))
