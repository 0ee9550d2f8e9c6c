"""Benchmark: the topic list at 10,000 topics.

Creates N single-partition topics on a local broker (dev/stack.py, stack `bench`),
stores them with one real poll, then measures the server time of the topic list
API and page for the first page, a search, a sort by size and a deep page, and the
rows a poll writes when nothing changed. Prints p50/p95 and the command.

    .venv/bin/python bench/topic_list.py [--topics 10000] [--runs 60] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--topics", type=int, default=10_000)
    parser.add_argument("--runs", type=int, default=60)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()

    from dev.stack import Stack

    stack = Stack(name="bench", root=ROOT)
    env = stack.up(kafka=True, redis=True)
    db_dir = tempfile.mkdtemp(prefix="signalbox-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "controlplane.settings",
            "SECRET_KEY": "bench-secret",
            "FIELD_ENCRYPTION_KEY": "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=",
            "ENV_FILE": "none",
            "ALLOWED_HOSTS": "testserver,localhost",
            "REDIS_URL": env["REDIS_URL"],
            "DATABASE_URL": args.database_url or f"sqlite:///{db_dir}/bench.sqlite3",
            "KAFKA_REQUEST_TIMEOUT_MS": "30000",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from kafka import KafkaAdminClient
    from kafka.admin import NewTopic

    from clusters.models import Cluster, ClusterStatus
    from monitoring.services import cluster_poll
    from topics.models import TopicMeta

    call_command("migrate", verbosity=0)
    user, _ = get_user_model().objects.get_or_create(username="bench", defaults={"is_superuser": True})
    Cluster.objects.filter(name="bench").delete()  # a previous run against the same database
    cluster = Cluster.objects.create(name="bench", bootstrap_servers=env["KAFKA_BOOTSTRAP"])
    ClusterStatus.objects.create(cluster=cluster)

    admin = KafkaAdminClient(bootstrap_servers=env["KAFKA_BOOTSTRAP"], request_timeout_ms=120_000)
    existing = {t for t in admin.list_topics() if t.startswith("bench.")}
    wanted = [f"bench.topic-{i:05d}" for i in range(args.topics)]
    missing = [n for n in wanted if n not in existing]
    started = time.perf_counter()
    for i in range(0, len(missing), 500):
        admin.create_topics([NewTopic(n, 1, 1) for n in missing[i : i + 500]], timeout_ms=120_000)
        print(f"\rcreating topics: {min(i + 500, len(missing))}/{len(missing)}", end="", file=sys.stderr, flush=True)
    admin.close()
    print(f"\ncreated {len(missing)} topics in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    # Created topics reach the broker's metadata cache a little after CreateTopics returns.
    deadline = time.monotonic() + 120
    while True:
        t0 = time.perf_counter()
        first = cluster_poll(cluster=cluster)
        first_s = time.perf_counter() - t0
        seen = TopicMeta.objects.filter(cluster=cluster, name__startswith="bench.").count()
        if seen >= args.topics or time.monotonic() > deadline:
            break
        print(f"\rwaiting for metadata: {seen}/{args.topics} topics", end="", file=sys.stderr, flush=True)
        time.sleep(2)
    t0 = time.perf_counter()
    second = cluster_poll(cluster=cluster)
    second_s = time.perf_counter() - t0
    assert first.topics is not None and second.topics is not None, first.status.error

    client = Client()
    client.force_login(user)
    base_api = f"/api/v1/clusters/{cluster.pk}/topics/"
    base_page = f"/clusters/{cluster.pk}/topics/"
    scenarios = {
        "first page": "",
        "search 'topic-0042'": "?search=topic-0042",
        "sort by size desc": "?sort=-size",
        "deep page (offset 9000)": "?offset=9000&sort=name",
    }
    print(f"\nTopic list at {first.status.topic_count} topics ({connection.vendor}), {args.runs} runs each")
    print(
        f"poll: last full store {first_s * 1000:.0f} ms ({first.topics.rows_written} rows written); "
        f"unchanged {second_s * 1000:.0f} ms ({second.topics.rows_written} rows written)"
    )
    print(f"{'scenario':28} {'API p50':>9} {'API p95':>9} {'page p50':>9} {'page p95':>9}")
    worst = 0.0
    for label, query in scenarios.items():
        timings: dict[str, list[float]] = {"api": [], "page": []}
        for kind, base in (("api", base_api), ("page", base_page)):
            client.get(base + query)  # warm-up
            for _ in range(args.runs):
                t0 = time.perf_counter()
                response = client.get(base + query)
                timings[kind].append((time.perf_counter() - t0) * 1000)
                assert response.status_code == 200, response.content[:300]
        row = [
            statistics.median(timings["api"]),
            percentile(timings["api"], 95),
            statistics.median(timings["page"]),
            percentile(timings["page"], 95),
        ]
        worst = max(worst, row[1], row[3])
        print(f"{label:28} " + " ".join(f"{v:8.1f}ms" for v in row))
    print(f"worst p95: {worst:.1f} ms (target < 300 ms)")
    print("command: .venv/bin/python bench/topic_list.py " + " ".join(sys.argv[1:]))
    if not args.keep:
        stack.down()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
