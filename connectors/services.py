"""Changes to Kafka Connect connectors: permission first, validation through Connect, then audit."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.audit import audit
from access.permissions import Action, check_permission
from connectors import connect
from connectors.connect import ConnectTarget
from connectors.selectors import MASK, connect_target, mask_config

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    AnyUser = AbstractBaseUser | AnonymousUser

MAX_NAME = 249


def _check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise ValidationError({"name": "Give the connector a name."})
    if len(name) > MAX_NAME or any(c in name for c in "/\\") or not name.isprintable():
        raise ValidationError({"name": f"Use at most {MAX_NAME} printable characters, without '/' or '\\'."})
    return name


def _check_config(config: Any) -> dict[str, str]:
    if not isinstance(config, dict) or not config:
        raise ValidationError({"config": "Give the connector config as key/value pairs (at least connector.class)."})
    clean: dict[str, str] = {}
    for key, value in config.items():
        if not str(key).strip():
            raise ValidationError({"config": "A config key is empty."})
        clean[str(key).strip()] = "" if value is None else str(value)
    if not clean.get("connector.class", "").strip():
        raise ValidationError({"connector.class": "Choose the connector plugin (connector.class)."})
    return clean


def config_validate(*, target: ConnectTarget, name: str, config: dict[str, str]) -> connect.ValidationResult:
    """Ask Connect to validate `config`; raise ValidationError naming every field it rejects."""
    result = connect.config_validate(target, config["connector.class"], {**config, "name": name})
    if not result.ok:
        errors = {key: list(msgs) for key, msgs in result.errors.items()}
        raise ValidationError(errors or {"config": f"Kafka Connect found {result.error_count} error(s) in the config."})
    return result


def connector_create(
    *,
    user: AnyUser,
    cluster: Cluster,
    connect_ref: str | None,
    name: str,
    config: dict[str, str],
    dry_run: bool = False,
) -> connect.ConnectorInfo | connect.ValidationResult:
    """Validate the config through Connect's validate endpoint, then create the connector
    (nothing is created while any field has errors). A dry run only validates."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_EDIT)
    name = _check_name(name)
    config = _check_config(config)
    if config.get("name", name) != name:
        raise ValidationError({"name": f"The config says name '{config['name']}'; it must match the connector name."})
    target = connect_target(cluster=cluster, ref=connect_ref)
    result = config_validate(target=target, name=name, config=config)
    if dry_run:
        return result
    with audit(user=user, cluster=cluster, action="connector.create", target=f"{target.name}/{name}") as event:
        info = connect.connector_create(target, name, {**config, "name": name})
        event.after = {"connect": target.url, "config": mask_config(info.config)}
    return info


def connector_config_update(
    *, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str, config: dict[str, str]
) -> connect.ConnectorInfo:
    """Replace a connector's config after Connect validated it. A masked value ("********")
    keeps the current secret, so editing never needs the secret shown."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_EDIT)
    config = _check_config(config)
    target = connect_target(cluster=cluster, ref=connect_ref)
    current = connect.connector_info(target, name).config
    merged = {k: (current.get(k, "") if v == MASK else v) for k, v in config.items()}
    merged["name"] = name
    config_validate(target=target, name=name, config=merged)
    with audit(
        user=user,
        cluster=cluster,
        action="connector.config",
        target=f"{target.name}/{name}",
        before={"config": mask_config(current)},
    ) as event:
        info = connect.connector_config_put(target, name, merged)
        event.after = {"config": mask_config(info.config)}
    return info


OPERATIONS = ("pause", "resume", "stop", "restart", "restart-failed")


def connector_operate(
    *, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str, operation: str
) -> connect.ConnectorStatus | None:
    """Pause, resume, stop, restart (connector and all tasks) or restart only failed tasks."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_OPERATE)
    if operation not in OPERATIONS:
        raise ValidationError({"operation": f"Use one of: {', '.join(OPERATIONS)}."})
    target = connect_target(cluster=cluster, ref=connect_ref)
    before = connect.connector_status(target, name)
    with audit(
        user=user,
        cluster=cluster,
        action=f"connector.{operation}",
        target=f"{target.name}/{name}",
        before={"state": before.state},
    ) as event:
        result: connect.ConnectorStatus | None = None
        if operation == "pause":
            connect.connector_pause(target, name)
        elif operation == "resume":
            connect.connector_resume(target, name)
        elif operation == "stop":
            connect.connector_stop(target, name)
        elif operation == "restart":
            result = connect.connector_restart(target, name, include_tasks=True, only_failed=False)
        else:
            result = connect.connector_restart(target, name, include_tasks=True, only_failed=True)
        event.after = {"requested": operation, "state": result.state if result else None}
    return result


def connector_task_restart(
    *, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str, task_id: Any
) -> None:
    """Restart one task of a connector."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_OPERATE)
    try:
        task = int(task_id)
        if task < 0:
            raise ValueError
    except (TypeError, ValueError):
        raise ValidationError({"task": "Give the task id, a whole number from 0."})
    target = connect_target(cluster=cluster, ref=connect_ref)
    with audit(user=user, cluster=cluster, action="connector.task.restart", target=f"{target.name}/{name}/{task}") as e:
        connect.task_restart(target, name, task)
        e.after = {"task": task}


def connector_delete(*, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str, confirm: str) -> None:
    """Delete a connector once `confirm` repeats its name."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_EDIT)
    if (confirm or "").strip() != name:
        raise ValidationError({"confirm": f"Type the connector name '{name}' to confirm."})
    target = connect_target(cluster=cluster, ref=connect_ref)
    current = connect.connector_info(target, name)
    with audit(
        user=user,
        cluster=cluster,
        action="connector.delete",
        target=f"{target.name}/{name}",
        before={"config": mask_config(current.config)},
    ) as event:
        connect.connector_delete(target, name)
        event.after = {"deleted": True}


def connector_offsets_reset(*, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str) -> str:
    """Reset every offset of a STOPPED connector (KIP-875); Connect refuses otherwise."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_EDIT)
    target = connect_target(cluster=cluster, ref=connect_ref)
    before = connect.offsets_get(target, name)
    with audit(
        user=user,
        cluster=cluster,
        action="connector.offsets.reset",
        target=f"{target.name}/{name}",
        before=before.as_dict(),
    ) as event:
        message = connect.offsets_reset(target, name)
        event.after = {"message": message}
    return message
