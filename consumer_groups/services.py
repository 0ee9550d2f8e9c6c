"""Changes to consumer groups: reset offsets (with a preview), delete a group, delete
a group's offsets on one topic. Each checks permission first, validates once
(ValidationError naming the field), checks with DescribeGroups that the group exists
(404) and is not in use (409, naming the members) before anything changes, and
writes its audit event with the offsets before and after. Previews are not audited.

Choices, the same as Kafka's kafka-consumer-groups.sh where it has one:
- A timestamp before the earliest record resolves to the earliest offset (the
  preview says so per partition); one after the last record resolves to the end.
  A timestamp in the future is refused (400 on `timestamp`).
- An exact offset outside [earliest, latest] of a partition is refused (400 on
  `offset`, naming the valid range) — unlike the tool, which clamps it silently.
- A shift that would go below the earliest or past the latest offset is clamped
  to it, and the preview says so per partition.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.utils import timezone

from access.audit import audit
from access.permissions import Action, check_permission
from clusters import gateway
from clusters.gateway import group_admin
from clusters.gateway.group_admin import GroupPositions, KafkaGroupActive
from clusters.models import Cluster
from consumer_groups import history

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

log = logging.getLogger(__name__)

SCOPES = {
    "all": "All topics the group has committed offsets on",
    "topic": "Every partition of one topic",
    "partitions": "Chosen partitions of one topic",
}
STRATEGIES = {
    "earliest": "Earliest offset (re-read everything still kept)",
    "latest": "Latest offset (skip to the end)",
    "timestamp": "First record at or after a time",
    "offset": "An exact offset",
    "shift": "Shift by ±N from the committed offset",
}
# Group states in which Kafka lets an admin change offsets.
_IDLE_STATES = frozenset({"Empty", "Dead", ""})
MAX_SHIFT = 10**15


@dataclass(frozen=True)
class ResetRequest:
    """A validated offset-reset request."""

    scope: str
    strategy: str
    topic: str = ""
    partitions: tuple[int, ...] = ()
    timestamp_ms: int | None = None
    offset: int | None = None
    shift: int | None = None

    def parameter(self) -> dict[str, Any]:
        """The strategy's parameter, for the audit record."""
        return {
            "timestamp": {"timestamp_ms": self.timestamp_ms},
            "offset": {"offset": self.offset},
            "shift": {"shift": self.shift},
        }.get(self.strategy, {})


@dataclass(frozen=True)
class OffsetChange:
    """One partition in a reset: committed offset now (None: no commit) and after
    (None: left as it is), the partition's range, and a note when the target was
    resolved or clamped."""

    topic: str
    partition: int
    before: int | None
    after: int | None
    earliest: int
    latest: int
    note: str = ""

    @property
    def changes(self) -> bool:
        return self.after is not None and self.after != self.before

    @property
    def delta(self) -> int | None:
        if self.after is None or self.before is None:
            return None
        return self.after - self.before

    def as_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "partition": self.partition,
            "before": self.before,
            "after": self.after,
            "earliest": self.earliest,
            "latest": self.latest,
            "changes": self.changes,
            "note": self.note,
        }


@dataclass(frozen=True)
class ResetPlan:
    """Old -> new offset per partition; `dry_run` True when nothing was committed."""

    group_id: str
    request: ResetRequest
    rows: tuple[OffsetChange, ...]
    dry_run: bool
    warnings: tuple[str, ...] = ()

    def commits(self) -> dict[tuple[str, int], int]:
        return {(r.topic, r.partition): r.after for r in self.rows if r.after is not None}

    @property
    def changed_count(self) -> int:
        return sum(1 for r in self.rows if r.changes)


@dataclass(frozen=True)
class GroupDeleted:
    group_id: str
    offsets: dict[str, int] = field(default_factory=dict)  # "topic/partition" -> committed offset removed


@dataclass(frozen=True)
class GroupOffsetsDeleted:
    group_id: str
    topic: str
    offsets: dict[int, int] = field(default_factory=dict)  # partition -> committed offset removed


# -- input -------------------------------------------------------------------------------------


def _whole(value: Any, name: str, errors: dict[str, str]) -> int | None:
    if value is None or value == "":
        errors[name] = "This field is required for this strategy."
        return None
    if isinstance(value, bool):
        errors[name] = f"'{value}' is not a whole number."
        return None
    try:
        number = int(str(value).strip()) if not isinstance(value, int) else value
    except ValueError:
        errors[name] = f"'{value}' is not a whole number."
        return None
    return number


