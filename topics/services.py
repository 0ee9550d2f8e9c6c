"""Changes to topics: create (with a dry run), alter configs, add partitions, delete
records, delete. Each checks permission first, validates once (ValidationError naming
the field), writes its audit event (dry runs are not audited) and refreshes the
stored topic snapshot so the list shows the change at once."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.audit import audit
from access.permissions import Action, check_permission
from clusters import gateway
from clusters.models import Cluster
from topics.names import collision_key, validate_topic_name
from topics.selectors import topic_names
from topics.snapshot import topic_snapshot_refresh

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

log = logging.getLogger(__name__)

MAX_PARTITIONS = 100_000  # far above any sane topic; stops a typo from asking the controller for millions
MAX_CONFIG_VALUE = 10_000


@dataclass(frozen=True)
class CreateResult:
    topic: gateway.TopicCreated
    dry_run: bool
    warnings: tuple[str, ...] = ()


@dataclass(frozen=True)
class ConfigChange:
    name: str
    before: str | None
    after: str | None  # None: the override is removed and the default applies


@dataclass(frozen=True)
class ConfigChangeResult:
    changes: tuple[ConfigChange, ...]
    dry_run: bool


@dataclass(frozen=True)
class PartitionsResult:
    before: int
    after: int
    dry_run: bool


@dataclass(frozen=True)
class RecordsDeleteResult:
    # partition -> (earliest offset before, earliest offset after)
    partitions: dict[int, tuple[int, int]] = field(default_factory=dict)

    @property
    def records_deleted(self) -> int:
        return sum(after - before for before, after in self.partitions.values())


def _refresh_snapshot(cluster: Cluster) -> None:
    try:
        topic_snapshot_refresh(cluster=cluster)
    except gateway.GatewayError as exc:  # the change already happened; the next poll catches up
        log.warning("Snapshot refresh of %s after a topic change failed: %s", cluster.name, exc.message)


def _positive_int(value: Any, name: str, errors: dict[str, str], high: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int):
        errors[name] = f"'{value}' is not a whole number."
        return 0
    if value < 1:
        errors[name] = f"Must be at least 1 (got {value})."
    elif value > high:
        errors[name] = f"Must be at most {high} (got {value})."
    return value


def _configs_clean(configs: Any, errors: dict[str, str], *, allow_reset: bool) -> dict[str, Any]:
    if not isinstance(configs, dict):
        errors["configs"] = "Give the configs as an object of name to value."
        return {}
    cleaned: dict[str, Any] = {}
    for key, value in configs.items():
        key = str(key).strip()
        if not key:
            errors["configs"] = "A config name cannot be empty."
        elif value is None and allow_reset:
            cleaned[key] = None
        elif isinstance(value, bool):
            cleaned[key] = "true" if value else "false"
        elif not isinstance(value, str | int | float):
            errors["configs"] = f"The value of '{key}' must be text (e.g. \"604800000\")."
        elif len(str(value)) > MAX_CONFIG_VALUE:
            errors["configs"] = f"The value of '{key}' is longer than {MAX_CONFIG_VALUE} characters."
        else:
            cleaned[key] = str(value)
    return cleaned


def topic_name_warnings(*, cluster: Cluster, name: str) -> list[str]:
    """Warnings (not errors) about a new topic's name: a name that differs from an
    existing one only in '.' versus '_' collides in Kafka's metric names."""
    key = collision_key(name)
    clashes = sorted(n for n in topic_names(cluster=cluster) if n != name and collision_key(n) == key)
    return [
        f"'{name}' differs from the existing topic '{other}' only in '.' versus '_'; their metric names "
        "collide, and Kafka refuses such a topic."
        for other in clashes
    ]


