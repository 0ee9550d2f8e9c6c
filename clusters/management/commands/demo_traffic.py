"""Demo traffic: a few topics, producers at different rates, and consumer groups that
keep up, fall behind and stop, so every chart and lag status has something real."""

from __future__ import annotations

import signal
import threading
import time
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser

from clusters import gateway
from clusters.gateway.traffic import DemoGroup, DemoTopic, consume_forever, produce_forever, topics_ensure
from clusters.models import Cluster

TOPICS = [
    DemoTopic("demo.orders", partitions=6, messages_per_s=40),
    DemoTopic("demo.payments", partitions=3, messages_per_s=12),
    DemoTopic("demo.clicks", partitions=12, messages_per_s=150),
    DemoTopic("demo.audit", partitions=1, messages_per_s=2),
]
GROUPS = [
    DemoGroup("orders-service", "demo.orders"),  # keeps up
    DemoGroup("clicks-analytics", "demo.clicks"),  # keeps up
    DemoGroup("payments-ledger", "demo.payments", max_per_s=8),  # falls behind: 12/s in, 8/s out
    DemoGroup("audit-archiver", "demo.audit", stop_after_s=60),  # stops after a minute
]


class Command(BaseCommand):
    help = "Create demo topics and run producers and consumer groups against a registered cluster until stopped."

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("--cluster", default="local", help="Name of the registered cluster (default: local).")
        parser.add_argument(
            "--seconds", type=float, default=0, help="Stop after this many seconds (0: run until Ctrl-C)."
        )

    def handle(self, *args: Any, **options: Any) -> None:
        cluster = Cluster.objects.filter(name=options["cluster"]).first()
        if cluster is None:
            raise CommandError(f"No cluster named '{options['cluster']}'. Register it first (see README).")
        settings = cluster.connection()
        deadline = time.monotonic() + 120
        while True:
            try:
                created = topics_ensure(settings, TOPICS)
                break
            except gateway.GatewayError as exc:
                if time.monotonic() > deadline:
                    raise CommandError(str(exc)) from None
                self.stderr.write(f"Waiting for Kafka: {exc}")
                time.sleep(3)
        if created:
            self.stdout.write(f"Created topics: {', '.join(created)}")
        stop = threading.Event()
        for sig in (signal.SIGINT, signal.SIGTERM):
            signal.signal(sig, lambda *_: stop.set())
        threads = [threading.Thread(target=produce_forever, args=(settings, t, stop), daemon=True) for t in TOPICS]
        threads += [threading.Thread(target=consume_forever, args=(settings, g, stop), daemon=True) for g in GROUPS]
        for thread in threads:
            thread.start()
        rates = ", ".join(f"{t.name} {t.messages_per_s:g}/s" for t in TOPICS)
        self.stdout.write(
            f"Demo traffic running on '{cluster.name}': {rates}. Groups: " + ", ".join(g.group_id for g in GROUPS)
        )
        stop.wait(options["seconds"] or None)
        stop.set()
        for thread in threads:
            thread.join(timeout=10)
        self.stdout.write("Demo traffic stopped.")
