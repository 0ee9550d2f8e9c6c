"""Changes to dynamic broker configs: validated once, previewed by the broker
(validate-only), then applied with an audit event whose sensitive values are redacted."""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.audit import REDACTED, audit
from access.permissions import Action, check_permission
from clusters.gateway import brokers as gateway_brokers
from clusters.gateway.brokers import CONFIG_OPS, BrokerConfigChange, BrokerConfigEntry

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    User = AbstractBaseUser | AnonymousUser

# Precedence of config sources, most specific first: deleting a value at one level
# falls back to the next level that has one.
_PRECEDENCE = (
    "DYNAMIC_BROKER_LOGGER_CONFIG",
    "DYNAMIC_BROKER_CONFIG",
    "DYNAMIC_DEFAULT_BROKER_CONFIG",
    "STATIC_BROKER_CONFIG",
    "DEFAULT_CONFIG",
)
MAX_CHANGES = 50
_LISTENER_PREFIX = "listener.name."
# The broker applies a change through the metadata log; reading it back may lag a moment.
_READ_BACK_TRIES = 30  # up to 6 s: a loaded broker applies dynamic configs late
_READ_BACK_PAUSE_S = 0.2


@dataclass(frozen=True)
class ConfigChangePreview:
    """One change as the broker saw it: value before and (expected or read-back) after.
    Sensitive values are never carried: they show as the mask."""

    name: str
    op: str
    before: str | None
    before_source: str
    after: str | None
    after_source: str
    sensitive: bool


@dataclass(frozen=True)
class BrokerConfigAlterResult:
    broker_id: int | None
    validate_only: bool
    changes: tuple[ConfigChangePreview, ...]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def target_label(broker_id: int | None) -> str:
    return "cluster default" if broker_id is None else f"broker {broker_id}"


def broker_config_changes_parse(raw: Any) -> list[BrokerConfigChange]:
    """Turn request data (a list of {name, op, value}) into changes; raises
    ValidationError naming the config (or `configs`) and the reason."""
    if not isinstance(raw, list) or not raw:
        raise ValidationError({"configs": "Give at least one change: [{name, op: SET|DELETE, value}]."})
    if len(raw) > MAX_CHANGES:
        raise ValidationError({"configs": f"At most {MAX_CHANGES} changes at once."})
    changes: list[BrokerConfigChange] = []
    errors: dict[str, str] = {}
    for item in raw:
        if not isinstance(item, dict):
            raise ValidationError({"configs": "Each change is an object {name, op, value}."})
        name = str(item.get("name") or "").strip()
        op = str(item.get("op") or "SET").strip().upper()
        value = item.get("value")
        if not name:
            errors["configs"] = "Every change needs the config name."
            continue
        if op not in CONFIG_OPS:
            errors[name] = f"Unknown operation '{op}'; use SET or DELETE."
        elif op == "SET" and (value is None or str(value) == ""):
            errors[name] = "SET needs a value; to go back to the default, use DELETE."
        elif any(c.name == name for c in changes):
            errors[name] = "Changed twice in one request; give each config once."
        changes.append(BrokerConfigChange(name=name, op=op, value=str(value) if op == "SET" else None))
    if errors:
        raise ValidationError(errors)
    return changes


def _fallback(entry: BrokerConfigEntry, level: str) -> tuple[str | None, str]:
    """The value a config takes when its value at `level` is deleted."""
    below = _PRECEDENCE[_PRECEDENCE.index(level) + 1 :] if level in _PRECEDENCE else ()
    for synonym in entry.synonyms:
        if synonym.source in below:
            return synonym.value, synonym.source
    return None, "DEFAULT_CONFIG"


def _shown(value: str | None, sensitive: bool, source: str = "") -> str | None:
    """A value fit to show and audit: a sensitive one that is set becomes the mask."""
    if not sensitive:
        return value
    has_value = value is not None or source not in ("", "UNSET", "DEFAULT_CONFIG")
    return REDACTED if has_value else None


def _catalog_entry(name: str, catalog: dict[str, BrokerConfigEntry]) -> BrokerConfigEntry | None:
    """The catalog entry for a config name; a per-listener name
    (listener.name.<listener>[.<mechanism>].<config>) is known when its base config is,
    is sensitive when the base is, and is left to the broker to accept or refuse."""
    if name in catalog:
        return catalog[name]
    if not name.startswith(_LISTENER_PREFIX):
        return None
    parts = name[len(_LISTENER_PREFIX) :].split(".")
    for skip in (1, 2):  # the listener name, then optionally a SASL mechanism
        base = catalog.get(".".join(parts[skip:]))
        if base is not None and len(parts) > skip:
            return BrokerConfigEntry(
                name=name,
                value=None,
                source="UNSET",
                read_only=False,
                sensitive=base.sensitive,
                config_type=base.config_type,
            )
    return None


def _validate(
    changes: list[BrokerConfigChange], catalog: dict[str, BrokerConfigEntry], broker_id: int | None, cluster: Cluster
) -> None:
    errors: dict[str, str] = {}
    where = target_label(broker_id)
    for change in changes:
        entry = _catalog_entry(change.name, catalog)
        if entry is None:
            errors[change.name] = (
                f"Unknown broker config '{change.name}': the brokers of cluster '{cluster.name}' have no config "
                "of that name. Check the spelling against the config list."
            )
        elif entry.read_only:
            errors[change.name] = (
                f"'{change.name}' is read-only (not dynamically updatable): change it in server.properties of "
                f"each broker and restart the broker; it cannot be changed on {where} at run time."
            )
    if errors:
        raise ValidationError(errors)


