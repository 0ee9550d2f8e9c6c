"""Taking and storing the consumer-group snapshot of one poll: committed offsets,
end offsets, lag, lag in seconds and status per partition, summarised per group.
Only groups whose values moved are written."""

from __future__ import annotations

import logging
import time
from collections import defaultdict
from dataclasses import dataclass
from typing import Any

from django.conf import settings as django_settings
from django.db import transaction
from django.utils import timezone

from clusters import gateway
from clusters.models import Cluster
from consumer_groups import evaluate
from consumer_groups.models import GroupMeta, GroupStatus

log = logging.getLogger(__name__)

_FIELDS = (
    "state",
    "group_type",
    "protocol_type",
    "coordinator_id",
    "members",
    "topics",
    "partitions_committed",
    "partitions_no_commit",
    "total_lag",
    "max_lag_seconds",
    "status",
    "status_reason",
    "error",
    "partitions",
)


@dataclass(frozen=True)
class GroupSnapshotStats:
    groups: int
    created: int
    updated: int
    deleted: int
    kafka_requests: int
    elapsed_ms: float
    # (group id, total lag, max lag seconds) of every group, for the metric history.
    lags: tuple[tuple[str, int | None, float | None], ...] = ()
    # (group id, topic, lag, max lag seconds) per group and topic, for the per-topic charts.
    topic_lags: tuple[tuple[str, str, int | None, float | None], ...] = ()
    # group id -> status (OK, WARN, ERR, UNKNOWN), for "groups by status".
    statuses: tuple[tuple[str, str], ...] = ()

    @property
    def rows_written(self) -> int:
        return self.created + self.updated + self.deleted


def _round(value: float | None) -> float | None:
    # Rounded so that tiny float jitter does not count as a change worth a write.
    return None if value is None else round(value, 1)


def group_rows(
    *,
    lag: gateway.LagSnapshot,
    descriptions: dict[str, gateway.GroupDescription],
    describe_errors: dict[str, str],
    evaluation: evaluate.Evaluation,
) -> list[dict[str, Any]]:
    """The stored form of every group in a lag snapshot (pure: no I/O)."""
    rows = []
    for group in lag.groups:
        description = descriptions.get(group.group_id)
        owners: dict[tuple[str, int], str] = {}
        assigned: set[tuple[str, int]] = set()
        if description is not None:
            for member in description.members:
                for tp in member.assignment:
                    owners[tp] = f"{member.client_id}@{member.host}".strip("@")
                    assigned.add(tp)
        partitions = []
        total_lag: int | None = None
        max_seconds: float | None = None
        statuses = []
        for tp in sorted(set(group.committed) | assigned):
            committed = group.committed.get(tp)
            end = lag.end_offsets.get(tp)
            lag_msgs = None if committed is None or end is None else max(0, end - committed)
            seconds = evaluation.lag_seconds.get((group.group_id, tp))
            status = (
                "NO_COMMIT" if committed is None else evaluation.partition_status.get((group.group_id, tp), "UNKNOWN")
            )
            if lag_msgs is not None:
                total_lag = (total_lag or 0) + lag_msgs
            if seconds is not None:
                max_seconds = seconds if max_seconds is None else max(max_seconds, seconds)
            if committed is not None:
                statuses.append(status)
            partitions.append([tp[0], tp[1], committed, end, lag_msgs, _round(seconds), status, owners.get(tp, "")])
        group_status, reason = evaluation.group_status.get(group.group_id, (GroupStatus.UNKNOWN, ""))
        if not group.committed:
            group_status, reason = GroupStatus.UNKNOWN, "The group has no committed offsets."
        described_error = describe_errors.get(group.group_id)
        error = group.error or (f"Members could not be read: {described_error}" if described_error else "")
        rows.append(
            {
                "group_id": group.group_id,
                "state": group.state,
                "group_type": group.group_type,
                "protocol_type": group.protocol_type,
                "coordinator_id": group.coordinator_id,
                "members": len(description.members) if description is not None else None,
                "topics": sorted({tp[0] for tp in set(group.committed) | assigned}),
                "partitions_committed": len(group.committed),
                "partitions_no_commit": len(assigned - set(group.committed)),
                "total_lag": total_lag,
                "max_lag_seconds": _round(max_seconds),
                "status": str(group_status),
                "status_reason": reason[:500],
                "error": error,
                "partitions": partitions,
            }
        )
    return rows


