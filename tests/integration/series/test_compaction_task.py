"""Compaction outside the poll, against the real database (transactions committed, one
connection per thread) and the real Redis: recording and compacting one cluster at the
same time keep every poll exactly once, two compactions of the same polls write one
block, and the compact_history task takes its per-cluster lock."""

import itertools
import threading
import time

import pytest
from django.db import connection, connections, transaction

from clusters.models import Cluster
from controlplane.celery import app as celery_app
from monitoring import series as store
from monitoring import series_window
from monitoring.models import SeriesBlock, SeriesFrame
from monitoring.series_compaction import CompactConflict, compact_block
from monitoring.tasks import _conn, compact_history, prune_history

pytestmark = pytest.mark.django_db(transaction=True)

MSG = "topic.messages_per_s"


@pytest.fixture(autouse=True)
def _fresh_cache():
    store._states.clear()
    series_window._windows.clear()
    yield
    store._states.clear()
    series_window._windows.clear()


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name=f"series-{time.monotonic_ns()}", bootstrap_servers="h:9092")


def values(i):
    return {(MSG, "counter"): float(i), (MSG, "double"): 2.0 * i, (MSG, "idle"): 7.0}


def in_thread(target, errors):
    """Run target on its own database connection, keeping any exception for the test."""

    def run():
        try:
            target()
        except BaseException as exc:  # reported by the test, not lost in the thread
            errors.append(exc)
        finally:
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    return thread


def assert_every_poll_once(cluster, start, count):
    blocks = list(SeriesBlock.objects.filter(cluster=cluster).order_by("start").values_list("start", "end"))
    for (_, end), (next_start, _) in itertools.pairwise(blocks):
        assert end < next_start  # blocks never overlap
    if blocks:
        assert not SeriesFrame.objects.filter(cluster=cluster, at__lte=blocks[-1][1]).exists()
    points = store.series_read(cluster_id=cluster.pk, kind=MSG, key="counter", since=start, max_points=10**6).points
    assert points == [(start + 5.0 * i, float(i)) for i in range(count)]


def test_recording_while_compacting_keeps_every_poll_once(cluster):
    start, count = time.time() - 3 * 3600, 400
    errors: list[BaseException] = []
    recorded = threading.Event()
    blocks_written = []

    def record():
        try:
            for i in range(count):
                stats = store.series_record(cluster_id=cluster.pk, at=start + 5.0 * i, values=values(i))
                assert not stats.skipped
                time.sleep(0.002)  # polls come apart; back to back they can starve SQLite's other writer
        finally:
            recorded.set()

    def compact():
        while not recorded.is_set():
            blocks_written.append(store.series_compact(cluster_id=cluster.pk).blocks)
            time.sleep(0.02)

    threads = [in_thread(record, errors), in_thread(compact, errors)]
    for thread in threads:
        thread.join(timeout=120)
    assert not errors, errors
    assert sum(blocks_written) >= 4  # compactions really ran while the polls were recorded
    store.series_compact(cluster_id=cluster.pk)
    assert SeriesBlock.objects.filter(cluster=cluster).count() == 6  # the 7th waits for newer polls
    assert_every_poll_once(cluster, start, count)
    latest = store.series_latest(cluster_id=cluster.pk, kind=MSG)
    assert latest == {"counter": count - 1.0, "double": 2.0 * (count - 1), "idle": 7.0}


def test_two_compactions_of_the_same_polls_write_one_block(cluster):
    start = time.time() - 3600
    for i in range(75):
        store.series_record(cluster_id=cluster.pk, at=start + 5.0 * i, values=values(i))
    errors: list[BaseException] = []
    first_done, release = threading.Event(), threading.Event()
    outcome = {}

    def first():
        with transaction.atomic():  # holds its compaction uncommitted until released
            outcome["first"] = compact_block(cluster.pk)
            first_done.set()
            release.wait(30)

    def second():
        try:
            outcome["second"] = compact_block(cluster.pk)
        except CompactConflict:
            outcome["second"] = "conflict"

    one = in_thread(first, errors)
    assert first_done.wait(30)
    two = in_thread(second, errors)
    time.sleep(1.0)  # the second is now waiting: for the row locks (PostgreSQL) or the write lock (SQLite)
    release.set()
    one.join(60)
    two.join(60)
    assert not errors, errors
    assert outcome["first"][0] == 60
    # PostgreSQL: the second read the same rows and rolled back; SQLite: it waited, then found no full block.
    assert outcome["second"] == ("conflict" if connection.vendor == "postgresql" else None)
    assert SeriesBlock.objects.filter(cluster=cluster).count() == 1
    assert_every_poll_once(cluster, start, 75)


def test_compact_history_takes_the_cluster_lock(cluster):
    start = time.time() - 3600
    for i in range(75):
        store.series_record(cluster_id=cluster.pk, at=start + 5.0 * i, values=values(i))
    lock = _conn().lock(f"signalbox:compact-lock:{cluster.pk}", timeout=30)
    assert lock.acquire(blocking=False)
    try:
        busy = compact_history()
    finally:
        lock.release()
    assert busy["skipped"] >= 1
    assert not SeriesBlock.objects.filter(cluster=cluster).exists()

    done = compact_history()

    assert done["blocks"] >= 1
    assert SeriesBlock.objects.filter(cluster=cluster).count() == 1
    assert not _conn().exists(f"signalbox:compact-lock:{cluster.pk}")  # released after use
    assert_every_poll_once(cluster, start, 75)


def test_prune_history_compacts_journals_first(cluster):
    start = time.time() - 3600  # an hour ago, then the cluster stopped polling
    for i in range(140):
        store.series_record(cluster_id=cluster.pk, at=start + 5.0 * i, values=values(i))

    prune_history()

    counts = list(SeriesBlock.objects.filter(cluster=cluster).order_by("start").values_list("count", flat=True))
    assert counts == [60, 60, 20]  # full blocks by the compaction, the stale rest by the prune
    assert not SeriesFrame.objects.filter(cluster=cluster).exists()
    assert_every_poll_once(cluster, start, 140)


def test_beat_compacts_every_30_s_and_drops_stale_runs():
    entry = celery_app.conf.beat_schedule["compact-metric-history"]
    assert entry["task"] == "monitoring.tasks.compact_history"
    assert entry["schedule"] == 30.0
    assert entry["options"]["expires"] == 30
    assert "monitoring.tasks.compact_history" in celery_app.tasks
