"""The rules for ACL input, written once: principals ("User:alice"), hosts ("*" or an IP),
resource types, operations, permissions, pattern types and resource names. Pages and the
API both get a ValidationError naming the field, with the allowed values in the message."""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from typing import Any

from django.core.exceptions import ValidationError

from clusters.gateway.acls import (
    ANY,
    CLUSTER_RESOURCE_NAME,
    FILTER_PATTERN_TYPES,
    OPERATIONS,
    PATTERN_TYPES,
    PERMISSIONS,
    RESOURCE_TYPES,
    AclBinding,
    AclFilter,
)
from topics.names import LEGAL as LEGAL_TOPIC
from topics.names import validate_topic_name

FIELDS = ("principal", "host", "operation", "permission", "resource_type", "resource_name", "pattern_type")

# Operations that mean something for each resource type (Kafka's authorization docs); others are no-ops.
OPERATIONS_BY_RESOURCE: dict[str, tuple[str, ...]] = {
    "TOPIC": ("ALL", "READ", "WRITE", "CREATE", "DELETE", "ALTER", "DESCRIBE", "DESCRIBE_CONFIGS", "ALTER_CONFIGS"),
    "GROUP": ("ALL", "READ", "DESCRIBE", "DELETE"),
    "CLUSTER": (
        "ALL",
        "CREATE",
        "ALTER",
        "DESCRIBE",
        "CLUSTER_ACTION",
        "DESCRIBE_CONFIGS",
        "ALTER_CONFIGS",
        "IDEMPOTENT_WRITE",
    ),
    "TRANSACTIONAL_ID": ("ALL", "WRITE", "DESCRIBE"),
    "DELEGATION_TOKEN": ("ALL", "DESCRIBE"),
    "USER": ("ALL", "CREATE_TOKENS", "DESCRIBE_TOKENS"),
}
KNOWN_PRINCIPAL_TYPES = ("User", "Group")
MAX_NAME = 1000  # far above any real name; stops a paste of a whole file

_PRINCIPAL_TYPE = re.compile(r"^[A-Za-z][A-Za-z0-9_.-]*$")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def validate_principal(value: str) -> str:
    """A principal as Kafka writes it, <Type>:<name> (User:alice; User:* for everyone)."""
    if not value:
        raise ValidationError("Give the principal as <Type>:<name>, e.g. User:alice.")
    if value != value.strip():
        raise ValidationError(f"Remove the spaces around the principal '{value.strip()}'.")
    if _CONTROL.search(value):
        raise ValidationError("The principal contains control characters.")
    if len(value) > MAX_NAME:
        raise ValidationError(f"The principal is longer than {MAX_NAME} characters.")
    if ":" not in value:
        raise ValidationError(
            f"'{value}' has no ':'. Write the principal as <Type>:<name>, e.g. User:{value} "
            "(SCRAM and PLAIN logins are User principals)."
        )
    kind, name = value.split(":", 1)
    if not kind:
        raise ValidationError(f"The principal type before ':' is missing; e.g. User:{name or 'alice'}.")
    if not _PRINCIPAL_TYPE.match(kind):
        raise ValidationError(
            f"'{kind}' is not a principal type: it starts with a letter and has no spaces (e.g. User)."
        )
    for known in KNOWN_PRINCIPAL_TYPES:
        if kind.lower() == known.lower() and kind != known:
            raise ValidationError(f"Principal types are case-sensitive: write '{known}:{name}', not '{value}'.")
    if not name:
        raise ValidationError(f"The principal name after '{kind}:' is empty; e.g. {kind}:alice, or {kind}:* for all.")
    if name != name.strip():
        raise ValidationError(f"Remove the spaces after ':' in '{value}'.")
    # Distinguished names from TLS certificates (CN=Alice Smith,O=Org) may hold spaces; user names do not.
    if re.search(r"\s", name) and "=" not in name:
        raise ValidationError(f"The principal name '{name}' contains whitespace; Kafka user names have none.")
    return value


def validate_host(value: str) -> str:
    """'*' for any host, or one IP address (Kafka ACLs take no host names or ranges)."""
    if value == "*":
        return value
    try:
        return str(ipaddress.ip_address(value))
    except ValueError:
        raise ValidationError(
            f"'{value}' is not '*' or an IP address. Kafka ACLs match the client's IP address exactly "
            "(e.g. 10.0.0.5 or 2001:db8::1); host names and ranges are not supported."
        ) from None


def choice(value: Any, allowed: tuple[str, ...], what: str) -> str:
    """One of `allowed`, in any case; the error names the allowed values."""
    text = str(value or "").strip().upper().replace("-", "_").replace(" ", "_")
    if text not in allowed:
        shown = str(value or "").strip()
        if not shown:
            raise ValidationError(f"Choose a {what}: one of {', '.join(allowed)}.")
        raise ValidationError(f"Unknown {what} '{shown}'; use one of {', '.join(allowed)}.")
    return text


