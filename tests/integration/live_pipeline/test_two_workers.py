"""Two Celery workers and two beats at once, one cluster polled every second, for a
quarter of a minute: the product's poll journal shows no two polls of the cluster
overlapping in time (the per-cluster Redis lock), and about one poll per interval, not
two (the dispatcher's NX "due" mark: a second beat queues nothing extra). Both beats
are checked to have really dispatched during the run, so the test does exercise them."""

from __future__ import annotations

import collections
import itertools
import re
import time

import pytest

from tests.integration.live_pipeline.live import journal_since

pytestmark = pytest.mark.django_db(transaction=True)

POLL_S = 1
RUN_S = 15.0
DISPATCH_LINE = "Sending due task dispatch-cluster-polls"


def test_two_workers_two_beats_poll_once_per_interval(stack_env, make_cluster, start_pipeline):
    cluster = make_cluster(stack_env["KAFKA_BOOTSTRAP"], POLL_S)
    procs = start_pipeline(workers=("pipe-w1", "pipe-w2"), beats=2)
    dispatched_before = [p.log.read_text(errors="replace").count(DISPATCH_LINE) for p in procs.beats]

    started = time.time()
    time.sleep(RUN_S)
    ended = time.time()
    time.sleep(2)  # a poll started inside the run journals when it finishes

    dispatched = [
        p.log.read_text(errors="replace").count(DISPATCH_LINE) - n
        for p, n in zip(procs.beats, dispatched_before, strict=True)
    ]
    polls = journal_since(cluster.pk, 0)
    inside = [p for p in polls if started <= p["started"] <= ended]
    elapsed = ended - started
    expected = elapsed / POLL_S
    by_worker = collections.Counter(p["worker"].rsplit(":", 1)[0] for p in inside)  # host:pid
    gaps = [round(b["started"] - a["started"], 2) for a, b in itertools.pairwise(inside)]
    logs = "".join(p.log.read_text(errors="replace") for p in procs.workers)
    skipped = len(re.findall(r"'outcome': 'skipped'", logs))
    print(
        f"\n{len(inside)} polls in {elapsed:.1f} s (expected about {expected:.0f}); by worker {dict(by_worker)}; "
        f"gaps between starts {gaps}; beat dispatch ticks {dispatched}; polls skipped by the lock {skipped}; "
        f"durations ms {[p['duration_ms'] for p in inside]}"
    )

    assert all(n >= RUN_S / 2 for n in dispatched), f"a beat did not tick during the run: {dispatched}"
    assert all(p["outcome"] == "ok" for p in inside), [p for p in inside if p["outcome"] != "ok"]
    # No two polls of the cluster at once, over the whole run (sorted by start).
    for earlier, later in itertools.pairwise(polls):
        assert later["started"] >= earlier["finished"], f"overlapping polls: {earlier} and {later}"
    # About one poll per interval: two beats do not double it.
    assert 0.5 * expected <= len(inside) <= 1.1 * expected, f"{len(inside)} polls in {elapsed:.1f} s"
    assert procs.alive(), procs.logs()
