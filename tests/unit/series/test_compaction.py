"""Compaction out of the poll (against the database, no Kafka): series_record only appends
the journal, series_compact moves full blocks, reads stay right across a long journal,
and the recorder compacts inline only when the journal is far too long."""

import logging

import pytest

from clusters.models import Cluster
from monitoring import series as store
from monitoring import series_compaction, series_window
from monitoring.models import SeriesBlock, SeriesChunk, SeriesFrame

pytestmark = pytest.mark.django_db

T0 = 1_699_999_200.0
MSG = "topic.messages_per_s"


def poll_value(i, key):
    """'busy' changes every poll, 'flat' never, 'gappy' misses every 7th poll."""
    if key == "busy":
        return float(i)
    if key == "gappy":
        return None if i % 7 == 0 else 3.0
    return 42.0


def record(cluster, start_index, count, step=5.0):
    stats = []
    for i in range(start_index, start_index + count):
        stats.append(
            store.series_record(
                cluster_id=cluster.pk,
                at=T0 + i * step,
                values={(MSG, key): poll_value(i, key) for key in ("busy", "flat", "gappy")},
            )
        )
    return stats


def journal_ticks(cluster):
    return sorted(set(SeriesFrame.objects.filter(cluster=cluster).values_list("at", flat=True)))


def read(cluster, key, since=T0, until=None):
    return store.series_read(
        cluster_id=cluster.pk, kind=MSG, key=key, since=since, until=until, max_points=10_000
    ).points


def expected(key, count, step=5.0):
    return [(T0 + i * step, poll_value(i, key)) for i in range(count)]


def test_record_only_appends_and_the_compaction_moves_full_blocks(cluster):
    stats = record(cluster, 0, 150)
    assert not any(s.compacted for s in stats)
    assert not SeriesBlock.objects.filter(cluster=cluster).exists()
    assert len(journal_ticks(cluster)) == 150
    assert store.series_compact_pending() == [cluster.pk]

    done = store.series_compact(cluster_id=cluster.pk)

    assert (done.clusters, done.blocks, done.ticks, done.more) == (1, 2, 120, False)
    assert done.rows_written == 2 + SeriesChunk.objects.filter(block__cluster=cluster).count()
    blocks = list(SeriesBlock.objects.filter(cluster=cluster).order_by("start").values_list("start", "end", "count"))
    assert blocks == [(T0, T0 + 59 * 5, 60), (T0 + 60 * 5, T0 + 119 * 5, 60)]
    assert journal_ticks(cluster) == [T0 + i * 5 for i in range(120, 150)]
    assert store.series_compact_pending() == []
    assert store.series_compact(cluster_id=cluster.pk).blocks == 0  # the 30 newest polls wait for a full block
    for key in ("busy", "flat", "gappy"):
        assert read(cluster, key) == expected(key, 150)


def test_compaction_of_every_cluster_and_by_time(cluster):
    slow = Cluster.objects.create(name="slow", bootstrap_servers="h:9092")
    record(cluster, 0, 72)  # a full block and the minute of polls it waits for
    record(slow, 0, 7, step=60.0)  # one poll a minute: 300 s pass at the 6th poll, a minute more at the 7th
    assert sorted(store.series_compact_pending()) == sorted([cluster.pk, slow.pk])

    done = store.series_compact()

    assert (done.clusters, done.blocks) == (2, 2)
    assert SeriesBlock.objects.get(cluster=slow).count == 6
    assert journal_ticks(slow) == [T0 + 6 * 60]
    assert read(slow, "busy") == expected("busy", 7, step=60.0)


def test_a_block_waits_for_a_minute_of_newer_polls(cluster):
    record(cluster, 0, 71)  # 11 polls (55 s) after the first 60
    assert store.series_compact(cluster_id=cluster.pk).blocks == 0
    record(cluster, 71, 1)
    assert store.series_compact(cluster_id=cluster.pk).blocks == 1
    assert journal_ticks(cluster) == [T0 + i * 5 for i in range(60, 72)]


def test_one_call_is_bounded_but_always_makes_progress(cluster, monkeypatch):
    record(cluster, 0, 200)
    monkeypatch.setattr(series_compaction, "COMPACT_BUDGET_S", 0.0)
    first = store.series_compact(cluster_id=cluster.pk)
    assert (first.blocks, first.more) == (1, True)
    while store.series_compact(cluster_id=cluster.pk).more:
        pass
    assert SeriesBlock.objects.filter(cluster=cluster).count() == 3
    assert read(cluster, "busy") == expected("busy", 200)


