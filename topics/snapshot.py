"""Storing the topic snapshot a poll took: only rows whose values moved are written."""

from __future__ import annotations

import logging
from dataclasses import dataclass

from django.db import transaction

from clusters import gateway
from clusters.models import Cluster
from topics.models import TopicMeta

log = logging.getLogger(__name__)

_FIELDS = ("internal", "partition_count", "replication_factor", "size_bytes", "under_replicated", "offline")


@dataclass(frozen=True)
class SnapshotDiff:
    created: int
    updated: int
    deleted: int
    unchanged: int

    @property
    def rows_written(self) -> int:
        return self.created + self.updated + self.deleted


def topic_snapshot_store(*, cluster: Cluster, topics: tuple[gateway.TopicSummary, ...]) -> SnapshotDiff:
    """Bring the stored topic rows of a cluster in line with a fresh snapshot,
    inserting new topics, updating changed ones and deleting vanished ones."""
    existing = {
        row[0]: row[1:] for row in TopicMeta.objects.filter(cluster=cluster).values_list("name", "id", *_FIELDS)
    }
    seen: set[str] = set()
    to_create: list[TopicMeta] = []
    to_update: list[TopicMeta] = []
    for topic in topics:
        seen.add(topic.name)
        values = tuple(getattr(topic, f) for f in _FIELDS)
        stored = existing.get(topic.name)
        if stored is None:
            to_create.append(TopicMeta(cluster=cluster, name=topic.name, **dict(zip(_FIELDS, values, strict=True))))
        elif tuple(stored[1:]) != values:
            to_update.append(TopicMeta(id=stored[0], **dict(zip(_FIELDS, values, strict=True))))
    gone = [row[0] for name, row in existing.items() if name not in seen]
    with transaction.atomic():
        if to_create:
            TopicMeta.objects.bulk_create(to_create, batch_size=1000, ignore_conflicts=True)
        if to_update:
            # bulk_update skips auto_now, so say when the values changed ourselves.
            from django.utils import timezone

            now = timezone.now()
            for row in to_update:
                row.changed_at = now
            TopicMeta.objects.bulk_update(to_update, [*_FIELDS, "changed_at"], batch_size=1000)
        if gone:
            TopicMeta.objects.filter(id__in=gone).delete()
    diff = SnapshotDiff(
        created=len(to_create),
        updated=len(to_update),
        deleted=len(gone),
        unchanged=len(topics) - len(to_create) - len(to_update),
    )
    if diff.rows_written:
        log.info("Topic snapshot of %s: %s", cluster.name, diff)
    return diff


def topic_snapshot_refresh(*, cluster: Cluster) -> SnapshotDiff:
    """Take and store a fresh snapshot now (after a change, or "refresh" on the list).
    Raises GatewayError when the cluster cannot be reached."""
    from monitoring.services import cluster_poll

    outcome = cluster_poll(cluster=cluster)
    if outcome.topics is None:
        raise gateway.KafkaUnreachable(outcome.status.error)
    return outcome.topics


def topic_rates_store(*, cluster: Cluster, messages_per_s: dict[str, float]) -> int:
    """Write the topic list's messages/s column for rows whose rounded rate changed.
    Rates are rounded to two significant figures so noise does not rewrite every row."""

    def rounded(value: float) -> float:
        return float(f"{value:.2g}") if value >= 0.01 else 0.0

    wanted = {name: rounded(rate) for name, rate in messages_per_s.items()}
    rows = TopicMeta.objects.filter(cluster=cluster, name__in=list(wanted)).only("id", "name", "messages_per_s")
    changed = []
    for row in rows:
        if row.messages_per_s != wanted[row.name]:
            row.messages_per_s = wanted[row.name]
            changed.append(row)
    if changed:
        TopicMeta.objects.bulk_update(changed, ["messages_per_s"], batch_size=1000)
    return len(changed)