def group_snapshot_store(*, cluster: Cluster, rows: list[dict[str, Any]]) -> tuple[int, int, int]:
    """Insert new groups, update changed ones, delete vanished ones. Returns counts."""
    existing = {r[0]: r[1:] for r in GroupMeta.objects.filter(cluster=cluster).values_list("group_id", "id", *_FIELDS)}
    to_create, to_update = [], []
    seen = set()
    for row in rows:
        seen.add(row["group_id"])
        values = tuple(row[f] for f in _FIELDS)
        stored = existing.get(row["group_id"])
        if stored is None:
            to_create.append(GroupMeta(cluster=cluster, **row))
        elif tuple(stored[1:]) != values:
            to_update.append(GroupMeta(id=stored[0], **{f: row[f] for f in _FIELDS}))
    gone = [r[0] for gid, r in existing.items() if gid not in seen]
    now = timezone.now()
    with transaction.atomic():
        if to_create:
            GroupMeta.objects.bulk_create(to_create, batch_size=500, ignore_conflicts=True)
        if to_update:
            for item in to_update:
                item.changed_at = now
            GroupMeta.objects.bulk_update(to_update, [*_FIELDS, "changed_at"], batch_size=500)
        if gone:
            GroupMeta.objects.filter(id__in=gone).delete()
    return len(to_create), len(to_update), len(gone)


def group_snapshot_take(*, cluster: Cluster) -> GroupSnapshotStats:
    """One lag snapshot of the cluster, evaluated against the stored history and
    stored. Raises GatewayError when the cluster cannot be reached at all."""
    start = time.perf_counter()
    settings = cluster.connection()
    lag = gateway.lag_snapshot(settings)
    by_coordinator: dict[int, list[str]] = defaultdict(list)
    for group in lag.groups:
        # Only consumer-protocol groups carry partition assignments (not Connect workers).
        if group.coordinator_id is not None and not group.error and group.protocol_type in ("consumer", ""):
            by_coordinator[group.coordinator_id].append(group.group_id)
    descriptions: dict[str, gateway.GroupDescription] = {}
    describe_errors: dict[str, str] = {}
    if by_coordinator:
        try:
            descriptions, describe_errors = gateway.groups_describe(settings, dict(by_coordinator))
        except gateway.GatewayError as exc:  # members are a nice-to-have next to offsets
            describe_errors = {g.group_id: exc.message for g in lag.groups}
    has_members = {gid: bool(d.members) for gid, d in descriptions.items()}
    evaluation = evaluate.evaluate(
        cluster_id=cluster.pk,
        snapshot=lag,
        has_members=has_members,
        window=django_settings.LAG_WINDOW_POLLS,
        allowed_lag=django_settings.LAG_ALLOWED,
    )
    rows = group_rows(lag=lag, descriptions=descriptions, describe_errors=describe_errors, evaluation=evaluation)
    created, updated, deleted = group_snapshot_store(cluster=cluster, rows=rows)
    return GroupSnapshotStats(
        groups=len(rows),
        created=created,
        updated=updated,
        deleted=deleted,
        kafka_requests=lag.requests.total + len(by_coordinator),
        elapsed_ms=round((time.perf_counter() - start) * 1000, 1),
        lags=tuple((r["group_id"], r["total_lag"], r["max_lag_seconds"]) for r in rows),
        topic_lags=tuple(topic_lags(rows)),
        statuses=tuple((r["group_id"], r["status"]) for r in rows),
    )


def topic_lags(rows: list[dict[str, Any]]) -> list[tuple[str, str, int | None, float | None]]:
    """Per group and topic: summed lag and the largest lag in seconds of its partitions
    (pure). A topic none of whose partitions has a commit has unknown lag (None)."""
    out: list[tuple[str, str, int | None, float | None]] = []
    for row in rows:
        per_topic: dict[str, list[Any]] = {}
        for topic, _partition, _committed, _end, lag, seconds, _status, _owner in row["partitions"]:
            acc = per_topic.setdefault(topic, [None, None])
            if lag is not None:
                acc[0] = (acc[0] or 0) + lag
            if seconds is not None:
                acc[1] = seconds if acc[1] is None else max(acc[1], seconds)
        out.extend((row["group_id"], topic, acc[0], acc[1]) for topic, acc in sorted(per_topic.items()))
    return out
