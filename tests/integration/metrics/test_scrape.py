"""Broker metrics from the real broker's JMX exporter, and scrapes of loopback endpoints that misbehave."""

import http.server
import socket
import threading
import time
import uuid
from collections.abc import Iterator

import pytest
from kafka import KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic

from clusters.gateway.metrics import MAX_BODY_BYTES, broker_metrics_scrape, rates


@pytest.fixture
def metrics_urls(stack_env) -> list[str]:
    urls = stack_env.get("KAFKA_METRICS_URLS", "")
    if not urls:
        pytest.fail(
            "KAFKA_METRICS_URLS is not set: this stack was started by a dev/stack.py without the JMX exporter agent. "
            "Restart it (python3 dev/stack.py down --name NAME, then up again) and export its KEY=value lines."
        )
    return urls.split(",")


def _produce(bootstrap: str, topic: str, count: int) -> None:
    admin = KafkaAdminClient(bootstrap_servers=bootstrap, client_id="metrics-test")
    try:
        admin.create_topics([NewTopic(topic, num_partitions=1, replication_factor=1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks="all", linger_ms=5)
    try:
        for i in range(count):
            producer.send(topic, value=f"message {i}".encode())
        producer.flush(timeout=30)
    finally:
        producer.close()


def test_messages_produced_show_in_the_broker_counters(stack_env, metrics_urls):
    before = broker_metrics_scrape(metrics_urls, timeout_s=5.0)
    assert before.errors == (), before.errors_by_url()
    assert [b.url for b in before.brokers] == metrics_urls

    count = 25
    _produce(stack_env["KAFKA_BOOTSTRAP"], f"metrics-{uuid.uuid4().hex[:10]}", count)
    after = broker_metrics_scrape(metrics_urls, timeout_s=5.0)
    assert after.errors == (), after.errors_by_url()

    def total(scrape, field):
        return sum(getattr(b, field) for b in scrape.brokers)

    # Other tests share the broker, so at least what we sent.
    assert total(after, "messages_in_total") - total(before, "messages_in_total") >= count
    assert total(after, "bytes_in_total") - total(before, "bytes_in_total") >= count * len("message 0")
    # One active KRaft controller in the cluster, whatever its size.
    assert total(after, "active_controller_count") == 1
    if stack_env.get("KAFKA_BROKER_COUNT", "1") == "1":
        assert after.brokers[0].active_controller_count == 1
    for broker in after.brokers:
        assert broker.heap_used_bytes and broker.heap_max_bytes and 0 < broker.heap_used_bytes <= broker.heap_max_bytes
        assert broker.under_replicated_partitions is not None and broker.under_replicated_partitions >= 0
        assert broker.request_handler_idle_ratio is not None and 0 <= broker.request_handler_idle_ratio <= 1.01

    per_broker = rates(before, after)
    assert set(per_broker) == set(metrics_urls)
    assert sum(r["messages_in_per_s"] or 0 for r in per_broker.values()) > 0


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_port_where_nothing_listens_is_an_error_naming_it():
    url = f"http://127.0.0.1:{_free_port()}/metrics"
    start = time.monotonic()
    scrape = broker_metrics_scrape([url], timeout_s=2.0)
    assert scrape.brokers == ()
    assert url in scrape.errors_by_url()[url]
    assert "Nothing listens" in scrape.errors_by_url()[url]
    assert time.monotonic() - start < 2.0


@pytest.fixture
def silent_server() -> Iterator[str]:
    """Accepts connections and never answers, until the test ends."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen()
    stop = threading.Event()
    held: list[socket.socket] = []

    def accept() -> None:
        server.settimeout(0.1)
        while not stop.is_set():
            try:
                held.append(server.accept()[0])
            except TimeoutError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.getsockname()[1]}/metrics"
    finally:
        stop.set()
        thread.join(2)
        for conn in held:
            conn.close()
        server.close()


def test_endpoint_that_never_answers_times_out_within_the_timeout(silent_server, metrics_urls):
    start = time.monotonic()
    scrape = broker_metrics_scrape([silent_server, *metrics_urls], timeout_s=0.5)
    took = time.monotonic() - start
    message = scrape.errors_by_url()[silent_server]
    assert silent_server in message and "within 0.5 s" in message
    assert took < 2.0
    # The slow endpoint costs the others nothing: they are scraped in parallel.
    assert [b.url for b in scrape.brokers] == metrics_urls


class _Handler(http.server.BaseHTTPRequestHandler):
    hits: list[str]
    behaviour: str
    other: str

    def do_GET(self) -> None:
        self.hits.append(self.path)
        if self.behaviour == "redirect":
            self.send_response(302)
            self.send_header("Location", self.other)
            self.end_headers()
        elif self.behaviour == "huge":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            line = b"# a comment that pads the page\n" * 1024
            try:
                for _ in range(MAX_BODY_BYTES // len(line) + 50):
                    self.wfile.write(line)
            except OSError:
                pass  # the scraper hangs up once it has read past the cap
        elif self.behaviour == "trickle":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.end_headers()
            try:
                for _ in range(40):  # a byte every 0.1 s: each read is quick, the whole body is not
                    self.wfile.write(b"#")
                    self.wfile.flush()
                    time.sleep(0.1)
            except OSError:
                pass  # the scraper gave up, as it should
        else:
            body = b"# TYPE kafka_server_brokertopicmetrics_messages_in counter\n"
            body += b"kafka_server_brokertopicmetrics_messages_in_total 7.0\n"
            self.send_response(200)
            self.send_header("Content-Type", "text/plain; version=0.0.4")
            self.end_headers()
            self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def http_server():
    servers = []

    def start(behaviour: str, other: str = "") -> tuple[str, list[str]]:
        hits: list[str] = []
        handler = type("Handler", (_Handler,), {"hits": hits, "behaviour": behaviour, "other": other})
        server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}/metrics", hits

    yield start
    for server in servers:
        server.shutdown()
        server.server_close()


def test_redirect_is_not_followed(http_server):
    target, target_hits = http_server("plain")
    url, hits = http_server("redirect", other=target)
    scrape = broker_metrics_scrape([url], timeout_s=2.0)
    assert hits == ["/metrics"] and target_hits == []
    assert "redirect" in scrape.errors_by_url()[url] and target in scrape.errors_by_url()[url]
    # The target itself is a valid page, so only the redirect was refused.
    assert broker_metrics_scrape([target], timeout_s=2.0).brokers[0].messages_in_total == 7.0


def test_body_over_the_cap_is_refused(http_server):
    url, _ = http_server("huge")
    message = broker_metrics_scrape([url], timeout_s=10.0).errors_by_url()[url]
    assert "more than 5 MB" in message and url in message


def test_body_trickling_past_the_timeout_is_cut_off(http_server):
    url, _ = http_server("trickle")
    start = time.monotonic()
    message = broker_metrics_scrape([url], timeout_s=1.0).errors_by_url()[url]
    assert "within 1 s" in message
    assert time.monotonic() - start < 2.5