def parse_timestamp(value: Any) -> int:
    """Milliseconds since the epoch from an int (ms), a string of digits (ms), an ISO
    8601 date-time (without a zone: the site's time zone) or a datetime. Raises ValueError."""
    if isinstance(value, bool):
        raise ValueError(f"'{value}' is not a time")
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        moment = value
    else:
        text = str(value).strip()
        if text.lstrip("-").isdigit():
            return int(text)
        try:
            moment = datetime.fromisoformat(text)
        except ValueError:
            raise ValueError(
                f"'{text}' is not a time; give an ISO 8601 date-time such as 2024-05-01T12:00:00Z "
                "or milliseconds since the epoch"
            ) from None
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment, timezone.get_current_timezone())
    return int(moment.timestamp() * 1000)


def reset_request_clean(
    *,
    scope: Any,
    strategy: Any,
    topic: Any = None,
    partitions: Any = None,
    timestamp: Any = None,
    offset: Any = None,
    shift: Any = None,
    now_ms: int | None = None,
) -> ResetRequest:
    """Check the shape of a reset request (no Kafka). Raises ValidationError by field."""
    errors: dict[str, str] = {}
    scope = str(scope or "").strip()
    strategy = str(strategy or "").strip()
    if scope not in SCOPES:
        errors["scope"] = f"Choose one of {', '.join(SCOPES)}."
    if strategy not in STRATEGIES:
        errors["strategy"] = f"Choose one of {', '.join(STRATEGIES)}."
    topic = str(topic or "").strip()
    if scope in ("topic", "partitions") and not topic:
        errors["topic"] = "Choose the topic whose offsets to reset."
    chosen: list[int] = []
    if scope == "partitions":
        raw = partitions if isinstance(partitions, list | tuple | set) else [partitions] if partitions else []
        for item in raw:
            try:
                number = int(item)
            except (TypeError, ValueError):
                errors["partitions"] = f"'{item}' is not a partition number."
                break
            if number < 0:
                errors["partitions"] = f"Partition numbers start at 0 (got {number})."
                break
            chosen.append(number)
        if not raw and "partitions" not in errors:
            errors["partitions"] = "Choose at least one partition."
    timestamp_ms = exact = delta = None
    if strategy == "timestamp":
        if timestamp is None or timestamp == "":
            errors["timestamp"] = "Give the time to reset to."
        else:
            try:
                timestamp_ms = parse_timestamp(timestamp)
            except ValueError as exc:
                errors["timestamp"] = f"{exc}."
            else:
                now = now_ms if now_ms is not None else int(time.time() * 1000)
                if timestamp_ms < 0:
                    errors["timestamp"] = "The time must be after 1970-01-01 (milliseconds since the epoch >= 0)."
                elif timestamp_ms > now:
                    errors["timestamp"] = (
                        f"{_shown_time(timestamp_ms)} is in the future; no record has that time yet. "
                        "Give a time in the past, or choose 'latest' to skip to the end."
                    )
    elif strategy == "offset":
        exact = _whole(offset, "offset", errors)
        if exact is not None and exact < 0:
            errors["offset"] = f"Offsets start at 0 (got {exact})."
    elif strategy == "shift":
        delta = _whole(shift, "shift", errors)
        if delta == 0:
            errors["shift"] = "A shift of 0 changes nothing; give a positive or negative number."
        elif delta is not None and abs(delta) > MAX_SHIFT:
            errors["shift"] = f"At most ±{MAX_SHIFT}."
    if errors:
        raise ValidationError(errors)
    return ResetRequest(
        scope=scope,
        strategy=strategy,
        topic=topic if scope != "all" else "",
        partitions=tuple(sorted(set(chosen))),
        timestamp_ms=timestamp_ms,
        offset=exact,
        shift=delta,
    )


def _shown_time(ms: int) -> str:
    moment = datetime.fromtimestamp(ms / 1000, tz=timezone.get_current_timezone())
    return moment.isoformat(timespec="milliseconds")


# -- the plan (pure: no Kafka) ---------------------------------------------------------------------


