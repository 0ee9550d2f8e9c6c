"""Benchmark: the audit trail at 100,000 events.

Seeds N audit events over 20 clusters and 50 users (bulk insert, no Kafka needed), then
measures the server time of the audit API and page as a superuser and as the admin of one
cluster: first page, a deep page (following cursors), filters by user, action prefix,
result and target text, plus the CSV export's throughput. Prints p50/p95 and the command.

    .venv/bin/python bench/audit_trail.py [--events 100000] [--runs 30] [--database-url URL]
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

ACTIONS = ("topic.create", "topic.delete", "topic.edit", "group.offsets.reset", "acl.edit", "message.produce")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", type=int, default=100_000)
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default="", help="default: a fresh SQLite file")
    args = parser.parse_args()

    db_dir = tempfile.mkdtemp(prefix="signalbox-bench-")
    os.environ.update(
        {
            "DJANGO_SETTINGS_MODULE": "controlplane.settings",
            "SECRET_KEY": "bench-secret",
            "FIELD_ENCRYPTION_KEY": "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=",
            "ENV_FILE": "none",
            "ALLOWED_HOSTS": "testserver,localhost",
            "DATABASE_URL": args.database_url or f"sqlite:///{db_dir}/bench.sqlite3",
            "LOG_LEVEL": "WARNING",
        }
    )
    import django

    django.setup()
    from django.contrib.auth import get_user_model
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client
    from django.utils import timezone

    from access.models import AuditEvent, Grant
    from clusters.models import Cluster

    call_command("migrate", verbosity=0)
    User = get_user_model()
    AuditEvent.objects.all().delete()
    Grant.objects.filter(cluster__name__startswith="bench-audit-").delete()
    Cluster.objects.filter(name__startswith="bench-audit-").delete()
    root, _ = User.objects.get_or_create(username="bench-root", defaults={"is_superuser": True})
    clusters = [Cluster(name=f"bench-audit-{i:02d}", bootstrap_servers="127.0.0.1:1") for i in range(20)]
    Cluster.objects.bulk_create(clusters)
    clusters = list(Cluster.objects.filter(name__startswith="bench-audit-").order_by("name"))
    users = [User.objects.get_or_create(username=f"bench-user-{i:02d}")[0] for i in range(50)]
    admin = users[0]
    Grant.objects.create(cluster=clusters[0], user=admin, role="admin")

    rng = random.Random(42)
    now = timezone.now()
    started = time.perf_counter()
    batch: list[AuditEvent] = []
    for i in range(args.events):
        who, where = rng.choice(users), rng.choice(clusters)
        batch.append(
            AuditEvent(
                user=who,
                actor=who.username,
                source_ip="10.0.0.1",
                request_id=f"req-{i}",
                cluster=where,
                cluster_name=where.name,
                action=rng.choice(ACTIONS),
                target=f"orders.topic-{rng.randrange(5000):04d}",
                before={"partitions": 3},
                after={"partitions": 6},
                result=rng.choice(("ok", "ok", "ok", "error", "denied")),
            )
        )
        if len(batch) == 5000:
            AuditEvent.objects.bulk_create(batch)
            batch.clear()
            print(f"\rseeding: {i + 1}/{args.events}", end="", file=sys.stderr, flush=True)
    AuditEvent.objects.bulk_create(batch)
    # Spread the events over 30 days (auto_now_add stamped them all now).
    total = AuditEvent.objects.count()
    step = dt.timedelta(days=30) / max(total, 1)
    pks = list(AuditEvent.objects.order_by("id").values_list("pk", flat=True))
    for k in range(0, len(pks), 1000):  # 1,000 events share a timestamp: ties are paged by id
        AuditEvent.objects.filter(pk__in=pks[k : k + 1000]).update(at=now - (total - k) * step)
    print(f"\nseeded {total} events in {time.perf_counter() - started:.1f} s", file=sys.stderr)

    def timed(client: Client, url: str) -> tuple[list[float], int]:
        samples, status = [], 0
        for _ in range(args.runs):
            t0 = time.perf_counter()
            response = client.get(url)
            samples.append((time.perf_counter() - t0) * 1000)
            status = response.status_code
        return samples, status

    def deep_url(client: Client, pages: int) -> str:
        url = "/api/v1/audit/?limit=50"
        for _ in range(pages):
            url = client.get(url).json()["next"] or url
        return url

    as_root, as_admin = Client(), Client()
    as_root.force_login(root)
    as_admin.force_login(admin)
    scenarios = [
        ("superuser: first page (API)", as_root, "/api/v1/audit/"),
        ("superuser: first page (page)", as_root, "/audit/"),
        ("superuser: deep page (20 pages in)", as_root, deep_url(as_root, 20)),
        ("superuser: user filter", as_root, "/api/v1/audit/?user=bench-user-07"),
        ("superuser: action prefix 'acl.'", as_root, "/api/v1/audit/?action=acl."),
        ("superuser: result=denied", as_root, "/api/v1/audit/?result=denied"),
        ("superuser: target text '0042'", as_root, "/api/v1/audit/?target=0042"),
        ("cluster admin: first page (API)", as_admin, "/api/v1/audit/"),
        ("cluster admin: first page (page)", as_admin, "/audit/"),
        ("cluster admin: one cluster", as_admin, f"/api/v1/audit/?cluster={clusters[0].pk}"),
    ]
    print(f"\nAudit trail at {total} events ({connection.vendor}), {args.runs} runs each")
    print(f"{'scenario':40} {'status':>6} {'p50 ms':>8} {'p95 ms':>8}")
    for name, client, url in scenarios:
        samples, status = timed(client, url)
        print(f"{name:40} {status:>6} {statistics.median(samples):8.1f} {percentile(samples, 95):8.1f}")

    t0 = time.perf_counter()
    response = as_root.get("/api/v1/audit/export.csv")
    rows = sum(chunk.count(b"\n") for chunk in response.streaming_content) - 1  # type: ignore[attr-defined]
    seconds = time.perf_counter() - t0
    print(f"CSV export, all events: {rows} rows in {seconds:.1f} s ({rows / seconds:,.0f} rows/s)")
    print(f"\ncommand: .venv/bin/python bench/audit_trail.py --events {args.events} --runs {args.runs}", end="")
    print(" --database-url <postgres url>" if args.database_url else "")
    return 0


if __name__ == "__main__":
    sys.exit(main())
