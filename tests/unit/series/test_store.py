"""The metric history store against the database (SQLite or DATABASE_URL; no Kafka):
record/read round trips, resolution switching, pruning and rollups, gaps, isolation
between clusters and cascade delete. Polls are compacted the way the compact_history
task does it in production: series_compact every 6 polls (30 s at 5 s a poll)."""

import pytest

from clusters.models import Cluster
from monitoring import series as store
from monitoring.models import Series, SeriesBlock, SeriesChunk, SeriesFrame

pytestmark = pytest.mark.django_db

T0 = 1_699_999_200.0  # on a whole hour
MSG = "topic.messages_per_s"


@pytest.fixture
def other():
    return Cluster.objects.create(name="b", bootstrap_servers="h:9092")


def record_polls(cluster, start, count, step=5.0, value=lambda i, key: float(i), keys=("orders",), compact_every=6):
    for i in range(count):
        at = start + i * step
        store.series_record(
            cluster_id=cluster.pk,
            at=at,
            values={(MSG, key): value(i, key) for key in keys},
            units={MSG: "msg/s"},
        )
        if compact_every and (i + 1) % compact_every == 0:
            store.series_compact(cluster_id=cluster.pk)


def values(data):
    return [v for _, v in data.points]


def test_round_trip_from_journal_and_blocks(cluster):
    record_polls(cluster, T0, 150)  # two compactions and a journal tail
    assert SeriesBlock.objects.filter(cluster=cluster).count() == 2
    assert SeriesFrame.objects.filter(cluster=cluster).exists()
    data = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)
    assert data.points == [(T0 + i * 5.0, float(i)) for i in range(150)]
    assert data.resolution == "raw"
    assert data.unit == "msg/s"
    window = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0 + 100, until=T0 + 120)
    assert values(window) == [20.0, 21.0, 22.0, 23.0, 24.0]


def test_only_changed_values_are_written(cluster):
    keys = [f"t{i}" for i in range(50)]
    first = store.series_record(cluster_id=cluster.pk, at=T0, values={(MSG, k): 0.0 for k in keys})
    assert (first.new_series, first.changed) == (50, 50)
    same = store.series_record(cluster_id=cluster.pk, at=T0 + 5, values={(MSG, k): 0.0 for k in keys})
    assert (same.changed, same.rows_written) == (0, 1)
    one = store.series_record(
        cluster_id=cluster.pk, at=T0 + 10, values={(MSG, k): (3.0 if k == "t7" else 0.0) for k in keys}
    )
    assert one.changed == 1
    assert store.series_read(cluster_id=cluster.pk, kind=MSG, key="t7", since=T0).points == [
        (T0, 0.0),
        (T0 + 5, 0.0),
        (T0 + 10, 3.0),
    ]


def test_flat_series_reads_its_value_from_before_the_window(cluster):
    record_polls(cluster, T0, 200, value=lambda i, key: 42.0)
    data = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0 + 700)
    assert values(data) == [42.0] * 60  # ticks 140..199; no chunk holds them, the block state does
    assert SeriesChunk.objects.filter(block__cluster=cluster).count() == 1  # only the first block, where it appeared


def test_failed_polls_stay_gaps(cluster):
    for i in range(10):
        vals = {} if i in (3, 4) else {(MSG, "orders"): 1.0}
        store.series_record(cluster_id=cluster.pk, at=T0 + i * 5, values=vals)
    assert values(store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)) == [
        1.0, 1.0, 1.0, None, None, 1.0, 1.0, 1.0, 1.0, 1.0,
    ]  # fmt: skip
    # Polls that never recorded at all (worker down) show as a break too.
    store.series_record(cluster_id=cluster.pk, at=T0 + 600, values={(MSG, "orders"): 2.0})
    store.series_record(cluster_id=cluster.pk, at=T0 + 605, values={(MSG, "orders"): 2.0})
    points = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0).points
    assert (T0 + 50, None) in points
    assert points[-1] == (T0 + 605, 2.0)
    assert 0.0 not in [v for _, v in points]