def reset_plan(*, group_id: str, request: ResetRequest, positions: GroupPositions, dry_run: bool = True) -> ResetPlan:
    """Old -> new offset per partition in scope, from what Kafka reported. Raises
    ValidationError for partitions that do not exist, a group with nothing to reset,
    or an exact offset outside a partition's range."""
    if request.scope == "all":
        in_scope = sorted(tp for tp in positions.committed if tp in positions.watermarks)
        if not in_scope:
            raise ValidationError(
                {
                    "scope": f"Consumer group '{group_id}' has no committed offsets, so 'all topics' is empty; "
                    "choose one topic to reset instead."
                }
            )
    else:
        in_scope = sorted(tp for tp in positions.watermarks if tp[0] == request.topic)
        if request.scope == "partitions":
            existing = {p for _, p in in_scope}
            missing = [p for p in request.partitions if p not in existing]
            if missing:
                raise ValidationError(
                    {
                        "partitions": f"Topic '{request.topic}' has no partition {', '.join(map(str, missing))}; "
                        f"its partitions are 0 to {max(existing, default=-1)}."
                    }
                )
            in_scope = [tp for tp in in_scope if tp[1] in request.partitions]
    rows: list[OffsetChange] = []
    out_of_range: list[str] = []
    for tp in in_scope:
        earliest, latest = positions.watermarks[tp]
        before = positions.committed.get(tp)
        after, note = _target(request, positions, tp, before, earliest, latest)
        if request.strategy == "offset" and request.offset is not None and not earliest <= request.offset <= latest:
            out_of_range.append(f"{tp[0]}/{tp[1]} accepts {earliest} to {latest}")
        rows.append(
            OffsetChange(
                topic=tp[0], partition=tp[1], before=before, after=after, earliest=earliest, latest=latest, note=note
            )
        )
    if out_of_range:
        raise ValidationError(
            {"offset": f"Offset {request.offset} is out of range: {'; '.join(out_of_range)} (earliest to latest)."}
        )
    warnings = [f"{r.topic}/{r.partition}: {r.note}" for r in rows if r.note]
    if rows and not any(r.changes for r in rows):
        warnings.insert(0, "Nothing would change: every partition is already at its target offset.")
    return ResetPlan(group_id=group_id, request=request, rows=tuple(rows), dry_run=dry_run, warnings=tuple(warnings))


def _target(
    request: ResetRequest,
    positions: GroupPositions,
    tp: tuple[str, int],
    before: int | None,
    earliest: int,
    latest: int,
) -> tuple[int | None, str]:
    """(new offset or None to leave the partition alone, note)."""
    strategy = request.strategy
    if strategy == "earliest":
        return earliest, ""
    if strategy == "latest":
        return latest, ""
    if strategy == "offset":
        return request.offset, ""
    if strategy == "timestamp":
        found = positions.at_timestamp.get(tp)
        if found is None:
            if earliest == latest:
                return latest, "The partition holds no records; set to its end."
            return latest, f"No record at or after this time; set to the end (latest offset {latest})."
        offset, record_ms = found
        assert request.timestamp_ms is not None
        if offset <= earliest and record_ms > request.timestamp_ms:
            return earliest, (
                f"The time is before the earliest record still kept ({_shown_time(record_ms)}); "
                f"resolved to the earliest offset {earliest}, as kafka-consumer-groups.sh does."
            )
        return offset, ""
    # shift
    assert request.shift is not None
    if before is None:
        return None, "No committed offset to shift from; left as it is."
    wanted = before + request.shift
    step = f"{before} {'-' if request.shift < 0 else '+'} {abs(request.shift)}"
    if wanted < earliest:
        return earliest, f"{step} = {wanted} is below the earliest offset; clamped to {earliest}."
    if wanted > latest:
        return latest, f"{step} = {wanted} is past the latest offset; clamped to {latest}."
    return wanted, ""


# -- group checks -----------------------------------------------------------------------------------


def _group_checked(
    settings: gateway.ConnectionSettings, group_id: str, doing: str, *, topic: str | None = None
) -> gateway.GroupDescription | None:
    """DescribeGroups before a change: KafkaNotFound when the group does not exist,
    KafkaGroupActive when it is in use (for `topic`: when a member reads that topic).
    None when the group uses the new protocol (KIP-848), which DescribeGroups cannot
    describe; the broker then guards the change itself and we translate its refusal."""
    try:
        description = gateway.group_describe(settings, group_id)
    except gateway.KafkaRequestFailed as exc:
        if "KIP-848" in exc.message:
            return None
        raise
    if topic is not None:
        readers = tuple(m for m in description.members if any(t == topic for t, _ in m.assignment))
        if readers:
            raise group_admin.group_active_error(
                settings,
                group_id,
                readers,
                doing,
                f"Kafka keeps the offsets of topic '{topic}' while a member of the group reads it.",
            )
        return description
    if description.members or description.state not in _IDLE_STATES:
        state = f" (state {description.state})" if description.state else ""
        raise group_admin.group_active_error(
            settings,
            group_id,
            description.members,
            doing,
            f"Kafka allows this only while the group has no active members{state}.",
        )
    return description


