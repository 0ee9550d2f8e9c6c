"""Benchmark: the Redis offset history behind lag in seconds and lag status, at 40,000
partitions and 2,000 groups per poll.

Prefills the end-offset history of every partition to a steady-state depth (random
between 3/4 of LAG_HISTORY_POINTS and the cap, as thinning leaves it) and the commit
history of every group to the window, then times `history_record` for consecutive polls
(70% of partitions move each poll, the rest are flat), and the reads the poller and the
pages make: `end_history` of one group's partitions, `end_history_since` of every partition (what
lag in seconds needs), `commit_history` of one group and `commit_histories` of every
group, and lag_seconds of every (group, partition). Prints p50/p95,
Redis commands and bytes per poll, Redis memory, and the command. Starts Redis with
dev/stack.py (stack `bench-lag-history`) unless --redis-url is given.

    .venv/bin/python bench/lag_history.py [--partitions 40000] [--groups 2000] [--per-group 20]
        [--polls 30] [--reads 10] [--redis-url URL] [--keep]
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import struct
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CLUSTER_ID = 990_001  # far from real cluster ids; wiped before and after


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def timed(fn, runs: int) -> tuple[list[float], object]:
    samples, result = [], None
    for _ in range(runs):
        t0 = time.perf_counter()
        result = fn()
        samples.append((time.perf_counter() - t0) * 1000)
    return samples, result


def line(name: str, samples: list[float], extra: str = "") -> None:
    print(f"{name:<44} p50 {percentile(samples, 50):8.1f} ms   p95 {percentile(samples, 95):8.1f} ms   {extra}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--partitions", type=int, default=40_000)
    parser.add_argument("--groups", type=int, default=2_000)
    parser.add_argument("--per-group", type=int, default=20, help="partitions each group commits on")
    parser.add_argument("--polls", type=int, default=30, help="history_record calls timed")
    parser.add_argument("--reads", type=int, default=10, help="runs of each read")
    parser.add_argument("--redis-url", default="", help="default: start Redis with dev/stack.py")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()

    stack = None
    url = args.redis_url
    if not url:
        from dev.stack import Stack

        stack = Stack(name="bench-lag-history", root=ROOT)
        url = stack.up(redis=True)["REDIS_URL"]
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "controlplane.settings",
            "SECRET_KEY": "bench-secret",
            "FIELD_ENCRYPTION_KEY": "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=",
            "ENV_FILE": "none",
            "REDIS_URL": url,
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from consumer_groups import history
    from consumer_groups.lag import lag_seconds

    try:
        config = history.lag_settings()
        client = history._redis()
        history.history_forget_cluster(cluster_id=CLUSTER_ID)
        rng = random.Random(7)
        per_topic = 100
        partitions = [(f"bench.topic-{i // per_topic:04d}", i % per_topic) for i in range(args.partitions)]
        moving = {tp for tp in partitions if rng.random() < 0.7}
        now = time.time()
        ends = {tp: 1_000_000 + rng.randrange(1_000_000) for tp in partitions}

        # Steady state without waiting hours: write each partition's history directly.
        started = time.perf_counter()
        record = struct.Struct("<dq")
        prefix = f"signalbox:hist:{CLUSTER_ID}:"
        pipe = client.pipeline(transaction=False)
        low = config.history_points * 3 // 4
        for n, tp in enumerate(partitions):
            depth = rng.randint(low, config.history_points)
            end = ends[tp]
            step = 50 if tp in moving else 0
            # Older records are sparser (thinned), like the real history after hours of polls.
            blob = b"".join(
                record.pack(now - 5.0 * (depth - k) * (1 + (depth - k) / depth), end - step * (depth - k))
                for k in range(depth)
            )
            pipe.set(f"{prefix}end:{tp[0]}:{tp[1]}", blob, ex=config.history_ttl_s)
            if n % 2000 == 1999:
                pipe.execute()
        pipe.execute()
        assignments = {
            f"bench-group-{g:05d}": [
                partitions[(g * args.per_group + k) % len(partitions)] for k in range(args.per_group)
            ]
            for g in range(args.groups)
        }
        print(
            f"prefilled {len(partitions)} partitions ({low}-{config.history_points} points each) "
            f"in {time.perf_counter() - started:.1f} s",
            file=sys.stderr,
        )

        def poll(t: float) -> history.HistoryWriteStats:
            for tp in moving:
                ends[tp] += 50
            commits = {g: {tp: ends[tp] - 120 for tp in tps} for g, tps in assignments.items()}
            lags = {g: {tp: ends[tp] - c for tp, c in committed.items()} for g, committed in commits.items()}
            return history.history_record(
                cluster_id=CLUSTER_ID, snapshot_time=t, end_offsets=ends, commits=commits, lags=lags
            )

        for k in range(config.window_polls + 2):  # fill the commit windows
            poll(now + 5 * (k + 1))
        client.slowlog_reset()
        stats = []
        for k in range(args.polls):
            stats.append(poll(now + 5 * (config.window_polls + 3 + k)))
        samples = [s.elapsed_ms for s in stats]
        last = stats[-1]
        memory = client.info("memory")["used_memory_human"]
        threshold = int(client.config_get("slowlog-log-slower-than")["slowlog-log-slower-than"])
        blocked = [e["duration"] / 1000 for e in client.slowlog_get(1000) if e["command"].startswith(b"EVAL")]

        print(f"\nlag history: {args.partitions} partitions, {args.groups} groups x {args.per_group} partitions")
        line(
            "history_record (one poll, 1 round trip)",
            samples,
            f"{last.commands} commands ({last.server_commands} inside Redis), {last.bytes_sent / 1e6:.2f} MB sent",
        )
        print(
            f"{'':<44} per poll: appended {statistics.mean(s.end_points_appended for s in stats):.0f}, "
            f"extended {statistics.mean(s.end_points_extended for s in stats):.0f}, "
            f"thinned {statistics.mean(s.end_partitions_thinned for s in stats):.0f}, "
            f"commit points {last.commit_points}"
        )
        group = next(iter(assignments))
        group_partitions = assignments[group]
        one_end, hist = timed(
            lambda: history.end_history(cluster_id=CLUSTER_ID, partitions=group_partitions), args.reads
        )
        points = sum(len(v) for v in hist.values())  # type: ignore[union-attr]
        line(
            f"end_history, one group ({len(group_partitions)} partitions)",
            one_end,
            f"{points / len(group_partitions):.0f} points/partition",
        )
        t_now = now + 5 * (config.window_polls + 3 + args.polls)
        lowest: dict[tuple[str, int], int] = {}
        for tps in assignments.values():
            for tp in tps:
                committed = ends[tp] - 120
                lowest[tp] = min(committed, lowest.get(tp, committed))
        since, tails = timed(lambda: history.end_history_since(cluster_id=CLUSTER_ID, committed=lowest), args.reads)
        line(
            f"end_history_since, all {len(lowest)} partitions",
            since,
            f"{sum(len(v) for v in tails.values()) / len(lowest):.1f} points/partition",  # type: ignore[union-attr]
        )
        one, _ = timed(lambda: history.commit_history(cluster_id=CLUSTER_ID, group_id=group), args.reads)
        line("commit_history, one group", one)
        every, _ = timed(
            lambda: history.commit_histories(cluster_id=CLUSTER_ID, group_ids=list(assignments)), args.reads
        )
        line(f"commit_histories, all {len(assignments)} groups", every)

        def all_lag_seconds() -> int:
            known = 0
            for tps in assignments.values():
                for tp in tps:
                    value = lag_seconds(committed=ends[tp] - 120, end_now=ends[tp], now=t_now, end_history=tails[tp])  # type: ignore[index]
                    known += value is not None
            return known

        compute, known = timed(all_lag_seconds, args.reads)
        line("lag_seconds, every (group, partition)", compute, f"{known} known")
        longest = f"{max(blocked):.0f} ms" if blocked else f"under {threshold / 1000:g} ms"
        print(f"longest single script run inside Redis during the polls: {longest}; redis used_memory {memory}")
        print(f"command: .venv/bin/python bench/lag_history.py {' '.join(sys.argv[1:])}".rstrip())
    finally:
        history.history_forget_cluster(cluster_id=CLUSTER_ID)
        if stack is not None and not args.keep:
            stack.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
