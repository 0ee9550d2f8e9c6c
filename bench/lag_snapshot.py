"""Benchmark: one consumer-lag snapshot of 1,000 groups over 10,000 partitions.

Starts its own 1-broker stack (dev/stack.py, stack `bench-lag`), creates T topics of
P partitions, produces a few records to every partition, and commits offsets for G
groups directly (OffsetCommit through the admin client, no live consumers): group i
commits on `--per-group` partitions of topic i % T. Then it times
`clusters.gateway.groups.lag_snapshot` (p50/p95, and the Kafka requests it sent),
times Kafka's own `kafka-consumer-groups.sh --describe --all-groups` on the same
cluster, checks that every (group, topic, partition, current offset, log end offset,
lag) is identical, and prints the speed-up.

    .venv/bin/python bench/lag_snapshot.py [--topics 100] [--partitions 100] [--groups 1000]
        [--per-group 10] [--runs 10] [--tool-runs 3] [--keep]
"""

from __future__ import annotations

import argparse
import os
import shlex
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

PREFIX = "bench-lag"
TOOL_CLASS = "org.apache.kafka.tools.consumer.group.ConsumerGroupCommand"


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def records_in(topic_index: int, partition: int) -> int:
    """How many records partition p of topic t gets: 1..9, varied so mismatches show."""
    return 1 + (topic_index * 31 + partition) % 9


def committed_for(group_index: int, partition: int, end: int) -> int:
    """A committed offset in [0, end] (0 is a real commit and must be reported as such)."""
    return (group_index * 7 + partition) % (end + 1)


def setup(bootstrap: str, topics: int, partitions: int, groups: int, per_group: int) -> dict[str, dict]:
    """Create topics, produce, commit; returns group -> {(topic, partition): committed}."""
    from kafka import KafkaAdminClient, KafkaProducer
    from kafka.admin import NewTopic
    from kafka.errors import CoordinatorNotAvailableError
    from kafka.structs import OffsetAndMetadata, TopicPartition

    admin = KafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=120_000)
    names = [f"{PREFIX}.t{i:03d}" for i in range(topics)]
    existing = set(admin.list_topics())
    missing = [n for n in names if n not in existing]
    start = time.perf_counter()
    for i in range(0, len(missing), 10):
        admin.create_topics([NewTopic(n, partitions, 1) for n in missing[i : i + 10]], timeout_ms=120_000)
    print(f"created {len(missing)} topics x {partitions} partitions in {time.perf_counter() - start:.1f} s", flush=True)

    if missing:
        start = time.perf_counter()
        producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=50, batch_size=256 * 1024, acks=1)
        sent = 0
        fresh = set(missing)
        for t, name in enumerate(names):
            if name not in fresh:
                continue
            for p in range(partitions):
                for _ in range(records_in(t, p)):
                    producer.send(name, b"x", partition=p)
                    sent += 1
        producer.flush(timeout=300)
        producer.close()
        print(f"produced {sent} records in {time.perf_counter() - start:.1f} s", flush=True)

    start = time.perf_counter()
    expected: dict[str, dict] = {}
    for g in range(groups):
        t = g % topics
        first = (g // topics * per_group) % partitions
        offsets = {}
        for p in range(first, first + per_group):
            offsets[(names[t], p % partitions)] = committed_for(g, p % partitions, records_in(t, p % partitions))
        group_id = f"{PREFIX}-g{g:04d}"
        commits = {TopicPartition(tn, p): OffsetAndMetadata(o, "", -1) for (tn, p), o in offsets.items()}
        deadline = time.monotonic() + 60
        while True:
            try:
                answer = admin.alter_group_offsets(group_id, commits)
                break
            except CoordinatorNotAvailableError:  # __consumer_offsets is created on first use
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.5)
        bad = {tp: e for tp, e in answer.items() if e.errno}
        if bad:
            raise SystemExit(f"committing offsets of {group_id} failed: {bad}")
        expected[group_id] = offsets
    print(f"committed offsets for {groups} groups in {time.perf_counter() - start:.1f} s", flush=True)
    admin.close()
    return expected