def topic_create(
    *,
    user: User,
    cluster: Cluster,
    name: str,
    partitions: Any,
    replication_factor: Any,
    configs: Any = None,
    dry_run: bool = False,
) -> CreateResult:
    """Create a topic; with `dry_run` the broker only validates it (create_topics
    validate_only) and nothing is created. Raises ValidationError naming the field
    for bad input and KafkaRejected (with the broker's message) when it refuses."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_CREATE, topic=str(name or "").strip() or None)
    errors: dict[str, str] = {}
    name = str(name or "").strip()
    try:
        validate_topic_name(name)
    except ValidationError as exc:
        errors["name"] = " ".join(exc.messages)
    partitions = _positive_int(partitions, "partitions", errors, MAX_PARTITIONS)
    replication_factor = _positive_int(replication_factor, "replication_factor", errors, 32767)
    status = getattr(cluster, "status", None)
    brokers = status.broker_count if status is not None else 0
    if "replication_factor" not in errors and brokers and replication_factor > brokers:
        errors["replication_factor"] = (
            f"Replication factor {replication_factor} is above the {brokers} broker(s) of cluster "
            f"'{cluster.name}'; each replica needs its own broker."
        )
    cleaned = _configs_clean(configs if configs is not None else {}, errors, allow_reset=False)
    if errors:
        raise ValidationError(errors)
    warnings = tuple(topic_name_warnings(cluster=cluster, name=name))
    settings = cluster.connection()
    if dry_run:
        created = gateway.topics.topic_create(
            settings,
            name=name,
            partitions=partitions,
            replication_factor=replication_factor,
            configs=cleaned,
            validate_only=True,
        )
        return CreateResult(topic=created, dry_run=True, warnings=warnings)
    with audit(user=user, cluster=cluster, action="topic.create", target=name) as event:
        created = gateway.topics.topic_create(
            settings, name=name, partitions=partitions, replication_factor=replication_factor, configs=cleaned
        )
        event.after = created.as_dict()
    log.info("Topic %s created on %s by %s", name, cluster.name, user)
    _refresh_snapshot(cluster)
    return CreateResult(topic=created, dry_run=False, warnings=warnings)


def topic_configs_update(
    *, user: User, cluster: Cluster, name: str, changes: Any, dry_run: bool = False
) -> ConfigChangeResult:
    """Change some configs of a topic (IncrementalAlterConfigs): a value sets an
    override, None removes it. With `dry_run` the broker only validates the change."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_EDIT, topic=name)
    errors: dict[str, str] = {}
    cleaned = _configs_clean(changes, errors, allow_reset=True)
    if not errors and not cleaned:
        errors["configs"] = "Nothing to change: give at least one config."
    if errors:
        raise ValidationError(errors)
    settings = cluster.connection()
    current = {c.name: c for c in gateway.topics.topic_configs(settings, name)}
    unknown = sorted(k for k in cleaned if k not in current)
    if unknown:
        raise ValidationError({"configs": f"Unknown topic config: {', '.join(unknown)}."})

    def shown(key: str, value: str | None) -> str | None:
        return gateway.topics.MASK if current[key].sensitive and value is not None else value

    result = ConfigChangeResult(
        changes=tuple(
            ConfigChange(
                name=k, before=shown(k, current[k].value if current[k].is_override else None), after=shown(k, v)
            )
            for k, v in sorted(cleaned.items())
        ),
        dry_run=dry_run,
    )
    if dry_run:
        gateway.topics.topic_configs_alter(settings, name, changes=cleaned, validate_only=True)
        return result
    before = {c.name: c.before for c in result.changes}
    with audit(user=user, cluster=cluster, action="topic.config.update", target=name, before=before) as event:
        gateway.topics.topic_configs_alter(settings, name, changes=cleaned)
        event.after = {c.name: c.after for c in result.changes}
    log.info("Configs of topic %s on %s changed by %s: %s", name, cluster.name, user, sorted(cleaned))
    return result