def validate_resource_name(resource_type: str, name: str, pattern_type: str) -> str:
    """A resource name that can exist for the type ('*' matches every resource of it)."""
    if resource_type == "CLUSTER":
        if name in ("", CLUSTER_RESOURCE_NAME):
            return CLUSTER_RESOURCE_NAME
        raise ValidationError(f"A CLUSTER resource is always named '{CLUSTER_RESOURCE_NAME}' (got '{name}').")
    if not name:
        raise ValidationError(f"Give the {resource_type.lower().replace('_', ' ')} name, or * for all of them.")
    if name != name.strip() or _CONTROL.search(name):
        raise ValidationError(f"The name '{name.strip()}' has spaces around it or control characters.")
    if len(name) > MAX_NAME:
        raise ValidationError(f"The name is longer than {MAX_NAME} characters.")
    if name == "*":
        if pattern_type == "PREFIXED":
            raise ValidationError("'*' already means every name; use it with the LITERAL pattern type.")
        return name
    if resource_type == "TOPIC":
        if pattern_type == "PREFIXED":
            if not LEGAL_TOPIC.match(name):
                raise ValidationError(
                    f"The prefix '{name}' can never match a topic: topic names only have letters, digits, "
                    "'.', '_' and '-'."
                )
        else:
            validate_topic_name(name)
    return name


def binding_from(data: Mapping[str, Any]) -> AclBinding:
    """A validated binding from submitted fields; ValidationError names every bad field."""
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any, *args: Any) -> str:
        try:
            return str(fn(*args))
        except ValidationError as exc:
            errors[field] = list(exc.messages)
            return ""

    principal = check("principal", validate_principal, str(data.get("principal") or ""))
    host = check("host", validate_host, str(data.get("host") or "*").strip())
    resource_type = check("resource_type", choice, data.get("resource_type"), RESOURCE_TYPES, "resource type")
    pattern_type = check("pattern_type", choice, data.get("pattern_type") or "LITERAL", PATTERN_TYPES, "pattern type")
    operation = check("operation", choice, data.get("operation"), OPERATIONS, "operation")
    permission = check("permission", choice, data.get("permission") or "ALLOW", PERMISSIONS, "permission")
    if resource_type and operation and operation not in OPERATIONS_BY_RESOURCE[resource_type]:
        errors["operation"] = [
            f"{operation} does nothing on a {resource_type} resource; use one of "
            f"{', '.join(OPERATIONS_BY_RESOURCE[resource_type])}."
        ]
    name = ""
    if resource_type:
        name = check(
            "resource_name",
            validate_resource_name,
            resource_type,
            str(data.get("resource_name") or ""),
            pattern_type or "LITERAL",
        )
    if errors:
        raise ValidationError(errors)
    return AclBinding(
        principal=principal,
        host=host,
        operation=operation,
        permission=permission,
        resource_type=resource_type,
        resource_name=name,
        pattern_type=pattern_type,
    )


def filter_from(data: Mapping[str, Any]) -> AclFilter:
    """A validated filter: an empty field (or ANY) matches every value."""
    errors: dict[str, list[str]] = {}

    def check(field: str, fn: Any, *args: Any) -> str:
        try:
            return str(fn(*args))
        except ValidationError as exc:
            errors[field] = list(exc.messages)
            return ""

    raw_principal = str(data.get("principal") or "")
    raw_host = str(data.get("host") or "").strip()
    raw_name = str(data.get("resource_name") or "")
    principal = check("principal", validate_principal, raw_principal) if raw_principal else None
    host = check("host", validate_host, raw_host) if raw_host else None
    resource_type = check(
        "resource_type", choice, data.get("resource_type") or ANY, (ANY, *RESOURCE_TYPES), "resource type"
    )
    pattern_type = check("pattern_type", choice, data.get("pattern_type") or ANY, FILTER_PATTERN_TYPES, "pattern type")
    operation = check("operation", choice, data.get("operation") or ANY, (ANY, *OPERATIONS), "operation")
    permission = check("permission", choice, data.get("permission") or ANY, (ANY, *PERMISSIONS), "permission")
    name: str | None = None
    if raw_name:
        if resource_type and resource_type != ANY:
            name = check(
                "resource_name",
                validate_resource_name,
                resource_type,
                raw_name,
                "PREFIXED" if pattern_type == "PREFIXED" else "LITERAL",
            )
        elif raw_name != raw_name.strip() or _CONTROL.search(raw_name) or len(raw_name) > MAX_NAME:
            errors["resource_name"] = ["The name has spaces around it, control characters, or is far too long."]
        else:
            name = raw_name
    if errors:
        raise ValidationError(errors)
    return AclFilter(
        principal=principal,
        host=host,
        operation=operation,
        permission=permission,
        resource_type=resource_type,
        resource_name=name,
        pattern_type=pattern_type,
    )


def filter_is_empty(acl_filter: AclFilter) -> bool:
    """True when the filter matches every ACL."""
    return acl_filter == AclFilter()


def filter_params(acl_filter: AclFilter) -> dict[str, str]:
    """The filter as query parameters (only the narrowing ones), for links and forms."""
    return {k: v for k, v in acl_filter.as_dict().items() if v is not None and v not in ("", ANY)}


def filter_summary(acl_filter: AclFilter) -> str:
    """One line naming what the filter narrows, for audit targets and headings."""
    parts = [f"{k}={v}" for k, v in filter_params(acl_filter).items()]
    return ", ".join(parts) if parts else "every ACL"