def _preview(
    changes: list[BrokerConfigChange],
    catalog: dict[str, BrokerConfigEntry],
    current: dict[str, BrokerConfigEntry],
    broker_id: int | None,
) -> tuple[ConfigChangePreview, ...]:
    level = "DYNAMIC_DEFAULT_BROKER_CONFIG" if broker_id is None else "DYNAMIC_BROKER_CONFIG"
    rows = []
    for change in changes:
        entry = _catalog_entry(change.name, catalog)
        assert entry is not None  # _validate refused unknown names
        now = current.get(change.name)
        before = now.value if now is not None else None
        before_source = now.source if now is not None else "UNSET"
        if change.op == "SET":
            after, after_source = change.value, level
        elif broker_id is None:
            after, after_source = None, "UNSET"
        else:
            after, after_source = _fallback(entry, level)
        rows.append(
            ConfigChangePreview(
                name=change.name,
                op=change.op,
                before=_shown(before, entry.sensitive, before_source),
                before_source=before_source,
                after=_shown(after, entry.sensitive, after_source),
                after_source=after_source,
                sensitive=entry.sensitive,
            )
        )
    return tuple(rows)


def _settled(
    changes: list[BrokerConfigChange],
    current: dict[str, BrokerConfigEntry],
    broker_id: int | None,
    expected: dict[str, str | None],
) -> bool:
    level = "DYNAMIC_DEFAULT_BROKER_CONFIG" if broker_id is None else "DYNAMIC_BROKER_CONFIG"
    for change in changes:
        entry = current.get(change.name)
        at_level = entry is not None and entry.source == level
        if change.op == "DELETE" and at_level:
            return False
        # Right after a DELETE the broker can report the new source with the old value.
        fallback = expected.get(change.name)
        if (
            change.op == "DELETE"
            and entry is not None
            and not entry.sensitive
            and fallback is not None
            and entry.value != fallback
        ):
            return False
        # A sensitive value is never returned, so only its source can be compared.
        if change.op == "SET" and not (at_level and (entry is None or entry.sensitive or entry.value == change.value)):
            return False
    return True


def _read_back(
    cluster: Cluster,
    broker_id: int | None,
    changes: list[BrokerConfigChange],
    expected: dict[str, str | None],
) -> dict[str, Any]:
    current: dict[str, BrokerConfigEntry] = {}
    for attempt in range(_READ_BACK_TRIES):
        current = {e.name: e for e in gateway_brokers.broker_configs_describe(cluster.connection(), broker_id)}
        if _settled(changes, current, broker_id, expected):
            break
        if attempt < _READ_BACK_TRIES - 1:
            time.sleep(_READ_BACK_PAUSE_S)
    return current


def _audit_values(rows: Iterable[ConfigChangePreview], side: str) -> dict[str, Any]:
    return {
        r.name: {
            "value": _shown(getattr(r, side), r.sensitive, getattr(r, f"{side}_source")),
            "source": getattr(r, f"{side}_source"),
        }
        for r in rows
    }


def broker_configs_alter(
    *,
    user: User,
    cluster: Cluster,
    broker_id: int | None,
    changes: list[BrokerConfigChange],
    validate_only: bool,
) -> BrokerConfigAlterResult:
    """Incrementally SET/DELETE dynamic configs of one broker (`broker_id=None`: the
    cluster-wide dynamic default). Unknown and read-only configs are refused before
    Kafka is asked (ValidationError naming the config); a value the broker refuses is
    a KafkaRejected naming it. `validate_only` asks the broker for its verdict and
    changes nothing (not audited); otherwise the change is applied, read back and
    audited with before/after values, sensitive ones redacted."""
    check_permission(user=user, cluster=cluster, action=Action.BROKER_CONFIG_EDIT)
    if not changes:
        raise ValidationError({"configs": "Give at least one change."})
    settings = cluster.connection()
    if broker_id is None:
        # The default resource lists only what is set; any live broker knows every name.
        ids = gateway_brokers.broker_ids(settings)
        catalog = {e.name: e for e in gateway_brokers.broker_configs_describe(settings, ids[0])} if ids else {}
        current = {e.name: e for e in gateway_brokers.broker_configs_describe(settings, None)}
    else:
        catalog = {e.name: e for e in gateway_brokers.broker_configs_describe(settings, broker_id)}
        current = catalog
    _validate(changes, catalog, broker_id, cluster)
    preview = _preview(changes, catalog, current, broker_id)
    if validate_only:
        gateway_brokers.broker_configs_alter(settings, broker_id, changes, validate_only=True)
        return BrokerConfigAlterResult(broker_id=broker_id, validate_only=True, changes=preview)
    with audit(
        user=user,
        cluster=cluster,
        action="broker.config.alter",
        target=target_label(broker_id),
        before=_audit_values(preview, "before"),
    ) as event:
        gateway_brokers.broker_configs_alter(settings, broker_id, changes, validate_only=False)
        expected = {row.name: None if row.sensitive else row.after for row in preview}
        after = _read_back(cluster, broker_id, changes, expected)
        applied = tuple(
            ConfigChangePreview(
                name=row.name,
                op=row.op,
                before=row.before,
                before_source=row.before_source,
                after=_shown(after[row.name].value, row.sensitive, after[row.name].source)
                if row.name in after
                else None,
                after_source=after[row.name].source if row.name in after else "UNSET",
                sensitive=row.sensitive,
            )
            for row in preview
        )
        event.after = _audit_values(applied, "after")
    return BrokerConfigAlterResult(broker_id=broker_id, validate_only=False, changes=applied)
