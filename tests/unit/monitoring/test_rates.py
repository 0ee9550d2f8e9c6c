import pytest

from monitoring.rates import rates_between, topic_totals


def test_totals_sum_partitions_per_topic():
    totals = topic_totals({("a", 0): 10, ("a", 1): 5, ("b", 0): 7}, {("a", 0): 100, ("b", 0): 30})
    assert totals == {"a": (15, 100), "b": (7, 30)}


def test_rates_from_two_polls():
    rates = rates_between({"a": (100.0, 15, 1000), "b": (100.0, 7, 500)}, {"a": (65, 1400), "b": (7, 300)}, 105.0)
    assert rates.messages_per_s == {"a": 10.0, "b": 0.0}
    # Retention shrinking a topic is not negative traffic.
    assert rates.bytes_per_s == {"a": 80.0, "b": 0.0}
    assert rates.cluster_messages_per_s == 10.0 and rates.interval_s == pytest.approx(5.0)


def test_new_recreated_and_too_close_topics_get_no_rate():
    previous = {"recreated": (100.0, 50, 0), "close": (104.9, 1, 0)}
    rates = rates_between(previous, {"new": (5, 0), "recreated": (3, 0), "close": (9, 0)}, 105.0)
    assert rates.messages_per_s == {} and rates.cluster_messages_per_s is None
