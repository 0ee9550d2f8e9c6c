"""Changes to a cluster's schema registry: register (compatibility checked first), compatibility levels,
soft and hard deletes. Each checks SCHEMA_EDIT first, validates once, and is audited."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from access.audit import audit
from access.permissions import Action, check_permission
from schemas import registry
from schemas.selectors import registry_url, topic_uses
from schemas.validation import (
    LEVELS,
    validate_level,
    validate_schema_text,
    validate_schema_type,
    validate_subject,
)

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    AnyUser = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class RegisterResult:
    subject: str
    schema_type: str
    compatible: bool
    compatibility: str  # the level the check ran under
    checked_against: int | None  # the latest version checked against (None: first version)
    dry_run: bool
    schema_id: int | None = None
    version: int | None = None
    messages: tuple[str, ...] = ()


def _rejected_as_schema(exc: registry.RegistryRejected) -> registry.RegistryRejected:
    # The registry's refusal of the schema text names no field: it is the schema.
    return registry.RegistryRejected(exc.message, exc.url, field=exc.field or "schema")


def schema_register(
    *,
    user: AnyUser,
    cluster: Cluster,
    subject: str,
    schema: str,
    schema_type: str = "AVRO",
    dry_run: bool = False,
) -> RegisterResult:
    """Register a new version of `subject` after checking it against the subject's compatibility level.
    An incompatible schema raises RegistryConflict naming the level and the rule it breaks; nothing is
    registered. With dry_run only the checks run (not audited)."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_EDIT)
    subject = validate_subject(subject)
    schema_type = validate_schema_type(schema_type)
    schema = validate_schema_text(schema, schema_type)
    url = registry_url(cluster)
    try:
        live = registry.subject_versions(url, subject)
    except registry.RegistryNotFound:
        live = []
    level = (
        (registry.compatibility_get(url, subject) if live else None) or registry.compatibility_get(url) or "BACKWARD"
    )
    latest = live[-1] if live else None
    messages: tuple[str, ...] = ()
    if live:
        try:
            verdict = registry.compatibility_check(url, subject, schema, schema_type)
        except registry.RegistryRejected as exc:
            raise _rejected_as_schema(exc) from exc
        messages = verdict.messages
        if not verdict.is_compatible:
            reasons = f" The registry says: {'; '.join(messages)}." if messages else ""
            raise registry.RegistryConflict(
                f"Not registered: the schema is not {level}-compatible with version {latest} of '{subject}' "
                f"(the rule: {LEVELS.get(level, level)}).{reasons} Change the schema (e.g. give a new field a "
                "default), or change the subject's compatibility level.",
                url,
            )
    if dry_run:
        return RegisterResult(subject, schema_type, True, level, latest, True, messages=messages)
    with audit(
        user=user, cluster=cluster, action="schema.register", target=subject, before={"versions": live}
    ) as event:
        try:
            schema_id = registry.register(url, subject, schema, schema_type)
        except registry.RegistryRejected as exc:
            raise _rejected_as_schema(exc) from exc
        shown = registry.subject_version(url, subject)
        version = shown.version if shown.id == schema_id else None
        event.after = {"schema_id": schema_id, "version": version, "schema_type": schema_type}
    return RegisterResult(subject, schema_type, True, level, latest, False, schema_id, version, messages)


def compatibility_update(*, user: AnyUser, cluster: Cluster, level: str, subject: str | None = None) -> str | None:
    """Set the global level, or a subject's own level; level "" for a subject drops its own level so the
    global one applies. Returns the subject's own (or the global) level now."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_EDIT)
    if subject is not None:
        subject = validate_subject(subject)
    new = validate_level(level) if (level or subject is None) else ""
    url = registry_url(cluster)
    before = registry.compatibility_get(url, subject)
    target = subject or "(global)"
    with audit(user=user, cluster=cluster, action="schema.compatibility", target=target, before=before) as event:
        if subject is not None and not new:
            registry.compatibility_delete(url, subject)
            event.after = None
            return None
        try:
            now = registry.compatibility_set(url, new, subject)
        except registry.RegistryRejected as exc:
            raise registry.RegistryRejected(exc.message, exc.url, field="compatibility") from exc
        event.after = now
    return now


@dataclass(frozen=True)
class DeleteResult:
    subject: str
    versions: list[int]
    permanent: bool
    warnings: list[str] = field(default_factory=list)


def subject_delete_warnings(*, cluster: Cluster, subject: str) -> list[str]:
    """Why deleting `subject` may hurt: a topic of the cluster still uses it (TopicNameStrategy)."""
    use = topic_uses(cluster=cluster, subjects=[subject])[subject]
    if use is None or not use.exists:
        return []
    return [
        f"Topic '{use.topic}' still uses this subject for its message {use.role}s: consumers decoding its "
        "messages need these schemas, and producers registering again re-create the subject."
    ]


def schema_version_delete(
    *, user: AnyUser, cluster: Cluster, subject: str, version: int, permanent: bool = False
) -> DeleteResult:
    """Soft delete one version, or remove a soft-deleted version for good (the registry's order)."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_EDIT)
    subject = validate_subject(subject)
    url = registry_url(cluster)
    every = registry.subject_versions(url, subject, deleted=True)
    if version not in every:
        raise registry.RegistryNotFound(f"Subject '{subject}' has no version {version} (versions: {every}).", url)
    try:
        live = registry.subject_versions(url, subject)
    except registry.RegistryNotFound:
        live = []
    if permanent and version in live:
        raise registry.RegistryConflict(
            f"Version {version} of '{subject}' is live: soft delete it first, then delete it permanently.", url
        )
    if not permanent and version not in live:
        raise registry.RegistryConflict(
            f"Version {version} of '{subject}' is already soft-deleted: delete it permanently, or leave it.", url
        )
    action = "schema.version.hard_delete" if permanent else "schema.version.delete"
    warnings = subject_delete_warnings(cluster=cluster, subject=subject) if live == [version] else []
    with audit(user=user, cluster=cluster, action=action, target=f"{subject} v{version}") as event:
        done = registry.version_delete(url, subject, version, permanent=permanent)
        event.after = {"version": done, "permanent": permanent}
    return DeleteResult(subject, [done], permanent, warnings)


def schema_subject_delete(*, user: AnyUser, cluster: Cluster, subject: str, permanent: bool = False) -> DeleteResult:
    """Soft delete a whole subject, or remove a soft-deleted subject for good. The result warns when a
    topic of the cluster still uses the subject."""
    check_permission(user=user, cluster=cluster, action=Action.SCHEMA_EDIT)
    subject = validate_subject(subject)
    url = registry_url(cluster)
    every = registry.subject_versions(url, subject, deleted=True)
    live_subjects = registry.subjects(url)
    if permanent and subject in live_subjects:
        raise registry.RegistryConflict(
            f"Subject '{subject}' is live: soft delete it first, then delete it permanently.", url
        )
    if not permanent and subject not in live_subjects:
        raise registry.RegistryConflict(
            f"Subject '{subject}' is already soft-deleted: delete it permanently, or leave it.", url
        )
    warnings = subject_delete_warnings(cluster=cluster, subject=subject)
    action = "schema.subject.hard_delete" if permanent else "schema.subject.delete"
    with audit(user=user, cluster=cluster, action=action, target=subject, before={"versions": every}) as event:
        versions = registry.subject_delete(url, subject, permanent=permanent)
        event.after = {"versions": versions, "permanent": permanent}
    return DeleteResult(subject, versions, permanent, warnings)
