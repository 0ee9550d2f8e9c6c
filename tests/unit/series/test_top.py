"""series_top served from the per-process window (monitoring/series_window.py) against a
brute-force average of what series_read returns, through every way the window changes:
new polls, compactions it saw and did not see, longer windows, roll-ups, new series."""

import random

import pytest

from monitoring import series as store
from monitoring import series_window
from monitoring.models import Series

pytestmark = pytest.mark.django_db

T0 = 1_699_999_200.0
MSG = "topic.messages_per_s"
LAG = "group.lag"


def brute_top(cluster, kind, since, limit):
    """Average of the known values at polls from `since` on, straight from series_read."""
    keys = list(Series.objects.filter(cluster=cluster, kind=kind).values_list("key", flat=True))
    data = store.series_read_many(cluster_id=cluster.pk, kind=kind, keys=keys, since=since, max_points=10**6)
    means = {}
    for key, series in data.items():
        known = [v for t, v in series.points if t >= since and v is not None]
        if known:
            means[key] = sum(known) / len(known)
    return sorted(means.items(), key=lambda kv: (-kv[1], kv[0]))[:limit]


def assert_same(top, brute):
    assert [k for k, _ in top] == [k for k, _ in brute]
    assert [v for _, v in top] == pytest.approx([v for _, v in brute], rel=1e-12)