def test_gap_survives_downsampling(cluster):
    record_polls(cluster, T0, 400, value=lambda i, key: None if 100 <= i < 200 else 1.0)
    data = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0, max_points=40)
    assert len(data.points) <= 40
    assert None in values(data)
    assert set(values(data)) == {1.0, None}


def test_read_many_downsamples_each_trace(cluster):
    record_polls(cluster, T0, 300, keys=("a", "b"), value=lambda i, key: float(i if key == "a" else 2 * i))
    out = store.series_read_many(cluster_id=cluster.pk, kind=MSG, keys=["a", "b", "nope"], since=T0, max_points=30)
    assert len(out["a"].points) == 30
    assert out["a"].points[0] == (T0, 4.5)  # average of 0..9
    assert out["b"].points[0] == (T0, 9.0)
    assert out["nope"].points == []


def test_prune_rolls_up_into_minute_averages_and_reads_switch(cluster, settings):
    settings.METRICS_RAW_RETENTION_S = 3600
    settings.METRICS_ROLLUP_RETENTION_S = 4 * 3600
    # 2 h of polls; the value is the minute number, jittered within each minute to test averaging.
    record_polls(cluster, T0, 1440, value=lambda i, key: (i // 12) + (1.0 if i % 2 else -1.0))
    now = T0 + 7200
    stats = store.series_prune(now=now)
    assert stats.hours_rolled_up == 1  # only the hour that ended before now - 1 h
    assert stats.raw_blocks_deleted == 12
    assert not stats.more
    minute_block = SeriesBlock.objects.get(cluster=cluster, resolution="1m")
    assert (minute_block.start, minute_block.count) == (T0, 60)
    old = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0, until=T0 + 3599)
    assert old.resolution == "1m"
    assert old.points == [(T0 + 60 * m, float(m)) for m in range(60)]
    recent = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0 + 3600)
    assert recent.resolution == "raw"
    assert len(recent.points) == 720
    # A range across both: minute points all the way, averages unchanged.
    both = store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)
    assert both.resolution == "1m"
    assert both.points == [(T0 + 60 * m, float(m)) for m in range(120)]
    # Past the rollup retention everything goes, and recording carries on from nothing.
    stats = store.series_prune(now=T0 + 7200 + 4 * 3600)
    assert stats.expired_blocks_deleted == 13
    assert not SeriesBlock.objects.filter(cluster=cluster).exists()
    assert store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0).points == []
    store.series_record(cluster_id=cluster.pk, at=T0 + 8 * 3600, values={(MSG, "orders"): 5.0})
    assert store.series_latest(cluster_id=cluster.pk, kind=MSG) == {"orders": 5.0}


def test_rollup_keeps_gaps_and_flat_series(cluster, settings):
    settings.METRICS_RAW_RETENTION_S = 3600
    record_polls(
        cluster,
        T0,
        1440,
        keys=("busy", "idle"),
        value=lambda i, key: 7.0 if key == "idle" else (None if 120 <= i < 240 else 1.0),
    )
    store.series_prune(now=T0 + 7200)
    busy = store.series_read(cluster_id=cluster.pk, kind=MSG, key="busy", since=T0, until=T0 + 3599)
    assert [v for _, v in busy.points[8:22]] == [1.0, 1.0] + [None] * 10 + [1.0, 1.0]
    idle = store.series_read(cluster_id=cluster.pk, kind=MSG, key="idle", since=T0 + 1800, until=T0 + 3599)
    assert values(idle) == [7.0] * 30


