"""Benchmark: the metric history store (monitoring/series.py) at one cluster with 10,000
topics and 2,000 groups: 2 series per topic (messages/s, bytes/s), 2 per group (lag,
lag seconds) and 2 per cluster, 24,002 series in all.

Prefills 7 days of history directly as blocks (6 days of hourly 1-minute blocks, then
24 h of raw 5-minute blocks; the --changing share of series move, the rest are flat),
then measures, at 5 s polls:

- writes: `series_record` (the poll's share; it never compacts) at three change rates
  (none, the --changing share, all), with `series_compact` called every 6 polls as the
  compact_history task does every 30 s, timed per call that wrote a block;
- reads a chart makes: one busy series for 1 h and 24 h (raw) and 7 d (1-minute), an
  idle series, 10 traces at once, the newest value of every topic;
- `series_top` (busiest topics) over 5 and 15 minutes, after 15 minutes of the --changing
  mix and again of all moving: the database scan it used to do every call (before), the
  first call of a process (cold), and one call per poll (steady);
- a long journal: 720 polls (1 h) with the compaction task stopped and the inline
  fallback disabled, the reads over it, the poll that compacts inline once the fallback is
  back, and the task catching up;
- one `series_prune` call that rolls one hour up;
- bytes per series per day: 1 h of polls recorded and compacted for real, then rolled
  up, for all-idle series, a --changing mix and always-moving series (--footprint-series
  of them), as raw blocks (kept 24 h) and 1-minute blocks (kept 7 d).

Prints p50/p95 (ms), rows and payload bytes (and WAL bytes on PostgreSQL), the database
size and the command.

    .venv/bin/python bench/series_storage.py [--topics 10000] [--groups 2000] [--changing 0.2]
        [--polls 120] [--reads 20] [--long-journal 720] [--footprint-series 2000]
        [--database-url URL] [--keep]

Default database: a fresh SQLite file in /tmp. PostgreSQL:
    python3 dev/stack.py up --name hh --postgres   # prints DATABASE_URL
    .venv/bin/python bench/series_storage.py --database-url postgres://...
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

BLOCK = 60  # ticks per raw block at the default 5 s interval
STEP = 5.0
COMPACT_EVERY = 6  # polls between compaction task runs (30 s at 5 s polls)


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def timed(fn, runs: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, result


def line(name: str, samples: list[float], extra: str = "") -> None:
    if not samples:
        print(f"{name:<52} (no samples)   {extra}")
        return
    print(f"{name:<52} p50 {percentile(samples, 50):8.1f} ms   p95 {percentile(samples, 95):8.1f} ms   {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--changing", type=float, default=0.2, help="share of series whose value moves each poll")
    parser.add_argument("--polls", type=int, default=120, help="series_record calls timed per change rate")
    parser.add_argument("--reads", type=int, default=20, help="runs of each read")
    parser.add_argument("--long-journal", type=int, default=720, help="polls recorded with no compaction at all")
    parser.add_argument("--footprint-series", type=int, default=2000, help="series per bytes-per-day profile")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in /tmp")
    parser.add_argument("--keep", action="store_true", help="keep the bench clusters' rows")
    args = parser.parse_args()

    sqlite_path = Path(f"/tmp/signalbox-bench-series-{os.getpid()}.sqlite3")
    url = args.database_url or f"sqlite:///{sqlite_path}"
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "controlplane.settings",
            "SECRET_KEY": "bench-secret",
            "FIELD_ENCRYPTION_KEY": "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=",
            "ENV_FILE": "none",
            "DATABASE_URL": url,
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.test.utils import override_settings

    from clusters.models import Cluster
    from monitoring import series as store
    from monitoring import series_compaction, series_window
    from monitoring.models import Series, SeriesBlock, SeriesChunk
    from monitoring.series_codec import pack_pairs, pack_values

    call_command("migrate", verbosity=0)
    postgres = connection.vendor == "postgresql"
    clusters = [Cluster.objects.create(name=f"bench-series-{os.getpid()}", bootstrap_servers="127.0.0.1:1")]
    cluster = clusters[0]
    try:
        rng = random.Random(7)
        names = [("cluster.messages_in_per_s", ""), ("cluster.bytes_in_per_s", "")]
        for i in range(args.topics):
            names += [("topic.messages_per_s", f"bench.topic-{i:05d}"), ("topic.bytes_per_s", f"bench.topic-{i:05d}")]
        for g in range(args.groups):
            names += [("group.lag", f"bench-group-{g:05d}"), ("group.lag_seconds", f"bench-group-{g:05d}")]
        busy = {n for n in names if rng.random() < args.changing} | set(names[:2])
        busy_topic = next(k for kind, k in sorted(busy) if kind == "topic.messages_per_s")
        idle_topic = next(k for kind, k in names if kind == "topic.messages_per_s" and (kind, k) not in busy)
        Series.objects.bulk_create(
            [Series(cluster=cluster, kind=kind, key=key, unit="1/s") for kind, key in names], batch_size=2000
        )
        ids = dict(
            ((kind, key), sid)
            for kind, key, sid in Series.objects.filter(cluster=cluster).values_list("kind", "key", "id")
        )
        busy_ids = sorted(ids[n] for n in busy)
        all_ids = sorted(ids.values())

        # ---- prefill 7 days: 6 days of hourly 1-minute blocks, then 24 h of raw blocks ----
        now = time.time()
        start_raw = now - 86400
        start_1m = start_raw - 6 * 86400
        started = time.perf_counter()
        state_blob = pack_pairs(all_ids, [float(rng.randrange(1000)) for _ in all_ids])
        chunk_rows = 0
        # Random values compress like real rates; a pool of blobs keeps the prefill fast.
        pool = [pack_values([round(rng.uniform(0, 5000), 3) for _ in range(BLOCK)]) for _ in range(256)]

        def block(resolution: str, ticks: list[float]) -> None:
            nonlocal chunk_rows
            b = SeriesBlock.objects.create(
                cluster=cluster,
                resolution=resolution,
                start=ticks[0],
                end=ticks[-1],
                count=len(ticks),
                ticks=pack_values(ticks),
                state=state_blob,
            )
            chunks = [SeriesChunk(block=b, series_id=sid, data=pool[rng.randrange(len(pool))]) for sid in busy_ids]
            SeriesChunk.objects.bulk_create(chunks, batch_size=2000)
            chunk_rows += len(chunks)

        hour = start_1m
        while hour + 3600 <= start_raw:
            block("1m", [hour + 60 * m for m in range(60)])
            hour += 3600
        t = start_raw
        while t + BLOCK * STEP <= now - STEP:
            block("raw", [t + STEP * k + rng.uniform(0, 0.05) for k in range(BLOCK)])
            t += BLOCK * STEP
        print(
            f"prefilled {len(all_ids)} series ({len(busy_ids)} moving), "
            f"{SeriesBlock.objects.filter(cluster=cluster).count()} blocks, {chunk_rows} chunks "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )

        def wal() -> int:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
                return int(cur.fetchone()[0])

        values = {n: float(rng.randrange(1000)) for n in names}
        at = t

        def poll(moving: list[tuple[str, str]], cluster_id: int = cluster.pk) -> object:
            nonlocal at
            for n in moving:
                values[n] = round(rng.uniform(0, 5000), 3)
            at += STEP
            return store.series_record(cluster_id=cluster_id, at=at, values=values)

        # The prefilled state differs from these values: write them once and compact, then time.
        for _ in range(BLOCK + 12):
            poll([])
        store.series_compact(cluster_id=cluster.pk)

        # ---- writes: the poll's part, and the compaction task's ---------------------------
        print(f"\n{len(names)} series per poll ({args.topics} topics x 2, {args.groups} groups x 2, cluster x 2)")
        print(f"series_compact runs every {COMPACT_EVERY} polls, as the compact_history task every 30 s")
        mixes = (("no value moves", 0.0), (f"{args.changing:.0%} move", args.changing), ("all move", 1.0))
        for label, share in mixes:
            moving = [n for n in names if rng.random() < share] if share < 1 else names
            samples, rows, payload, wal_bytes, inline = [], 0, 0, 0, 0
            compactions, block_rows, block_bytes, block_wal = [], 0, 0, 0
            for i in range(args.polls):
                before = wal() if postgres else 0
                t0 = time.perf_counter()
                stats = poll(moving)
                samples.append((time.perf_counter() - t0) * 1000)
                wal_bytes += (wal() - before) if postgres else 0
                rows, payload, inline = (
                    rows + stats.rows_written,
                    payload + stats.bytes_written,
                    inline + stats.compacted,
                )
                if (i + 1) % COMPACT_EVERY == 0:
                    before = wal() if postgres else 0
                    t0 = time.perf_counter()
                    done = store.series_compact(cluster_id=cluster.pk)
                    if done.blocks:
                        compactions.append((time.perf_counter() - t0) * 1000)
                        block_rows, block_bytes = block_rows + done.rows_written, block_bytes + done.bytes_written
                        block_wal += (wal() - before) if postgres else 0
            line(
                f"series_record (the poll), {label}",
                samples,
                f"max {max(samples):.0f} ms; per poll: {rows / args.polls:.0f} rows, "
                f"{payload / args.polls / 1024:.1f} KiB payload"
                + (f", {wal_bytes / args.polls / 1024:.1f} KiB WAL" if postgres else "")
                + f"; {inline} inline compactions",
            )
            blocks = max(1, len(compactions))
            line(
                f"series_compact (task), {label}",
                compactions,
                f"max {max(compactions, default=0):.0f} ms; {len(compactions)} calls that wrote a block; per block: "
                f"{block_rows / blocks:.0f} rows, {block_bytes / blocks / 1024:.0f} KiB payload"
                + (f", {block_wal / blocks / 1024:.0f} KiB WAL" if postgres else ""),
            )

        # ---- reads ---------------------------------------------------------------------
        print()
        kind = "topic.messages_per_s"
        mix = [n for n in names if rng.random() < args.changing]

        def read(key: str, seconds: float) -> object:
            return store.series_read(cluster_id=cluster.pk, kind=kind, key=key, since=at - seconds)

        def reads(note: str) -> None:
            for label, key, seconds in (
                ("1 h, moving series (raw)", busy_topic, 3600),
                ("24 h, moving series (raw)", busy_topic, 86400),
                ("7 d, moving series (1m)", busy_topic, 7 * 86400),
                ("1 h, flat series", idle_topic, 3600),
                ("7 d, flat series", idle_topic, 7 * 86400),
            ):
                if note and seconds > 3600:
                    continue
                samples, data = timed(lambda key=key, seconds=seconds: read(key, seconds), args.reads)
                line(f"series_read {label}{note}", samples, f"{len(data.points)} points, {data.resolution}")
            keys = [k for kk, k in sorted(busy) if kk == kind][:10]
            samples, many = timed(
                lambda: store.series_read_many(cluster_id=cluster.pk, kind=kind, keys=keys, since=at - 3600),
                args.reads,
            )
            line(
                f"series_read_many 10 traces, 1 h{note}", samples, f"{sum(len(d.points) for d in many.values())} points"
            )

        journal = len(store._states[cluster.pk].ticks)
        reads("")
        store._states.clear()
        cold, latest = timed(lambda: store.series_latest(cluster_id=cluster.pk, kind=kind), 1)
        samples, latest = timed(lambda: store.series_latest(cluster_id=cluster.pk, kind=kind), args.reads)
        line("series_latest topics (cached)", samples, f"{len(latest)} keys; cold {cold[0]:.0f} ms")
        print(f"(journal: {journal} polls, as the compaction task leaves it)")

        # ---- series_top: the database scan, the first call of a process, one call per poll ----
        print()

        def top(seconds: float, limit: int = 10) -> list[tuple[str, float]]:
            return store.series_top(cluster_id=cluster.pk, kind=kind, since=at - seconds, limit=limit)

        def scan(seconds: float) -> list[tuple[str, float]]:
            keep, series_window.WINDOW_MAX_S = series_window.WINDOW_MAX_S, 0.0  # every window "too long"
            try:
                return top(seconds)
            finally:
                series_window.WINDOW_MAX_S = keep

        for label, moving in ((f"{args.changing:.0%} move", mix), ("all move", names)):
            for i in range(180):  # 15 minutes of this mix first, so the windows hold only it
                poll(moving)
                if (i + 1) % COMPACT_EVERY == 0:
                    store.series_compact(cluster_id=cluster.pk)
            for minutes in (5, 15):
                samples, scanned = timed(lambda minutes=minutes: scan(60 * minutes), 5)
                line(f"series_top {minutes} min, {label}: database scan (before)", samples, f"{len(scanned)} keys")
                cold = []
                for _ in range(3):
                    series_window._windows.clear()
                    cold += timed(lambda minutes=minutes: top(60 * minutes), 1)[0]
                line(f"series_top {minutes} min, {label}: first call (cold)", cold)
            steady: dict[int, list[float]] = {5: [], 15: []}
            for i in range(60):  # a dashboard asking after every poll, both windows; compaction as the task
                poll(moving)
                if (i + 1) % COMPACT_EVERY == 0:
                    store.series_compact(cluster_id=cluster.pk)
                for minutes in steady:
                    steady[minutes] += timed(lambda minutes=minutes: top(60 * minutes), 1)[0]
            same = True
            for minutes in steady:
                same &= [k for k, _ in top(60 * minutes)] == [k for k, _ in scan(60 * minutes)]
                line(f"series_top {minutes} min, {label}: one call per poll", steady[minutes])
            print(f"(top 10 identical to the database scan: {'yes' if same else 'NO'})")

        # ---- a long journal: the task stopped, the fallback too --------------------------
        print()
        fallback_limit = store.JOURNAL_MAX_TICKS
        store.JOURNAL_MAX_TICKS = 10**9
        store.series_compact(cluster_id=cluster.pk)
        started = time.perf_counter()
        for _ in range(args.long_journal):
            poll(mix)
        journal = len(store._states[cluster.pk].ticks)
        print(
            f"{args.long_journal} polls with no compaction in {time.perf_counter() - started:.0f} s "
            f"({args.changing:.0%} move); journal: {journal} polls",
            file=sys.stderr,
        )
        note = f", journal of {journal} polls"
        reads(note)
        series_window._windows.clear()
        cold, _ = timed(lambda: top(900), 1)
        samples, _ = timed(lambda: top(900), 5)
        line(f"series_top topics, 15 min{note}", samples, f"cold {cold[0]:.0f} ms")
        store.JOURNAL_MAX_TICKS = fallback_limit
        samples, stats = timed(lambda: poll(mix), 1)
        line(
            f"series_record with the inline fallback (> {fallback_limit})",
            samples,
            f"compacted one block inline: {stats.compacted}",
        )
        calls, blocks = [], 0
        while True:
            t0 = time.perf_counter()
            done = store.series_compact(cluster_id=cluster.pk)
            calls.append((time.perf_counter() - t0) * 1000)
            blocks += done.blocks
            if not done.more:
                break
        line(
            "series_compact catching up (per call)",
            calls,
            f"{len(calls)} calls, {blocks} blocks, budget {series_compaction.COMPACT_BUDGET_S:.0f} s a call",
        )

        # ---- prune: one hour of raw blocks rolled up -------------------------------------
        print()
        with override_settings(METRICS_RAW_RETENTION_S=86400 - 3600 - 300):
            samples, pruned = timed(lambda: store.series_prune(now=at), 1)
        line("series_prune (roll up 1 h)", samples, str(pruned))

        # ---- bytes per series per day ----------------------------------------------------
        print(f"\nbytes per series per day at {STEP:.0f} s polls (payload: blobs, plus 48 B a block row, 24 B a chunk)")
        for label, share in (("idle", 0.0), (f"{args.changing:.0%}-moving mix", args.changing), ("always moving", 1.0)):
            footprint = Cluster.objects.create(name=f"bench-bytes-{os.getpid()}-{share}", bootstrap_servers="h:1")
            clusters.append(footprint)
            count = args.footprint_series
            keys = [("topic.messages_per_s", f"t{i:05d}") for i in range(count)]
            values.update({k: float(rng.randrange(1000)) for k in keys})
            moving = [k for k in keys if rng.random() < share] if share < 1 else keys
            hour_start = (int(at // 3600) + 2) * 3600.0
            first = -2 * BLOCK  # two blocks before the hour: series appear (a chunk each) outside it
            for i in range(first, 720 + 12):  # the hour, and the minute of newer polls its last block waits for
                for n in moving:
                    values[n] = round(rng.uniform(0, 5000), 3)
                at = hour_start + i * STEP
                store.series_record(cluster_id=footprint.pk, at=at, values={k: values[k] for k in keys})
                if (i - first + 1) % COMPACT_EVERY == 0:
                    store.series_compact(cluster_id=footprint.pk)

            def measure(resolution: str, pk: int = footprint.pk, hour: float = hour_start, n: int = count) -> tuple:
                blocks = SeriesBlock.objects.filter(
                    cluster_id=pk, resolution=resolution, start__gte=hour, start__lt=hour + 3600
                )
                size = sum(len(ticks) + len(state) + 48 for ticks, state in blocks.values_list("ticks", "state"))
                chunks = SeriesChunk.objects.filter(block__in=blocks).values_list("data", flat=True)
                size += sum(len(data) + 24 for data in chunks)
                rows = blocks.count() + chunks.count()
                return size * 24 / n, rows * 24 / n

            raw, raw_rows = measure("raw")
            with transaction.atomic():  # what series_prune does to this hour, without touching the other clusters
                series_compaction._roll_up_hour(footprint.pk, hour_start)
            rolled, rolled_rows = measure("1m")
            print(
                f"  {label:<22} raw {raw / 1024:7.2f} KiB/day ({raw_rows:6.1f} rows)   "
                f"1-minute {rolled / 1024:6.2f} KiB/day ({rolled_rows:5.1f} rows)   "
                f"kept (24 h raw + 6 d 1-minute): {(raw + 6 * rolled) / 1024:7.1f} KiB"
            )
        print(f"  ({args.footprint_series} series per profile share each block's tick list and row)")

        if postgres:
            with connection.cursor() as cur:
                cur.execute(
                    "SELECT sum(pg_total_relation_size(c.oid)) FROM pg_class c "
                    "WHERE c.relname LIKE 'monitoring_series%%' AND c.relkind = 'r'"
                )
                size = int(cur.fetchone()[0])
        else:
            size = sqlite_path.stat().st_size
        print(f"\ndatabase size of the history tables ({connection.vendor}): {size / 2**20:.0f} MiB")
        print("command: " + " ".join([".venv/bin/python", "bench/series_storage.py", *sys.argv[1:]]))
    finally:
        if args.keep:
            print(f"kept clusters {[c.pk for c in clusters]} in {url.split('@')[-1]}", file=sys.stderr)
        elif args.database_url:
            Cluster.objects.filter(pk__in=[c.pk for c in clusters]).delete()
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