def _forget_group_history(cluster: Cluster, group_id: str) -> None:
    """A deleted group's commit history must not judge a new group of the same id."""
    try:
        history.history_forget_group(cluster_id=cluster.pk, group_id=group_id)
    except Exception as exc:  # the keys carry a TTL, so they go away on their own
        log.warning("Could not drop the commit history of group %s: %s", group_id, exc)


def _refresh_snapshot(cluster: Cluster) -> None:
    """Let the group pages show the change at once; the next poll catches up otherwise."""
    try:
        from consumer_groups.snapshot import group_snapshot_take

        group_snapshot_take(cluster=cluster)
    except gateway.GatewayError as exc:
        log.warning("Group snapshot refresh of %s after a change failed: %s", cluster.name, exc.message)
    except Exception:  # the change already happened; a failed refresh must not report it as failed
        log.exception("Group snapshot refresh of %s after a change failed", cluster.name)


# -- services -----------------------------------------------------------------------------------


def group_offsets_reset(
    *,
    user: User,
    cluster: Cluster,
    group_id: str,
    scope: Any,
    strategy: Any,
    topic: Any = None,
    partitions: Any = None,
    timestamp: Any = None,
    offset: Any = None,
    shift: Any = None,
    dry_run: bool = False,
) -> ResetPlan:
    """Reset the committed offsets of a group (per topic or per partition) to the
    earliest, the latest, a time, an exact offset, or shift them by ±N. With
    `dry_run` only the plan (old -> new per partition, with notes) is returned and
    nothing changes. Raises ValidationError by field, KafkaNotFound for an unknown
    group, KafkaGroupActive (naming the members) while the group has members."""
    # A grant limited to topic patterns may reset only the partitions of matching topics.
    named_topic = str(topic) if isinstance(topic, str) and topic else None
    check_permission(
        user=user, cluster=cluster, action=Action.GROUP_OFFSETS_RESET, topic=named_topic, any_topic=not named_topic
    )
    request = reset_request_clean(
        scope=scope,
        strategy=strategy,
        topic=topic,
        partitions=partitions,
        timestamp=timestamp,
        offset=offset,
        shift=shift,
    )
    settings = cluster.connection()
    _group_checked(settings, group_id, "resetting its offsets")
    positions = group_admin.group_positions(
        settings,
        group_id,
        topics=[request.topic] if request.topic else None,
        timestamp_ms=request.timestamp_ms,
    )
    plan = reset_plan(group_id=group_id, request=request, positions=positions, dry_run=dry_run)
    for plan_topic in sorted({r.topic for r in plan.rows if r.after is not None}):
        check_permission(user=user, cluster=cluster, action=Action.GROUP_OFFSETS_RESET, topic=plan_topic)
    if dry_run:
        return plan
    commits = plan.commits()
    if not commits:
        raise ValidationError({"strategy": "Nothing to reset: no partition in scope has an offset to set."})
    with audit(
        user=user,
        cluster=cluster,
        action="group.offsets.reset",
        target=group_id,
        before={f"{r.topic}/{r.partition}": r.before for r in plan.rows if r.after is not None},
    ) as event:
        group_admin.group_offsets_commit(settings, group_id, commits)
        event.after = {
            "strategy": request.strategy,
            **request.parameter(),
            "offsets": {f"{t}/{p}": o for (t, p), o in sorted(commits.items())},
        }
    log.info("Offsets of group %s on %s reset (%s) by %s", group_id, cluster.name, request.strategy, user)
    _refresh_snapshot(cluster)
    return plan


def group_offsets_preview(*, user: User, cluster: Cluster, group_id: str, **request: Any) -> ResetPlan:
    """The same as group_offsets_reset(dry_run=True): what would change, changing nothing."""
    return group_offsets_reset(user=user, cluster=cluster, group_id=group_id, dry_run=True, **request)


