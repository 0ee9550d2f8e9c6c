"""Consumer lag evaluation: lag in seconds and a Burrow-style lag status.

Pure functions over offset histories (see consumer_groups/history.py for where the
histories live): no Django, no Redis, no clock. Callers pass the window length and
the allowed lag in (settings LAG_WINDOW_POLLS and LAG_ALLOWED).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from itertools import pairwise
from typing import NamedTuple

TopicPartitionKey = tuple[str, int]


class OffsetPoint(NamedTuple):
    """The log end offset of a partition at time `t` (Unix seconds).
    A NamedTuple, not a dataclass: histories hold many thousands of them."""

    t: float
    offset: int


class CommitPoint(NamedTuple):
    """A group's committed offset on a partition at poll time `t`, and its lag then
    (None when the partition's end offset was unknown at that poll)."""

    t: float
    committed: int
    lag: int | None


LAG_SECONDS_METHOD = (
    "Lag in seconds is how long ago the oldest message this group has not consumed yet was written. "
    "Signalbox keeps a history of each partition's log end offset (one point per poll when it changes, "
    "at least one a minute when it does not). It finds the moment the log end offset was equal to the "
    "group's committed offset by interpolating linearly between the two recorded points around it, and "
    "reports the time since then. A group with no lag shows 0 s. Older parts of the history are kept "
    "at a coarser resolution, so large ages are approximate. When the committed offset is older than "
    "the oldest recorded point, the age is shown as unknown rather than guessed."
)


def lag_seconds(*, committed: int, end_now: int, now: float, end_history: Sequence[OffsetPoint]) -> float | None:
    """Seconds since the first message the group has not consumed was written.

    Lag in messages is `end_now - committed`; zero or negative (a commit at or past the
    end, e.g. after a topic was recreated) gives 0.0. Otherwise the time t* at which the
    log end offset was equal to `committed` is found in `end_history` (sorted by time)
    plus the point (now, end_now): walking back from the newest point, the first point
    with end offset <= committed and the point after it bracket `committed`, and t* is
    interpolated linearly between them. Taking the newest such point means that in a
    flat period (equal end offsets) the later time is used, and that a history which
    went backwards (topic recreated) is only read after its last reset. Returns
    `now - t*` (never negative), or None when every recorded point is already past
    `committed`: the history is too short to tell, and a guess would mislead.
    """
    if end_now - committed <= 0:
        return 0.0
    newest = end_history[-1].t if end_history else now
    after = OffsetPoint(max(now, newest), end_now)  # the live end offset closes the last bracket
    for index in range(len(end_history) - 1, -1, -1):
        point = end_history[index]
        if point.offset <= committed:
            t_star = _interpolate(point, after, committed)
            return max(0.0, now - t_star)
        after = point
    return None


def _interpolate(before: OffsetPoint, after: OffsetPoint, committed: int) -> float:
    """Time at which the end offset passed `committed`, with before.offset <= committed < after.offset."""
    if after.offset == before.offset:
        return after.t
    share = (committed - before.offset) / (after.offset - before.offset)
    return before.t + share * (after.t - before.t)


# -- lag status ---------------------------------------------------------------------------------


class LagStatus(StrEnum):
    OK = "OK"
    WARN = "WARN"
    STOP = "STOP"
    STALL = "STALL"
    REWIND = "REWIND"
    UNKNOWN = "UNKNOWN"


class GroupLagStatus(StrEnum):
    OK = "OK"
    WARN = "WARN"
    ERR = "ERR"
    UNKNOWN = "UNKNOWN"


_ERR_STATUSES = frozenset({LagStatus.STOP, LagStatus.STALL, LagStatus.REWIND})

LAG_STATUS_RULES = (
    "Each partition is judged over its last N polls (the window, setting LAG_WINDOW_POLLS), "
    "rules in this order. "
    "UNKNOWN: fewer than 2 polls recorded, or the partition's end offset is unknown right now. "
    "REWIND: the committed offset went backwards within the window (offsets were reset or the "
    "topic was recreated). "
    "OK: the lag was within the allowed lag (setting LAG_ALLOWED, default 0) at any poll in the window. "
    "STALL: the committed offset did not move through the window, the lag is not zero, and the group "
    "has active members (they are connected but not making progress). "
    "STOP: the committed offset did not move through the window, the lag is not zero, and the group "
    "has no active members (nobody is consuming). When membership is unknown, a growing lag counts as "
    "STOP and a steady one as STALL. "
    "WARN: the committed offset moves but the lag never shrank during the window and ended higher "
    "than it started (the group is falling behind). "
    "OK: anything else. "
    "A group takes its worst partition: OK < WARN < ERR, where ERR is STOP, STALL or REWIND; "
    "a group with no judged partition is UNKNOWN. "
    "Adapted from LinkedIn Burrow's evaluation rules; Signalbox polls offsets and does not see commit "
    "timestamps, so group membership stands in for them."
)


@dataclass(frozen=True)
class PartitionLagStatus:
    """The status of one partition of a group and a one-line reason a person can read."""

    status: LagStatus
    reason: str


@dataclass(frozen=True)
class GroupStatusSummary:
    """A group's status (its worst partition), how many partitions are in each partition
    status, the worst partition (None when nothing was judged) and a one-line reason."""

    status: GroupLagStatus
    counts: dict[LagStatus, int] = field(default_factory=dict)
    worst: TopicPartitionKey | None = None
    reason: str = ""


def partition_status(
    *, points: Sequence[CommitPoint], window: int, allowed_lag: int = 0, has_members: bool | None = None
) -> PartitionLagStatus:
    """Burrow-style status of one partition from its commit points (oldest first); only
    the last `window` points count. See LAG_STATUS_RULES for the rules and their order."""
    recent = list(points[-max(2, window) :])
    if len(recent) < 2:
        return PartitionLagStatus(LagStatus.UNKNOWN, f"Only {len(recent)} poll recorded so far; need 2.")
    if recent[-1].lag is None:
        return PartitionLagStatus(LagStatus.UNKNOWN, "The partition's end offset could not be read at the last poll.")
    polls = _polls_text(recent)
    for older, newer in pairwise(recent):
        if newer.committed < older.committed:
            return PartitionLagStatus(
                LagStatus.REWIND,
                f"Committed offset went back from {older.committed} to {newer.committed} {polls}.",
            )
    lags = [p.lag for p in recent if p.lag is not None]
    low = min(lags)
    if low <= allowed_lag:
        return PartitionLagStatus(LagStatus.OK, f"Lag was {low} (allowed {allowed_lag}) at least once {polls}.")
    first, last = lags[0], lags[-1]
    if all(p.committed == recent[0].committed for p in recent):
        grew = last > first
        trend = f"lag grew from {first} to {last}" if grew else f"lag is {last}, was {first}"
        where = f"committed offset stuck at {recent[0].committed} {polls}"
        if has_members is True:
            return PartitionLagStatus(LagStatus.STALL, f"Group has members but {where}; {trend}.")
        if has_members is False:
            return PartitionLagStatus(LagStatus.STOP, f"Group has no active members; {where}; {trend}.")
        if grew:
            return PartitionLagStatus(LagStatus.STOP, f"Consumer appears stopped: {where}; {trend}.")
        return PartitionLagStatus(LagStatus.STALL, f"Consumer makes no progress: {where}; {trend}.")
    if all(b >= a for a, b in pairwise(lags)) and last > first:
        return PartitionLagStatus(LagStatus.WARN, f"Lag grew from {first} to {last} {polls} while commits moved.")
    return PartitionLagStatus(LagStatus.OK, f"Commits move and the lag is not growing steadily (now {last}).")


def _polls_text(points: Sequence[CommitPoint]) -> str:
    span = points[-1].t - points[0].t
    return f"over the last {len(points)} polls ({span:.0f} s)"


_RANK = {
    LagStatus.UNKNOWN: 0,
    LagStatus.OK: 1,
    LagStatus.WARN: 2,
    LagStatus.STALL: 3,
    LagStatus.STOP: 4,
    LagStatus.REWIND: 5,
}


def group_status(statuses: Mapping[TopicPartitionKey, PartitionLagStatus]) -> GroupStatusSummary:
    """The worst status of a group's partitions (OK < WARN < ERR; ERR covers STOP, STALL and
    REWIND; UNKNOWN partitions are left out, and a group with none judged is UNKNOWN), the
    number of partitions in each partition status (every status present, 0 when none), and
    a reason naming the worst partition: "2 of 12 partitions STOP/STALL/REWIND; orders-3: ..."."""
    counts = dict.fromkeys(LagStatus, 0)
    for item in statuses.values():
        counts[item.status] += 1
    if not statuses:
        return GroupStatusSummary(GroupLagStatus.UNKNOWN, counts, None, "No partition with a commit.")
    # Worst first; among equals the lowest (topic, partition), so the reason is stable.
    worst = min(statuses, key=lambda tp: (-_RANK[statuses[tp].status], tp))
    status = statuses[worst].status
    detail = f"{worst[0]}-{worst[1]}: {statuses[worst].reason}"
    total = len(statuses)
    if status in _ERR_STATUSES:
        bad = sum(counts[s] for s in _ERR_STATUSES)
        return GroupStatusSummary(GroupLagStatus.ERR, counts, worst, f"{bad} of {total} partitions in error; {detail}")
    if status is LagStatus.WARN:
        return GroupStatusSummary(
            GroupLagStatus.WARN,
            counts,
            worst,
            f"{counts[LagStatus.WARN]} of {total} partitions falling behind; {detail}",
        )
    if status is LagStatus.OK:
        unknown = counts[LagStatus.UNKNOWN]
        note = f" ({unknown} not judged yet)" if unknown else ""
        return GroupStatusSummary(GroupLagStatus.OK, counts, None, f"All {total - unknown} judged partitions OK{note}.")
    return GroupStatusSummary(GroupLagStatus.UNKNOWN, counts, worst, f"Not judged yet; {detail}")


__all__ = [
    "LAG_SECONDS_METHOD",
    "LAG_STATUS_RULES",
    "CommitPoint",
    "GroupLagStatus",
    "GroupStatusSummary",
    "LagStatus",
    "OffsetPoint",
    "PartitionLagStatus",
    "group_status",
    "lag_seconds",
    "partition_status",
]
