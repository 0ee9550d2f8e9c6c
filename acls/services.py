"""Changes to Kafka ACLs: create one, apply a wizard preset (producer, consumer), delete
what a previewed filter matches. Each checks permission first, validates once (a
ValidationError naming the field), and writes an audit event whose before/after list the
bindings; refused input is audited too, since it happens inside the audit block."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.audit import audit
from access.permissions import Action, check_permission
from acls.selectors import AclPreview, acl_fingerprint
from acls.validation import FIELDS, binding_from, filter_from, filter_summary
from clusters.gateway import acls as gateway
from clusters.gateway.acls import AclBinding, AclFilter
from clusters.gateway.errors import KafkaRejected
from clusters.models import Cluster

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

PRESETS = ("producer", "consumer")


@dataclass(frozen=True)
class AclCreateResult:
    created: tuple[AclBinding, ...]  # new on the cluster
    existed: tuple[AclBinding, ...]  # were there already (creating them again changes nothing)

    @property
    def bindings(self) -> tuple[AclBinding, ...]:
        return tuple(sorted(self.created + self.existed, key=AclBinding.sort_key))


@dataclass(frozen=True)
class AclDeleteResult:
    deleted: tuple[AclBinding, ...]


class AclCreateFailed(KafkaRejected):
    """The broker refused some of the bindings; `results` has each one's answer."""

    def __init__(self, message: str, results: tuple[gateway.AclCreated, ...]) -> None:
        super().__init__(message, field=None)
        self.results = results


class AclsChanged(Exception):
    """The ACLs the filter matches are no longer the set that was previewed: nothing was
    deleted; `preview` is the set as it is now (confirm that one to go ahead)."""

    def __init__(self, preview: AclPreview) -> None:
        super().__init__(
            f"The ACLs matching this filter changed since the preview (now {preview.total}); nothing was "
            "deleted. Check the new preview and confirm again."
        )
        self.preview = preview


def _dicts(bindings: tuple[AclBinding, ...] | list[AclBinding]) -> list[dict[str, str]]:
    return [b.as_dict() for b in sorted(bindings, key=AclBinding.sort_key)]


def _bindings_create(*, user: User, cluster: Cluster, action: str, target: str, build: Any) -> AclCreateResult:
    """Validate (via `build`), create and audit; the audit's before lists the bindings that
    already existed and after every binding asked for, now on the cluster."""
    with audit(user=user, cluster=cluster, action=action, target=target) as event:
        bindings: tuple[AclBinding, ...] = build()
        settings = cluster.connection()
        principals = {b.principal for b in bindings}
        existing: set[AclBinding] = set()
        for principal in sorted(principals):
            existing.update(gateway.acls_describe(settings, AclFilter(principal=principal)))
        event.before = _dicts([b for b in bindings if b in existing])
        results = gateway.acls_create(settings, [b for b in bindings if b not in existing])
        failed = [r for r in results if not r.ok]
        if failed:
            done = [r.binding.describe() for r in results if r.ok]
            reasons = "; ".join(f"{r.binding.describe()}: {r.error}" for r in failed)
            also = f" Created: {'; '.join(done)}." if done else " Nothing was created."
            raise AclCreateFailed(f"Cluster '{cluster.name}' refused {len(failed)} ACL(s): {reasons}.{also}", results)
        event.after = _dicts(bindings)
    return AclCreateResult(
        created=tuple(b for b in bindings if b not in existing),
        existed=tuple(b for b in bindings if b in existing),
    )


def acl_create(*, user: User, cluster: Cluster, data: Mapping[str, Any]) -> AclCreateResult:
    """Create one ACL from `data` (principal, host, operation, permission, resource_type,
    resource_name, pattern_type). Creating an ACL that exists changes nothing and is
    reported in `existed`. Raises ValidationError naming the field for bad input and
    KafkaRejected with the broker's reason when it refuses."""
    check_permission(user=user, cluster=cluster, action=Action.ACL_EDIT)
    target = f"{data.get('principal') or '?'} on {data.get('resource_type') or '?'} {data.get('resource_name') or ''}"
    return _bindings_create(
        user=user, cluster=cluster, action="acl.create", target=target.strip(), build=lambda: (binding_from(data),)
    )


def _flag(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "on", "yes")
    return bool(value)