def test_top_and_latest(cluster):
    keys = [f"t{i}" for i in range(20)]
    record_polls(cluster, T0, 80, keys=keys, value=lambda i, key: float(int(key[1:])) + (i % 3))
    store.series_record(cluster_id=cluster.pk, at=T0 + 400, values={(MSG, "t3"): 100.0})
    top = store.series_top(cluster_id=cluster.pk, kind=MSG, since=T0 + 400 - 300, limit=3)
    assert [k for k, _ in top] == ["t19", "t18", "t17"]
    assert top[0][1] == pytest.approx(19.0 + 1.0, abs=0.1)
    latest = store.series_latest(cluster_id=cluster.pk, kind=MSG)
    assert latest == {"t3": 100.0}  # the others had no value at the newest poll


def test_top_counts_flat_series_from_before_the_window(cluster):
    record_polls(cluster, T0, 130, keys=("flat", "busy"), value=lambda i, key: 5.0 if key == "flat" else float(i % 2))
    top = store.series_top(cluster_id=cluster.pk, kind=MSG, since=T0 + 620, limit=5)
    assert top[0] == ("flat", 5.0)
    assert top[1][0] == "busy"


def test_clusters_do_not_leak_into_each_other(cluster, other):
    record_polls(cluster, T0, 70, value=lambda i, key: 1.0)
    record_polls(other, T0, 70, value=lambda i, key: 2.0)
    assert set(values(store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0))) == {1.0}
    assert set(values(store.series_read(cluster_id=other.pk, kind=MSG, key="orders", since=T0))) == {2.0}
    assert store.series_latest(cluster_id=other.pk, kind=MSG) == {"orders": 2.0}
    assert store.series_top(cluster_id=cluster.pk, kind=MSG, since=T0, limit=5) == [("orders", 1.0)]


def test_cascade_delete_with_the_cluster(cluster, other):
    record_polls(cluster, T0, 80)
    record_polls(other, T0, 80)
    cluster.delete()
    assert not Series.objects.filter(cluster_id=cluster.pk).exists()
    assert not SeriesBlock.objects.filter(cluster_id=cluster.pk).exists()
    assert not SeriesFrame.objects.filter(cluster_id=cluster.pk).exists()
    assert SeriesChunk.objects.filter(series__cluster=other).count() == 1
    assert len(store.series_read(cluster_id=other.pk, kind=MSG, key="orders", since=T0).points) == 80


def test_out_of_order_poll_is_skipped(cluster):
    store.series_record(cluster_id=cluster.pk, at=T0, values={(MSG, "orders"): 1.0})
    stats = store.series_record(cluster_id=cluster.pk, at=T0, values={(MSG, "orders"): 2.0})
    assert stats.skipped
    assert values(store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)) == [1.0]


def test_stale_journal_is_compacted_by_prune(cluster):
    record_polls(cluster, T0, 10)
    stats = store.series_prune(now=T0 + 3600)
    assert stats.journals_compacted == 1
    assert not SeriesFrame.objects.filter(cluster=cluster).exists()
    assert values(store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)) == [
        float(i) for i in range(10)
    ]


def test_a_rolled_back_record_does_not_poison_the_cache(cluster):
    from django.db import transaction

    store.series_record(cluster_id=cluster.pk, at=T0, values={(MSG, "orders"): 1.0})
    with pytest.raises(RuntimeError), transaction.atomic():
        store.series_record(cluster_id=cluster.pk, at=T0 + 5, values={(MSG, "orders"): 9.0})
        raise RuntimeError("poll failed after recording")
    store.series_record(cluster_id=cluster.pk, at=T0 + 10, values={(MSG, "orders"): 9.0})
    assert values(store.series_read(cluster_id=cluster.pk, kind=MSG, key="orders", since=T0)) == [1.0, 9.0]


def test_names_too_long_for_the_columns_are_skipped_not_fatal(cluster):
    stats = store.series_record(cluster_id=cluster.pk, at=T0, values={(MSG, "x" * 300): 1.0, (MSG, "ok"): 2.0})
    assert stats.new_series == 1
    assert store.series_latest(cluster_id=cluster.pk, kind=MSG) == {"ok": 2.0}