def test_reads_across_a_long_journal_match_the_compacted_history(cluster, monkeypatch):
    monkeypatch.setattr(store, "JOURNAL_MAX_TICKS", 10**6)  # the compaction task and the fallback both off
    record(cluster, 0, 720)
    assert len(journal_ticks(cluster)) == 720
    last = T0 + 719 * 5
    window = (last - 3600, last - 1800)
    before = {key: read(cluster, key) for key in ("busy", "flat", "gappy")}
    for key in before:
        assert before[key] == expected(key, 720)
    part = read(cluster, "busy", *window)
    assert part == [(t, v) for t, v in expected("busy", 720) if window[0] <= t <= window[1]]
    top = store.series_top(cluster_id=cluster.pk, kind=MSG, since=last - 900, limit=3)

    while store.series_compact(cluster_id=cluster.pk).more:
        pass

    assert SeriesBlock.objects.filter(cluster=cluster).count() == 11  # the newest block waits for newer polls
    assert len(journal_ticks(cluster)) == 60
    for key in before:
        assert read(cluster, key) == before[key]
    assert read(cluster, "busy", *window) == part
    series_window._windows.clear()
    again = store.series_top(cluster_id=cluster.pk, kind=MSG, since=last - 900, limit=3)
    assert [k for k, _ in again] == [k for k, _ in top] == ["busy", "flat", "gappy"]
    assert [v for _, v in again] == pytest.approx([v for _, v in top], rel=1e-12)


def test_the_recorder_compacts_inline_when_the_journal_is_far_too_long(cluster, caplog):
    limit = store.JOURNAL_MAX_TICKS
    assert limit == 4 * store.BLOCK_TICKS
    stats = record(cluster, 0, limit - 1)
    assert not any(s.compacted for s in stats)
    assert not SeriesBlock.objects.filter(cluster=cluster).exists()

    with caplog.at_level(logging.WARNING, logger="monitoring.series"):
        (stat,) = record(cluster, limit - 1, 1)

    assert stat.compacted
    assert stat.rows_written > 1  # the poll's journal row plus the block and its chunks
    assert list(SeriesBlock.objects.filter(cluster=cluster).values_list("count", flat=True)) == [store.BLOCK_TICKS]
    assert len(journal_ticks(cluster)) == limit - store.BLOCK_TICKS
    assert "compact_history" in caplog.text and str(limit) in caplog.text
    (next_stat,) = record(cluster, limit, 1)  # back under the limit: no more inline work
    assert not next_stat.compacted
    assert read(cluster, "busy") == expected("busy", limit + 1)


def test_inline_compaction_failure_never_costs_the_poll(cluster, monkeypatch, caplog):
    monkeypatch.setattr(store, "JOURNAL_MAX_TICKS", 5)

    def broken(cluster_id, *, partial=False):
        raise RuntimeError("disk full")

    monkeypatch.setattr(store, "compact_block", broken)
    stats = record(cluster, 0, 8)
    assert not any(s.compacted for s in stats)
    assert "inline compaction failed" in caplog.text
    assert read(cluster, "busy") == expected("busy", 8)


def test_prune_compacts_a_long_stale_journal_in_whole_blocks(cluster, monkeypatch):
    monkeypatch.setattr(store, "JOURNAL_MAX_TICKS", 10**6)
    record(cluster, 0, 130)
    stats = store.series_prune(now=T0 + 3600)
    assert stats.journals_compacted == 1
    counts = list(SeriesBlock.objects.filter(cluster=cluster).order_by("start").values_list("count", flat=True))
    assert counts == [60, 60, 10]
    assert not SeriesFrame.objects.filter(cluster=cluster).exists()
    assert read(cluster, "gappy") == expected("gappy", 130)


def test_a_cached_recorder_follows_a_compaction_made_elsewhere(cluster):
    record(cluster, 0, 75)
    state = store._states[cluster.pk]
    assert store.series_compact(cluster_id=cluster.pk).blocks == 1  # as the task would, in another process
    record(cluster, 75, 1)
    assert store._states[cluster.pk] is state  # brought forward, not rebuilt
    assert state.ticks == [T0 + i * 5 for i in range(60, 76)]
    store._states.clear()
    record(cluster, 76, 1)  # a recorder that never saw the journal rebuilds from the block
    assert read(cluster, "busy") == expected("busy", 77)
    assert store.series_latest(cluster_id=cluster.pk, kind=MSG) == {"busy": 76.0, "flat": 42.0, "gappy": 3.0}