def run_tool(bootstrap: str) -> tuple[float, str, str]:
    libs = ROOT / ".cache" / "kafka" / "libs"
    argv = [
        "java",
        "-Xmx256m",  # kafka-run-class.sh's default heap for tools
        *["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35"],
        "-Djava.awt.headless=true",
        "-cp",
        f"{libs}/*",
        TOOL_CLASS,
        "--bootstrap-server",
        bootstrap,
        "--describe",
        "--all-groups",
        "--timeout",
        "120000",
    ]
    start = time.perf_counter()
    done = subprocess.run(argv, capture_output=True, text=True, timeout=600, check=False)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        raise SystemExit(f"{TOOL_CLASS} failed ({done.returncode}): {done.stderr[-2000:]}")
    return elapsed, done.stdout, " ".join(shlex.quote(a) for a in argv)


def parse_tool(text: str) -> dict[tuple[str, str, int], tuple[int | None, int | None, int | None]]:
    """(group, topic, partition) -> (current offset, log end offset, lag) from the tool's table."""
    rows = {}
    for line in text.splitlines():
        cols = line.split()
        if len(cols) < 6 or cols[0] == "GROUP" or not cols[0].startswith(PREFIX):
            continue

        def num(value: str) -> int | None:
            return None if value == "-" else int(value)

        rows[(cols[0], cols[1], int(cols[2]))] = (num(cols[3]), num(cols[4]), num(cols[5]))
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=100)
    parser.add_argument("--partitions", type=int, default=100)
    parser.add_argument("--groups", type=int, default=1000)
    parser.add_argument("--per-group", type=int, default=10)
    parser.add_argument("--runs", type=int, default=10)
    parser.add_argument("--tool-runs", type=int, default=3)
    parser.add_argument("--keep", action="store_true", help="leave the bench-lag stack running")
    args = parser.parse_args()
    command = "cd /work/main && .venv/bin/python " + " ".join(shlex.quote(a) for a in sys.argv)

    from dev.stack import Stack

    stack = Stack(name="bench-lag", root=ROOT)
    env = stack.up(kafka=True, redis=False)
    try:
        bootstrap = env["KAFKA_BOOTSTRAP"]
        expected = setup(bootstrap, args.topics, args.partitions, args.groups, args.per_group)

        from clusters.gateway.connection import admins
        from clusters.gateway.groups import coordinators, lag_snapshot
        from clusters.gateway.types import ConnectionSettings

        settings = ConnectionSettings(
            name="bench-lag", bootstrap_servers=(bootstrap,), ident="bench-lag", request_timeout_ms=30_000
        )
        load_before = os.getloadavg()
        # Cold: no cached coordinators (and the admin connection is opened here).
        coordinators.forget(settings.cache_key())
        start = time.perf_counter()
        cold = lag_snapshot(settings)
        cold_s = time.perf_counter() - start
        warm_times = []
        snap = cold
        for _ in range(args.runs):
            start = time.perf_counter()
            snap = lag_snapshot(settings)
            warm_times.append(time.perf_counter() - start)
        uncached_times = []
        uncached = cold
        for _ in range(max(3, args.runs // 3)):
            coordinators.forget(settings.cache_key())
            start = time.perf_counter()
            uncached = lag_snapshot(settings)
            uncached_times.append(time.perf_counter() - start)
        admins.close_all()

        mine = [g for g in snap.groups if g.group_id.startswith(PREFIX)]
        partitions_read = len(snap.end_offsets)
        problems = [g.group_id for g in mine if g.error] + list(snap.errors) + list(snap.partition_errors.values())
        wrong_commits = [g.group_id for g in mine if g.committed != expected.get(g.group_id)]

        tool_times = []
        tool_text = ""
        tool_command = ""
        for _ in range(args.tool_runs):
            elapsed, tool_text, tool_command = run_tool(bootstrap)
            tool_times.append(elapsed)
        load_after = os.getloadavg()

        ours = {
            (g.group_id, t, p): (offset, snap.end_offsets.get((t, p)), snap.lag(g).get((t, p)))
            for g in mine
            for (t, p), offset in g.committed.items()
        }
        theirs = parse_tool(tool_text)
        missing_in_tool = sorted(set(ours) - set(theirs))[:5]
        missing_in_ours = sorted(set(theirs) - set(ours))[:5]
        differ = sorted(k for k in set(ours) & set(theirs) if ours[k] != theirs[k])

        p50 = statistics.median(warm_times)
        p95 = percentile(warm_times, 95)
        tool_p50 = statistics.median(tool_times)
        print()
        print(f"command: {command}")
        print(
            f"cluster: 1 broker, {args.topics} topics x {args.partitions} partitions, "
            f"{len(mine)} groups x {args.per_group} committed partitions "
            f"({sum(len(g.committed) for g in mine)} commits)"
        )
        print(f"load average (1/5/15 min) before: {load_before}, after: {load_after}; cores: {os.cpu_count()}")
        print(f"lag_snapshot cold (new connection, no cached coordinators): {cold_s * 1000:.0f} ms")
        print(
            f"lag_snapshot warm x{len(warm_times)}: p50 {p50 * 1000:.0f} ms, p95 {p95 * 1000:.0f} ms, "
            f"min {min(warm_times) * 1000:.0f} ms"
        )
        print(
            f"lag_snapshot without cached coordinators x{len(uncached_times)}: "
            f"p50 {statistics.median(uncached_times) * 1000:.0f} ms, p95 {percentile(uncached_times, 95) * 1000:.0f} ms"
        )
        print(f"requests cold:     {cold.requests} total {cold.requests.total}")
        print(f"requests warm:     {snap.requests} total {snap.requests.total}")
        print(f"requests uncached: {uncached.requests} total {uncached.requests.total}")
        print(f"groups listed: {len(snap.groups)} (bench: {len(mine)}), partitions with end offsets: {partitions_read}")
        print(f"kafka tool: {tool_command}")
        print(
            f"kafka tool x{len(tool_times)}: p50 {tool_p50 * 1000:.0f} ms, "
            f"min {min(tool_times) * 1000:.0f} ms, max {max(tool_times) * 1000:.0f} ms"
        )
        print(f"speed-up (tool p50 / snapshot warm p50): {tool_p50 / p50:.1f}x")
        print(f"speed-up (tool p50 / snapshot uncached p50): {tool_p50 / statistics.median(uncached_times):.1f}x")
        print(
            f"compare: {len(ours)} rows ours, {len(theirs)} rows tool; differ: {len(differ)}, "
            f"only ours: {len(set(ours) - set(theirs))}, only tool: {len(set(theirs) - set(ours))}"
        )
        for key in differ[:5]:
            print(f"  differ {key}: ours {ours[key]} tool {theirs[key]}")
        for key in missing_in_tool:
            print(f"  not in tool output: {key} {ours[key]}")
        for key in missing_in_ours:
            print(f"  not in snapshot: {key} {theirs[key]}")
        print(
            f"errors in snapshot: {len(problems)} {problems[:3]}; "
            f"commits differing from what was set: {wrong_commits[:3]}"
        )
        identical = not differ and set(ours) == set(theirs) and not wrong_commits and not problems
        print(f"identical numbers: {'yes' if identical else 'NO'}")
        targets = p95 < 2.0 and tool_p50 / p50 >= 10
        print(f"targets (p95 < 2 s, >= 10x faster): {'met' if targets else 'NOT met'}")
        return 0 if identical else 1
    finally:
        if not args.keep:
            stack.down()


if __name__ == "__main__":
    raise SystemExit(main())
