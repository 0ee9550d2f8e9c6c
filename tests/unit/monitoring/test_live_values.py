"""What one poll records and pushes, computed from plain values (no network)."""

from consumer_groups.snapshot import GroupSnapshotStats, topic_lags
from monitoring.broker_metrics import BrokerMetricsOutcome
from monitoring.charts import cluster_charts, group_charts
from monitoring.rates import TopicRates
from monitoring.services import _series_values, topic_lag_key


def _row(group_id, partitions):
    return {"group_id": group_id, "partitions": partitions}


def test_topic_lags_sum_lag_and_take_the_worst_seconds_per_topic():
    rows = [
        _row(
            "g",
            [
                ["a", 0, 10, 15, 5, 2.0, "OK", ""],
                ["a", 1, 10, 30, 20, 9.5, "OK", ""],
                ["b", 0, None, 7, None, None, "NO_COMMIT", ""],
            ],
        )
    ]
    assert topic_lags(rows) == [("g", "a", 25, 9.5), ("g", "b", None, None)]


def test_topic_lag_key_splits_at_the_first_at_sign():
    key = topic_lag_key("orders", "team@prod")
    assert key == "orders@team@prod"
    assert key.split("@", 1) == ["orders", "team@prod"]


def _stats(**kwargs):
    return GroupSnapshotStats(groups=2, created=0, updated=0, deleted=0, kafka_requests=3, elapsed_ms=1.0, **kwargs)


def test_series_values_of_a_good_poll():
    rates = TopicRates(5.0, {"orders": 10.0}, {"orders": 2048.0}, 10.0, 2048.0)
    groups = _stats(
        lags=(("g1", 25, 9.5), ("g2", None, None)),
        topic_lags=(("g1", "orders", 25, 9.5),),
        statuses=(("g1", "OK"), ("g2", "ERR")),
    )
    brokers = BrokerMetricsOutcome(
        values={("broker.bytes_out_per_s", "http://b1"): 100.0, ("broker.bytes_out_per_s", "http://b2"): 50.0}
    )
    values = _series_values(rates=rates, groups=groups, brokers=brokers, reachable=True)
    assert values[("cluster.messages_in_per_s", "")] == 10.0
    assert values[("topic.bytes_per_s", "orders")] == 2048.0
    assert values[("group.lag", "g1")] == 25.0 and values[("group.lag", "g2")] is None
    assert values[("group.topic_lag", "orders@g1")] == 25.0
    assert values[("group.topic_lag_seconds", "orders@g1")] == 9.5
    assert values[("cluster.bytes_out_per_s", "")] == 150.0
    assert {k: v for (kind, k), v in values.items() if kind == "cluster.groups_by_status"} == {
        "OK": 1.0,
        "WARN": 0.0,
        "ERR": 1.0,
        "UNKNOWN": 0.0,
    }


def test_an_unreachable_poll_records_only_what_the_metrics_endpoint_said():
    brokers = BrokerMetricsOutcome(values={("broker.request_handler_idle_ratio", "http://b1"): 0.9})
    rates = TopicRates(5.0, {"orders": 10.0}, {}, 10.0, 0.0)
    values = _series_values(rates=rates, groups=None, brokers=brokers, reachable=False)
    assert values == {("broker.request_handler_idle_ratio", "http://b1"): 0.9, ("cluster.bytes_out_per_s", ""): None}


def test_long_group_and_topic_keys_keep_only_the_totals():
    long_group = "g" * 250
    groups = _stats(lags=((long_group, 3, 1.0),), topic_lags=((long_group, "orders", 3, 1.0),), statuses=())
    values = _series_values(rates=None, groups=groups, brokers=None, reachable=True)
    assert values[("group.lag", long_group)] == 3.0
    assert not any(kind == "group.topic_lag" for kind, _ in values)


def test_chart_specs_name_their_series_and_say_why_they_are_empty():
    from clusters.models import Cluster

    cluster = Cluster(pk=7, name="c", bootstrap_servers="h:9092", poll_interval_s=5, enabled=True)
    specs = {s.slug: s for s in cluster_charts(cluster)}
    assert [t.kind for t in specs["messages"].traces] == ["cluster.messages_in_per_s"]
    assert "every 5 s" in specs["messages"].empty
    assert "metrics URLs" in specs["bytes"].note  # bytes out needs the brokers' metrics
    assert [t.key for t in specs["groups"].traces] == ["OK", "WARN", "ERR", "UNKNOWN"]
    lag, seconds = group_charts(cluster, "g", ["a", "b"])
    assert [t.key for t in lag.traces] == ["g", "a@g", "b@g"]
    assert [t.kind for t in seconds.traces] == [
        "group.lag_seconds",
        "group.topic_lag_seconds",
        "group.topic_lag_seconds",
    ]
    cluster.enabled = False
    assert "polling is switched off" in cluster_charts(cluster)[0].empty