def acl_wizard_bindings(
    *,
    preset: str,
    principal: str,
    topic: str,
    host: str = "*",
    group: str = "",
    transactional_id: str = "",
    prefixed: Any = False,
) -> tuple[AclBinding, ...]:
    """The ACLs a preset stands for (no Kafka involved; the wizard page shows them first):

    - producer: WRITE and DESCRIBE on the topic; with a transactional id also WRITE and
      DESCRIBE on it (Kafka 3+ grants idempotent writes with WRITE on a topic);
    - consumer: READ and DESCRIBE on the topic and READ on the group.
    With `prefixed`, every name is a prefix (PREFIXED pattern type) instead of a literal name.
    """
    errors: dict[str, list[str]] = {}
    preset = str(preset or "").strip().lower()
    if preset not in PRESETS:
        errors["preset"] = [f"Unknown preset '{preset}'; use one of {', '.join(PRESETS)}."]
    pattern = "PREFIXED" if _flag(prefixed) else "LITERAL"
    wanted: list[tuple[str, str, str, str]] = []  # (field, resource type, name, operation)
    if preset == "producer":
        wanted += [("topic", "TOPIC", topic, "WRITE"), ("topic", "TOPIC", topic, "DESCRIBE")]
        if str(transactional_id or "").strip():
            wanted += [
                ("transactional_id", "TRANSACTIONAL_ID", transactional_id, "WRITE"),
                ("transactional_id", "TRANSACTIONAL_ID", transactional_id, "DESCRIBE"),
            ]
    elif preset == "consumer":
        wanted += [("topic", "TOPIC", topic, "READ"), ("topic", "TOPIC", topic, "DESCRIBE")]
        if not str(group or "").strip():
            errors["group"] = ["A consumer needs its consumer group id (the client's group.id)."]
        else:
            wanted.append(("group", "GROUP", group, "READ"))
    bindings: list[AclBinding] = []
    for form_field, resource_type, name, operation in wanted:
        data = {
            "principal": principal,
            "host": host or "*",
            "operation": operation,
            "permission": "ALLOW",
            "resource_type": resource_type,
            "resource_name": str(name or ""),
            "pattern_type": pattern,
        }
        try:
            bindings.append(binding_from(data))
        except ValidationError as exc:
            for key, messages in exc.message_dict.items():
                # The per-binding field resource_name is the wizard's topic/group/transactional id.
                errors.setdefault(form_field if key == "resource_name" else key, list(messages))
    if not wanted and "preset" not in errors:
        errors["preset"] = ["Choose a preset."]
    if errors:
        raise ValidationError(errors)
    return tuple(dict.fromkeys(bindings))


def acl_wizard_apply(*, user: User, cluster: Cluster, data: Mapping[str, Any]) -> AclCreateResult:
    """Create the ACLs of a wizard preset (see acl_wizard_bindings for `data`'s keys)."""
    check_permission(user=user, cluster=cluster, action=Action.ACL_EDIT)
    preset = str(data.get("preset") or "").strip().lower()
    target = f"{data.get('principal') or '?'} as {preset or '?'} of {data.get('topic') or '?'}"
    return _bindings_create(
        user=user,
        cluster=cluster,
        action="acl.wizard",
        target=target,
        build=lambda: acl_wizard_bindings(
            preset=preset,
            principal=str(data.get("principal") or ""),
            topic=str(data.get("topic") or ""),
            host=str(data.get("host") or "*"),
            group=str(data.get("group") or ""),
            transactional_id=str(data.get("transactional_id") or ""),
            prefixed=data.get("prefixed", False),
        ),
    )


def acl_delete(*, user: User, cluster: Cluster, filters: Mapping[str, Any], fingerprint: str) -> AclDeleteResult:
    """Delete the ACLs the filters match, but only when they are still exactly the set
    whose preview returned `fingerprint`; then each previewed ACL is deleted by an exact
    filter, so an ACL created after the preview is never swept up.

    Raises ValidationError for a bad filter, a missing fingerprint or a filter that
    matches no ACL, and AclsChanged (with the current preview) when the set differs."""
    check_permission(user=user, cluster=cluster, action=Action.ACL_EDIT)
    target = "ACLs matching " + (", ".join(f"{k}={filters.get(k)}" for k in FIELDS if filters.get(k)) or "anything")
    with audit(user=user, cluster=cluster, action="acl.delete", target=target) as event:
        acl_filter = filter_from(filters)
        fingerprint = str(fingerprint or "").strip().lower()
        if not fingerprint:
            raise ValidationError(
                {"fingerprint": "Preview the delete first and send back the fingerprint it returned."}
            )
        settings = cluster.connection()
        current = gateway.acls_describe(settings, acl_filter)
        if not current:
            raise ValidationError(
                {
                    "filter": f"The filter ({filter_summary(acl_filter)}) matches no ACL on cluster "
                    f"'{cluster.name}'; nothing was deleted."
                }
            )
        if fingerprint != acl_fingerprint(current):
            raise AclsChanged(AclPreview(acl_filter=acl_filter, bindings=current, fingerprint=acl_fingerprint(current)))
        event.before = _dicts(current)
        outcome = gateway.acls_delete(settings, [b.as_filter() for b in current])
        deleted = set(outcome.deleted)
        event.after = _dicts([b for b in current if b not in deleted])
        if outcome.failed:
            reasons = "; ".join(f"{b.describe()}: {reason}" for b, reason in outcome.failed)
            raise KafkaRejected(
                f"Cluster '{cluster.name}' deleted {len(deleted)} ACL(s) but refused {len(outcome.failed)}: {reasons}."
            )
    return AclDeleteResult(deleted=tuple(sorted(deleted, key=AclBinding.sort_key)))
