"""Benchmark: the metric history store (monitoring/series.py) at one cluster with 10,000
topics and 2,000 groups: 2 series per topic (messages/s, bytes/s), 2 per group (lag,
lag seconds) and 2 per cluster, 24,002 series in all.

Prefills 7 days of history directly as blocks (6 days of hourly 1-minute blocks, then
24 h of raw 5-minute blocks; the --changing share of series move, the rest are flat),
then times `series_record` for consecutive 5 s polls at three change rates (none, the
--changing share, all), and the reads a chart makes: one busy series for 1 h and 24 h
(raw) and 7 d (1-minute), an idle series, 10 traces at once, the top topics over 5
minutes, the newest value of every topic, and one `series_prune` call that rolls one
hour up. Prints rows and payload bytes per poll (and WAL bytes on PostgreSQL), p50/p95,
the database size, and the command.

    .venv/bin/python bench/series_storage.py [--topics 10000] [--groups 2000] [--changing 0.2]
        [--polls 120] [--reads 20] [--database-url URL] [--keep]

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

BLOCK = 60  # ticks per raw block, as the recorder compacts at the default 5 s interval
STEP = 5.0


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
    print(f"{name:<46} p50 {percentile(samples, 50):8.1f} ms   p95 {percentile(samples, 95):8.1f} ms   {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--changing", type=float, default=0.2, help="share of series whose value moves each poll")
    parser.add_argument("--polls", type=int, default=120, help="series_record calls timed per change rate")
    parser.add_argument("--reads", type=int, default=20, help="runs of each read")
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file in /tmp")
    parser.add_argument("--keep", action="store_true", help="keep the bench cluster's rows")
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
    from django.db import connection

    from clusters.models import Cluster
    from monitoring import series as store
    from monitoring.models import Series, SeriesBlock, SeriesChunk

    call_command("migrate", verbosity=0)
    postgres = connection.vendor == "postgresql"
    cluster = Cluster.objects.create(name=f"bench-series-{os.getpid()}", bootstrap_servers="127.0.0.1:1")
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
        state_blob = store.pack_pairs(all_ids, [float(rng.randrange(1000)) for _ in all_ids])
        chunk_rows = 0
        # Random values compress like real rates; a pool of blobs keeps the prefill fast.
        pool = [store.pack_values([round(rng.uniform(0, 5000), 3) for _ in range(BLOCK)]) for _ in range(256)]

        def block(resolution: str, ticks: list[float]) -> None:
            nonlocal chunk_rows
            b = SeriesBlock.objects.create(
                cluster=cluster,
                resolution=resolution,
                start=ticks[0],
                end=ticks[-1],
                count=len(ticks),
                ticks=store.pack_values(ticks),
                state=state_blob,
            )
            chunks = [
                SeriesChunk(
                    block=b,
                    series_id=sid,
                    data=pool[rng.randrange(len(pool))],
                )
                for sid in busy_ids
            ]
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

        # ---- writes --------------------------------------------------------------------
        def wal() -> int:
            with connection.cursor() as cur:
                cur.execute("SELECT pg_current_wal_insert_lsn() - '0/0'::pg_lsn")
                return int(cur.fetchone()[0])

        values = {n: float(rng.randrange(1000)) for n in names}
        at = t
        warm = 0
        while True:  # the prefilled state differs from these values: write them once, compact, then time
            at += STEP
            warm += 1
            if store.series_record(cluster_id=cluster.pk, at=at, values=values).compacted:
                break
        print(f"warm-up: {warm} polls until the first compaction", file=sys.stderr)
        print(f"\n{len(names)} series per poll ({args.topics} topics x 2, {args.groups} groups x 2, cluster x 2)")
        for label, share in (("no value moves", 0.0), (f"{args.changing:.0%} move", args.changing), ("all move", 1.0)):
            moving = [n for n in names if rng.random() < share] if share < 1 else names
            samples, rows, payload, wal_bytes, compactions = [], 0, 0, 0, 0
            for _ in range(args.polls):
                for n in moving:
                    values[n] = round(rng.uniform(0, 5000), 3)
                at += STEP
                before = wal() if postgres else 0
                t0 = time.perf_counter()
                stats = store.series_record(cluster_id=cluster.pk, at=at, values=values)
                samples.append((time.perf_counter() - t0) * 1000)
                wal_bytes += (wal() - before) if postgres else 0
                rows += stats.rows_written
                payload += stats.bytes_written
                compactions += stats.compacted
            line(
                f"series_record, {label}",
                samples,
                f"max {max(samples):.0f} ms; per poll: {rows / args.polls:.0f} rows, "
                f"{payload / args.polls / 1024:.1f} KiB payload"
                + (f", {wal_bytes / args.polls / 1024:.1f} KiB WAL" if postgres else "")
                + f" (incl. {compactions} compactions)",
            )

        # ---- reads ---------------------------------------------------------------------
        print()
        now = at
        kind = "topic.messages_per_s"

        def read(key: str, seconds: float) -> object:
            return store.series_read(cluster_id=cluster.pk, kind=kind, key=key, since=now - seconds)

        for label, key, seconds in (
            ("1 h, moving series (raw)", busy_topic, 3600),
            ("24 h, moving series (raw)", busy_topic, 86400),
            ("7 d, moving series (1m)", busy_topic, 7 * 86400),
            ("1 h, flat series", idle_topic, 3600),
            ("7 d, flat series", idle_topic, 7 * 86400),
        ):
            samples, data = timed(lambda key=key, seconds=seconds: read(key, seconds), args.reads)
            line(f"series_read {label}", samples, f"{len(data.points)} points, {data.resolution}")
        keys = [k for kk, k in sorted(busy) if kk == kind][:10]
        samples, many = timed(
            lambda: store.series_read_many(cluster_id=cluster.pk, kind=kind, keys=keys, since=now - 3600), args.reads
        )
        line("series_read_many 10 traces, 1 h", samples, f"{sum(len(d.points) for d in many.values())} points")
        samples, top = timed(lambda: store.series_top(cluster_id=cluster.pk, kind=kind, since=now - 300, limit=10), 5)
        line("series_top topics, last 5 min", samples, f"{len(top)} keys")
        store._states.clear()
        cold, latest = timed(lambda: store.series_latest(cluster_id=cluster.pk, kind=kind), 1)
        samples, latest = timed(lambda: store.series_latest(cluster_id=cluster.pk, kind=kind), args.reads)
        line("series_latest topics (cached)", samples, f"{len(latest)} keys; cold {cold[0]:.0f} ms")

        # ---- prune: one hour of raw blocks rolled up -------------------------------------
        from django.test.utils import override_settings

        with override_settings(METRICS_RAW_RETENTION_S=86400 - 3600 - 300):
            samples, pruned = timed(lambda: store.series_prune(now=now), 1)
        line("series_prune (roll up 1 h)", samples, str(pruned))

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
            print(f"kept cluster {cluster.pk} in {url.split('@')[-1]}", file=sys.stderr)
        elif args.database_url:
            Cluster.objects.filter(pk=cluster.pk).delete()
        else:
            for suffix in ("", "-wal", "-shm", "-journal"):
                Path(f"{sqlite_path}{suffix}").unlink(missing_ok=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