def topic_partitions_add(
    *, user: User, cluster: Cluster, name: str, partitions: Any, dry_run: bool = False
) -> PartitionsResult:
    """Raise a topic's partition count to `partitions` (Kafka cannot lower it). Records
    with a key may land on a different partition afterwards. With `dry_run` the
    controller only validates it."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_EDIT, topic=name)
    errors: dict[str, str] = {}
    total = _positive_int(partitions, "partitions", errors, MAX_PARTITIONS)
    if errors:
        raise ValidationError(errors)
    settings = cluster.connection()
    current = gateway.topics.topic_partition_count(settings, name)
    if total <= current:
        raise ValidationError(
            {
                "partitions": f"Topic '{name}' has {current} partition(s); the new count must be higher "
                f"(Kafka can add partitions but never remove them)."
            }
        )
    if dry_run:
        gateway.topics.topic_partitions_add(settings, name, total=total, validate_only=True)
        return PartitionsResult(before=current, after=total, dry_run=True)
    with audit(
        user=user, cluster=cluster, action="topic.partitions.add", target=name, before={"partitions": current}
    ) as event:
        gateway.topics.topic_partitions_add(settings, name, total=total)
        event.after = {"partitions": total}
    _refresh_snapshot(cluster)
    return PartitionsResult(before=current, after=total, dry_run=False)


def topic_records_delete(
    *, user: User, cluster: Cluster, name: str, offsets: Any = None, purge: bool = False
) -> RecordsDeleteResult:
    """Delete the records below an offset in some partitions, or with `purge` every
    record of the topic (each partition up to its latest offset, the high watermark).
    Offsets are checked against the live earliest and latest offsets first."""
    check_permission(user=user, cluster=cluster, action=Action.RECORDS_DELETE, topic=name)
    settings = cluster.connection()
    watermarks = gateway.topics.topic_offsets(settings, name)
    # A purge deletes up to the high watermark of every partition.
    before = {p: hi for p, (_, hi) in watermarks.items()} if purge else _offsets_clean(offsets, watermarks)
    with audit(
        user=user,
        cluster=cluster,
        action="topic.records.purge" if purge else "topic.records.delete",
        target=name,
        before={str(p): watermarks[p][0] for p in before},
    ) as event:
        low = gateway.topics.topic_records_delete(settings, name, before=before)
        event.after = {str(p): o for p, o in sorted(low.items())}
    _refresh_snapshot(cluster)
    return RecordsDeleteResult(partitions={p: (watermarks[p][0], low.get(p, before[p])) for p in sorted(before)})


def _offsets_clean(offsets: Any, watermarks: dict[int, tuple[int, int]]) -> dict[int, int]:
    if not isinstance(offsets, dict) or not offsets:
        raise ValidationError({"offsets": "Give at least one partition and the offset to delete records before."})
    cleaned: dict[int, int] = {}
    problems: list[str] = []
    for raw_partition, raw_offset in offsets.items():
        try:
            partition = int(raw_partition)
            offset = int(raw_offset)
        except (TypeError, ValueError):
            problems.append(f"partition '{raw_partition}': '{raw_offset}' is not a whole number")
            continue
        if partition not in watermarks:
            problems.append(f"partition {partition} does not exist (the topic has {len(watermarks)})")
            continue
        earliest, latest = watermarks[partition]
        if offset < 0 or offset > latest:
            problems.append(
                f"partition {partition}: offset {offset} is out of range; it must be between 0 and the "
                f"latest offset {latest}"
            )
            continue
        if offset > earliest:  # at or below the earliest offset there is nothing to delete
            cleaned[partition] = offset
    if problems:
        raise ValidationError({"offsets": "; ".join(problems).capitalize() + "."})
    if not cleaned:
        raise ValidationError(
            {"offsets": "Nothing to delete: every offset given is at or below its partition's earliest offset."}
        )
    return cleaned


def topic_delete(*, user: User, cluster: Cluster, name: str, confirm: str) -> None:
    """Delete a topic and all its records; `confirm` must repeat the name exactly."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_DELETE, topic=name)
    if confirm != name:
        raise ValidationError({"confirm": f"Type the topic name '{name}' exactly to confirm."})
    settings = cluster.connection()
    count = gateway.topics.topic_partition_count(settings, name)
    with audit(user=user, cluster=cluster, action="topic.delete", target=name, before={"partitions": count}) as event:
        gateway.topics.topic_delete(settings, name)
        event.after = None
    log.info("Topic %s deleted on %s by %s", name, cluster.name, user)
    _refresh_snapshot(cluster)