@dataclass(frozen=True)
class GroupOverview:
    """A group as the change pages show it: state and members (None for a group on
    the new protocol, which DescribeGroups cannot describe) and its committed offsets."""

    group_id: str
    description: gateway.GroupDescription | None
    positions: GroupPositions

    @property
    def topics(self) -> list[str]:
        return sorted({t for t, _ in self.positions.committed})

    @property
    def active(self) -> bool:
        d = self.description
        return d is not None and (bool(d.members) or d.state not in _IDLE_STATES)


def group_overview_get(*, user: User, cluster: Cluster, group_id: str) -> GroupOverview:
    """State, members and committed offsets (with each partition's range) of one group,
    live from Kafka. Raises KafkaNotFound when the group does not exist."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW)
    settings = cluster.connection()
    try:
        description: gateway.GroupDescription | None = gateway.group_describe(settings, group_id)
    except gateway.KafkaRequestFailed as exc:
        if "KIP-848" not in exc.message:
            raise
        description = None
    positions = group_admin.group_positions(settings, group_id)
    return GroupOverview(group_id=group_id, description=description, positions=positions)


def group_delete(*, user: User, cluster: Cluster, group_id: str, confirm: str) -> GroupDeleted:
    """Delete a consumer group and every offset it committed; `confirm` must repeat
    the group id exactly. Refused (KafkaGroupActive, naming the members) while the
    group has members."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_DELETE)
    if confirm != group_id:
        raise ValidationError({"confirm": f"Type the group id '{group_id}' exactly to confirm."})
    settings = cluster.connection()
    description = _group_checked(settings, group_id, "deleting it")
    committed = group_admin.group_positions(settings, group_id).committed
    offsets = {f"{t}/{p}": o for (t, p), o in sorted(committed.items())}
    before = {"state": description.state if description else "", "offsets": offsets}
    with audit(user=user, cluster=cluster, action="group.delete", target=group_id, before=before) as event:
        group_admin.group_delete(settings, group_id)
        event.after = None
    log.info("Consumer group %s deleted on %s by %s", group_id, cluster.name, user)
    _forget_group_history(cluster, group_id)
    _refresh_snapshot(cluster)
    return GroupDeleted(group_id=group_id, offsets=offsets)


def group_offsets_delete(*, user: User, cluster: Cluster, group_id: str, topic: Any) -> GroupOffsetsDeleted:
    """Delete the group's committed offsets of one topic (OffsetDelete); the group's
    other offsets stay. Refused (KafkaGroupActive) while a member reads that topic."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_DELETE)
    topic = str(topic or "").strip()
    if not topic:
        raise ValidationError({"topic": "Choose the topic whose offsets to delete."})
    settings = cluster.connection()
    _group_checked(settings, group_id, f"deleting its offsets of topic '{topic}'", topic=topic)
    committed = group_admin.group_positions(settings, group_id).committed
    mine = {p: o for (t, p), o in sorted(committed.items()) if t == topic}
    if not mine:
        on = sorted({t for t, _ in committed})
        hint = f"it has offsets on: {', '.join(on)}" if on else "it has no committed offsets at all"
        raise ValidationError(
            {"topic": f"Consumer group '{group_id}' has no committed offsets on topic '{topic}'; {hint}."}
        )
    with audit(
        user=user,
        cluster=cluster,
        action="group.offsets.delete",
        target=group_id,
        before={"topic": topic, "offsets": {str(p): o for p, o in mine.items()}},
    ) as event:
        group_admin.group_offsets_delete(settings, group_id, [(topic, p) for p in mine])
        event.after = {"topic": topic, "offsets": {}}
    log.info("Offsets of group %s on topic %s deleted on %s by %s", group_id, topic, cluster.name, user)
    _refresh_snapshot(cluster)
    return GroupOffsetsDeleted(group_id=group_id, topic=topic, offsets=mine)


__all__ = [
    "SCOPES",
    "STRATEGIES",
    "GroupDeleted",
    "GroupOffsetsDeleted",
    "GroupOverview",
    "KafkaGroupActive",
    "OffsetChange",
    "ResetPlan",
    "ResetRequest",
    "group_delete",
    "group_offsets_delete",
    "group_offsets_preview",
    "group_offsets_reset",
    "group_overview_get",
    "parse_timestamp",
    "reset_plan",
    "reset_request_clean",
]