class Traffic:
    """40 topics: some busy (random), some idle (integer constants, ties included), some
    with gaps, some that appear late or vanish; and 5 groups of another kind."""

    def __init__(self, cluster, seed=3):
        self.cluster, self.rng, self.i = cluster, random.Random(seed), 0
        self.values = {}

    def values_at(self, i):
        out = {}
        for t in range(40):
            key = f"topic-{t:02d}"
            if t < 12:
                out[(MSG, key)] = round(self.rng.uniform(0, 1000), 3)
            elif t < 24:
                out[(MSG, key)] = float(t % 4)  # idle, equal values: ties broken by key
            elif t < 30:
                out[(MSG, key)] = None if (i // 9) % 3 == 0 else float(t * 10 + i % 5)
            elif t < 35 and i > 90:
                out[(MSG, key)] = 2000.0 + t  # new topics, busiest of all once they exist
            elif t >= 35 and i < 50:
                out[(MSG, key)] = 5000.0  # topics that go away
        for g in range(5):
            out[(LAG, f"group-{g}")] = float(self.rng.randrange(100))
        return out

    def polls(self, count, compact_every=6):
        for _ in range(count):
            store.series_record(cluster_id=self.cluster.pk, at=self.now() + 5.0, values=self.values_at(self.i))
            self.i += 1
            if compact_every and self.i % compact_every == 0:
                store.series_compact(cluster_id=self.cluster.pk)

    def now(self):
        return T0 + (self.i - 1) * 5.0


def check(traffic, seconds, limit=10, kind=MSG):
    since = traffic.now() - seconds
    top = store.series_top(cluster_id=traffic.cluster.pk, kind=kind, since=since, limit=limit)
    assert_same(top, brute_top(traffic.cluster, kind, since, limit))
    return top


def test_top_matches_brute_force_as_the_window_moves(cluster):
    traffic = Traffic(cluster)
    traffic.polls(30)
    for seconds in (60, 100, 145, 1000):  # inside the journal, all of it, longer than the history
        check(traffic, seconds)
    for _ in range(40):  # a call per poll: the window follows every poll and compaction
        traffic.polls(3)
        check(traffic, 300)
        check(traffic, 900, limit=40)
    check(traffic, 300, kind=LAG, limit=3)
    check(traffic, 17)  # a window inside a block already held
    check(traffic, 10**5, limit=40)  # before the first poll


def test_top_called_every_poll_takes_blocks_from_its_own_copy(cluster, monkeypatch):
    traffic = Traffic(cluster)
    traffic.polls(6)
    check(traffic, 900, limit=40)

    def no_block_reads(window, rows):
        raise AssertionError("the window read a block it held all the polls of")

    monkeypatch.setattr(series_window, "_load_blocks", no_block_reads)
    for _ in range(150):
        traffic.polls(1)
        check(traffic, 900, limit=40)
    assert len(series_window._windows[(cluster.pk, MSG)].blocks) >= 2


def test_top_matches_after_compactions_the_window_never_saw(cluster, monkeypatch):
    traffic = Traffic(cluster)
    traffic.polls(100)
    check(traffic, 900)
    traffic.polls(130, compact_every=0)  # the task was down; one compaction then takes it all
    while store.series_compact(cluster_id=cluster.pk).more:
        pass
    build = series_window._build
    monkeypatch.setattr(series_window, "_build", None)  # the blocks it holds stay: no reading from scratch
    check(traffic, 900)
    monkeypatch.setattr(series_window, "_build", build)
    traffic.polls(61, compact_every=61)
    check(traffic, 900, limit=40)
    check(traffic, 2400, limit=40)  # longer than held: read again


def scanned_top(cluster, kind, since, limit, monkeypatch):
    """series_top the way it reads windows longer than the cache keeps: from the database."""
    with monkeypatch.context() as patch:
        patch.setattr(series_window, "WINDOW_MAX_S", 0.0)
        return store.series_top(cluster_id=cluster.pk, kind=kind, since=since, limit=limit)


def test_top_follows_a_roll_up_and_new_series(cluster, settings, monkeypatch):
    settings.METRICS_RAW_RETENTION_S = 30
    traffic = Traffic(cluster)
    traffic.polls(720)  # one hour
    check(traffic, 2400)  # the window holds raw blocks of the first hour
    stats = store.series_prune(now=traffic.now() + 60)
    assert stats.hours_rolled_up == 1  # ...which are now one block of 1-minute averages
    traffic.polls(6)
    since = traffic.now() - 1000
    top = store.series_top(cluster_id=cluster.pk, kind=MSG, since=since, limit=40)
    assert_same(top, scanned_top(cluster, MSG, since, 40, monkeypatch))  # minute points count as one poll each
    store.series_record(
        cluster_id=cluster.pk, at=traffic.now() + 5, values={**traffic.values_at(traffic.i), (MSG, "brand-new"): 1e6}
    )
    traffic.i += 1
    since = traffic.now() - 300
    top = store.series_top(cluster_id=cluster.pk, kind=MSG, since=since, limit=3)
    assert top[0] == ("brand-new", 1e6)
    assert_same(top, scanned_top(cluster, MSG, since, 3, monkeypatch))


def test_the_window_and_the_database_scan_agree(cluster, monkeypatch):
    traffic = Traffic(cluster)
    traffic.polls(250)
    since = traffic.now() - 900
    cached = store.series_top(cluster_id=cluster.pk, kind=MSG, since=since, limit=40)
    assert series_window._windows  # served from memory
    assert_same(cached, scanned_top(cluster, MSG, since, 40, monkeypatch))
    series_window._windows.clear()
    assert_same(cached, scanned_top(cluster, MSG, since, 40, monkeypatch))  # and when nothing is cached


def test_least_recently_used_windows_go(cluster, monkeypatch):
    monkeypatch.setattr(series_window, "WINDOWS_MAX", 1)
    traffic = Traffic(cluster)
    traffic.polls(70)
    check(traffic, 300)
    check(traffic, 300, kind=LAG, limit=3)
    assert list(series_window._windows) == [(cluster.pk, LAG)]
    traffic.polls(7)
    check(traffic, 300)


def test_no_history_and_unknown_kinds(cluster):
    assert store.series_top(cluster_id=cluster.pk, kind=MSG, since=T0) == []
    Traffic(cluster).polls(10)
    assert store.series_top(cluster_id=cluster.pk, kind="nope", since=T0) == []
    assert store.series_top(cluster_id=cluster.pk, kind=MSG, since=T0 + 10**6) == []
