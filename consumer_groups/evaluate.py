"""Evaluating one lag snapshot against the offset history: lag in seconds and status
per partition, status per group. The snapshot is recorded into the history first, so
its points are the newest in every window."""

from __future__ import annotations

from dataclasses import dataclass, field

from clusters import gateway
from consumer_groups import history, lag

GroupPartition = tuple[str, tuple[str, int]]


@dataclass(frozen=True)
class Evaluation:
    lag_seconds: dict[GroupPartition, float | None] = field(default_factory=dict)
    partition_status: dict[GroupPartition, str] = field(default_factory=dict)
    # group id -> (OK / WARN / ERR / UNKNOWN, one-line reason)
    group_status: dict[str, tuple[str, str]] = field(default_factory=dict)


def evaluate(
    *,
    cluster_id: int,
    snapshot: gateway.LagSnapshot,
    has_members: dict[str, bool],
    window: int,
    allowed_lag: int,
) -> Evaluation:
    """Record the snapshot into the history and judge every committed partition."""
    lags = {g.group_id: snapshot.lag(g) for g in snapshot.groups}
    history.history_record(
        cluster_id=cluster_id,
        snapshot_time=snapshot.taken_at,
        end_offsets=snapshot.end_offsets,
        commits={g.group_id: g.committed for g in snapshot.groups},
        lags=lags,
    )
    # Only the points at or below the lowest lagging commit per partition are needed.
    lowest: dict[tuple[str, int], int] = {}
    for group in snapshot.groups:
        for tp, behind in lags[group.group_id].items():
            if behind:
                committed = group.committed[tp]
                lowest[tp] = min(committed, lowest.get(tp, committed))
    ends = history.end_history_since(cluster_id=cluster_id, committed=lowest) if lowest else {}
    windows = history.commit_histories(cluster_id=cluster_id, group_ids=[g.group_id for g in snapshot.groups])

    seconds: dict[GroupPartition, float | None] = {}
    statuses: dict[GroupPartition, str] = {}
    groups: dict[str, tuple[str, str]] = {}
    for group in snapshot.groups:
        judged: dict[tuple[str, int], lag.PartitionLagStatus] = {}
        for tp, committed in group.committed.items():
            end = snapshot.end_offsets.get(tp)
            if end is None:
                seconds[(group.group_id, tp)] = None
                continue
            seconds[(group.group_id, tp)] = lag.lag_seconds(
                committed=committed, end_now=end, now=snapshot.taken_at, end_history=ends.get(tp, [])
            )
            verdict = lag.partition_status(
                points=windows.get(group.group_id, {}).get(tp, []),
                window=window,
                allowed_lag=allowed_lag,
                has_members=has_members.get(group.group_id),
            )
            judged[tp] = verdict
            statuses[(group.group_id, tp)] = verdict.status.value
        summary = lag.group_status(judged)
        groups[group.group_id] = (summary.status.value, summary.reason)
    return Evaluation(lag_seconds=seconds, partition_status=statuses, group_status=groups)
