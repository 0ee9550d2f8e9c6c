"""Broker metrics without a network: parsing a captured exporter page, rates from counters, URL checks."""

from pathlib import Path

import pytest

from clusters.gateway.metrics import (
    BrokerMetrics,
    MetricsScrape,
    ScrapeError,
    broker_metrics_parse,
    broker_metrics_scrape,
    metrics_url_check,
    rates,
)

# Captured from a dev/stack.py broker (jmx_prometheus_javaagent 1.0.1, dev/jmx-exporter.yml) after 42 messages.
SAMPLE = (Path(__file__).parent / "exporter_sample.txt").read_text()
URL = "http://127.0.0.1:7071/metrics"


def test_captured_exporter_page_gives_the_broker_values():
    m = broker_metrics_parse(URL, SAMPLE, scraped_at=1000.0)
    assert (m.url, m.scraped_at) == (URL, 1000.0)
    assert m.messages_in_total == 42.0
    assert m.bytes_in_total == 4639.0
    assert m.bytes_out_total == 0.0
    assert m.active_controller_count == 1 and isinstance(m.active_controller_count, int)
    assert m.under_replicated_partitions == 0 and m.offline_partitions == 0
    assert (m.partition_count, m.leader_count) == (1, 1)
    assert m.request_handler_idle_ratio == pytest.approx(0.9867866238393412)
    # Heap only: the nonheap samples of the same metric must not win.
    assert m.heap_used_bytes == 53566016.0
    assert m.heap_max_bytes == 536870912.0
    assert m.process_start_time == pytest.approx(1795832273.153)


def test_old_exporter_heap_names_and_missing_values():
    text = (
        "# TYPE jvm_memory_bytes_used gauge\n"
        'jvm_memory_bytes_used{area="heap"} 1234.0\n'
        'jvm_memory_bytes_used{area="nonheap"} 99.0\n'
        "# TYPE kafka_server_replicamanager_underreplicatedpartitions gauge\n"
        "kafka_server_replicamanager_underreplicatedpartitions NaN\n"
    )
    m = broker_metrics_parse(URL, text, scraped_at=1.0)
    assert m.heap_used_bytes == 1234.0
    # NaN and absent metrics both read as "not reported".
    assert m.under_replicated_partitions is None and m.messages_in_total is None


def test_labelled_samples_do_not_replace_the_broker_total():
    text = (
        "# TYPE kafka_server_brokertopicmetrics_messages_in counter\n"
        'kafka_server_brokertopicmetrics_messages_in_total{topic="a"} 5.0\n'
        "kafka_server_brokertopicmetrics_messages_in_total 17.0\n"
    )
    assert broker_metrics_parse(URL, text, scraped_at=1.0).messages_in_total == 17.0


def test_html_is_not_taken_for_metrics():
    with pytest.raises(ValueError):
        broker_metrics_parse(URL, "<html><body>Login required</body></html>\n", scraped_at=1.0)


def _scrape(*brokers: BrokerMetrics) -> MetricsScrape:
    return MetricsScrape(brokers=brokers, errors=())


def _broker(at: float, messages: float | None, bytes_in: float = 0.0, started: float | None = 500.0) -> BrokerMetrics:
    return BrokerMetrics(
        url=URL,
        scraped_at=at,
        messages_in_total=messages,
        bytes_in_total=bytes_in,
        bytes_out_total=10.0,
        process_start_time=started,
    )


def test_rates_per_second_from_counter_deltas():
    got = rates(_scrape(_broker(100.0, 40.0, 1000.0)), _scrape(_broker(105.0, 90.0, 6000.0)))
    assert got == {
        URL: {"interval_s": 5.0, "messages_in_per_s": 10.0, "bytes_in_per_s": 1000.0, "bytes_out_per_s": 0.0}
    }


def test_counter_reset_gives_no_rate_not_a_negative_one():
    got = rates(_scrape(_broker(100.0, 400.0)), _scrape(_broker(105.0, 3.0)))[URL]
    assert got["messages_in_per_s"] is None
    # The other counters of the same broker still have a rate.
    assert got["bytes_out_per_s"] == 0.0


def test_broker_restart_gives_no_rate_even_when_the_counter_grew_past_the_old_value():
    got = rates(_scrape(_broker(100.0, 5.0, started=500.0)), _scrape(_broker(105.0, 50.0, started=600.0)))[URL]
    assert got["messages_in_per_s"] is None and got["bytes_out_per_s"] is None


def test_missing_broker_counter_or_interval_gives_no_rate():
    new_broker = rates(_scrape(), _scrape(_broker(105.0, 50.0)))[URL]
    assert new_broker == {
        "interval_s": None,
        "bytes_in_per_s": None,
        "bytes_out_per_s": None,
        "messages_in_per_s": None,
    }
    no_counter = rates(_scrape(_broker(100.0, None)), _scrape(_broker(105.0, 50.0)))[URL]
    assert no_counter["messages_in_per_s"] is None and no_counter["bytes_out_per_s"] == 0.0
    same_time = rates(_scrape(_broker(100.0, 1.0)), _scrape(_broker(100.0, 2.0)))[URL]
    assert same_time["messages_in_per_s"] is None and same_time["interval_s"] is None
    # A broker that answered before but not now is simply absent.
    assert rates(_scrape(_broker(100.0, 1.0)), _scrape()) == {}


@pytest.mark.parametrize(
    ("url", "why"),
    [
        ("", "empty"),
        ("ftp://broker:7071/metrics", "http:// or https://"),
        ("file:///etc/passwd", "http:// or https://"),
        ("http:///metrics", "names no host"),
        ("http://user:secret@broker:7071/metrics", "credentials"),
        ("http://broker:7071/metrics#x", "fragment"),
        ("http://broker:7071/met rics", "whitespace"),
        ("http://broker:7071/metrics\r\nHost: evil", "whitespace"),
        ("http://broker:99999/metrics", "malformed"),
        ("http://broker:0/metrics", "port 0"),
    ],
)
def test_unsafe_or_malformed_urls_are_refused(url, why):
    problem = metrics_url_check(url)
    assert problem is not None and why in problem


def test_plain_http_and_https_urls_pass():
    assert metrics_url_check("http://127.0.0.1:7071/metrics") is None
    assert metrics_url_check("https://broker-1.example:7071/metrics?name[]=x") is None


def test_refused_urls_come_back_as_errors_without_a_request():
    scrape = broker_metrics_scrape(["gopher://broker:70/", "  ", "http://user:pw@h:1/metrics"], timeout_s=1.0)
    assert scrape.brokers == ()
    assert [e.url for e in scrape.errors] == ["gopher://broker:70/", "http://user:pw@h:1/metrics"]
    assert all(isinstance(e, ScrapeError) and e.url in e.message for e in scrape.errors)


def test_timeout_must_be_positive():
    with pytest.raises(ValueError, match="timeout_s"):
        broker_metrics_scrape([URL], timeout_s=0)
