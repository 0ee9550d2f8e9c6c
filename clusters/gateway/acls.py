"""Kafka ACLs: describe by filter, create bindings (each one's result reported on its own)
and delete by filters. A cluster without an authorizer answers SECURITY_DISABLED; that
becomes KafkaNoAuthorizer, whose message says how to turn one on."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict, dataclass
from enum import IntEnum
from typing import Any

from kafka import errors as kafka_errors
from kafka.admin import ACLOperation, ACLPermissionType, ACLResourcePatternType, ResourceType
from kafka.protocol.admin import CreateAclsRequest, DeleteAclsRequest, DescribeAclsRequest

from clusters.gateway.connection import admins
from clusters.gateway.errors import GatewayError, KafkaAuthFailed, KafkaRejected, KafkaRequestFailed
from clusters.gateway.types import ConnectionSettings

# The names a binding may carry (ANY, MATCH and UNKNOWN exist only in filters or not at all).
RESOURCE_TYPES = ("TOPIC", "GROUP", "CLUSTER", "TRANSACTIONAL_ID", "DELEGATION_TOKEN", "USER")
OPERATIONS = (
    "ALL",
    "READ",
    "WRITE",
    "CREATE",
    "DELETE",
    "ALTER",
    "DESCRIBE",
    "CLUSTER_ACTION",
    "DESCRIBE_CONFIGS",
    "ALTER_CONFIGS",
    "IDEMPOTENT_WRITE",
    "CREATE_TOKENS",
    "DESCRIBE_TOKENS",
)
PERMISSIONS = ("ALLOW", "DENY")
PATTERN_TYPES = ("LITERAL", "PREFIXED")
# A filter may also say ANY, and MATCH (what applies to a name: literal, wildcard and prefixes).
FILTER_PATTERN_TYPES = ("ANY", "MATCH", "LITERAL", "PREFIXED")
ANY = "ANY"
CLUSTER_RESOURCE_NAME = "kafka-cluster"  # the only name a CLUSTER resource has

_SECURITY_DISABLED = 54
_AUTH_CODES = (29, 30, 31)  # topic/group/cluster authorization failed


class KafkaNoAuthorizer(KafkaRejected):
    """The cluster keeps no ACLs because no authorizer is configured on its brokers."""

    code = "no_authorizer"


@dataclass(frozen=True)
class AclBinding:
    """One ACL: `principal` may (ALLOW) or may not (DENY) do `operation` from `host`
    on the resources `resource_name` names as a LITERAL name or a PREFIXED one."""

    principal: str
    host: str
    operation: str
    permission: str
    resource_type: str
    resource_name: str
    pattern_type: str

    def sort_key(self) -> tuple[str, ...]:
        return (
            self.resource_type,
            self.resource_name,
            self.pattern_type,
            self.principal,
            self.host,
            self.operation,
            self.permission,
        )

    def as_filter(self) -> AclFilter:
        """A filter that matches exactly this binding and nothing else."""
        return AclFilter(
            principal=self.principal,
            host=self.host,
            operation=self.operation,
            permission=self.permission,
            resource_type=self.resource_type,
            resource_name=self.resource_name,
            pattern_type=self.pattern_type,
        )

    def describe(self) -> str:
        pattern = "prefix " if self.pattern_type == "PREFIXED" else ""
        return (
            f"{self.permission} {self.principal} {self.operation} on {self.resource_type} "
            f"{pattern}'{self.resource_name}' from host {self.host}"
        )

    def as_dict(self) -> dict[str, str]:
        return asdict(self)


@dataclass(frozen=True)
class AclFilter:
    """Which ACLs to describe or delete: None (or ANY) matches every value."""

    principal: str | None = None
    host: str | None = None
    operation: str = ANY
    permission: str = ANY
    resource_type: str = ANY
    resource_name: str | None = None
    pattern_type: str = ANY

    def as_dict(self) -> dict[str, str | None]:
        return asdict(self)


@dataclass(frozen=True)
class AclCreated:
    """The broker's answer for one binding of a create: `error` is empty when it was created
    (or already existed: creating an existing ACL is a no-op in Kafka)."""

    binding: AclBinding
    error: str = ""

    @property
    def ok(self) -> bool:
        return not self.error


@dataclass(frozen=True)
class AclsDeleted:
    """What a delete removed, and any ACL the broker matched but could not remove."""

    deleted: tuple[AclBinding, ...]
    failed: tuple[tuple[AclBinding, str], ...] = ()


def _where(settings: ConnectionSettings) -> str:
    return f"Cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)})"  # starts each message


def no_authorizer(settings: ConnectionSettings) -> KafkaNoAuthorizer:
    return KafkaNoAuthorizer(
        f"{_where(settings)} has no authorizer configured, so it keeps no ACLs and lets every "
        "authenticated client do everything. To manage ACLs, set authorizer.class.name on every broker "
        "(org.apache.kafka.metadata.authorizer.StandardAuthorizer with KRaft), list the admin principal "
        "in super.users, and restart the brokers."
    )


def _name(enum: type[IntEnum], value: int) -> str:
    try:
        return enum(value).name
    except ValueError:  # a newer broker may know values this client does not
        return f"UNKNOWN({value})"


def _code(enum: type[IntEnum], name: str | None) -> int:
    return int(enum[name or ANY])


def _min_version(resource_type: str) -> int:
    # The USER resource type only exists from version 3 of the ACL requests on.
    return 3 if resource_type == "USER" else 0


def _binding(
    *,
    principal: str,
    host: str,
    operation: int,
    permission: int,
    resource_type: int,
    resource_name: str,
    pattern_type: int,
) -> AclBinding:
    return AclBinding(
        principal=principal,
        host=host,
        operation=_name(ACLOperation, operation),
        permission=_name(ACLPermissionType, permission),
        resource_type=_name(ResourceType, resource_type),
        resource_name=resource_name,
        pattern_type=_name(ACLResourcePatternType, pattern_type),
    )


def _error(settings: ConnectionSettings, code: int, message: str | None, doing: str) -> GatewayError:
    """Our error for a whole request the broker refused, in its own words where it gave some."""
    if code == _SECURITY_DISABLED:
        return no_authorizer(settings)
    error_type = kafka_errors.for_code(code)
    detail = message or error_type.description or error_type.__name__
    if code in _AUTH_CODES:
        return KafkaAuthFailed(
            f"{_where(settings)} denied {doing}: the user Signalbox connects as needs the ALTER (change) "
            "or DESCRIBE (list) permission on the CLUSTER resource, or to be listed in super.users."
        )
    return KafkaRequestFailed(f"{_where(settings)} refused {doing}: {detail}.")


def _send(admin: Any, request: Any) -> Any:
    return admin._manager.run(admin._manager.send, request)


def acls_describe(settings: ConnectionSettings, acl_filter: AclFilter) -> tuple[AclBinding, ...]:
    """Every ACL that matches the filter, sorted by resource, then principal.

    Raises KafkaNoAuthorizer when the cluster has no authorizer configured."""
    request = DescribeAclsRequest(
        min_version=_min_version(acl_filter.resource_type),
        resource_type_filter=_code(ResourceType, acl_filter.resource_type),
        resource_name_filter=acl_filter.resource_name,
        pattern_type_filter=_code(ACLResourcePatternType, acl_filter.pattern_type),
        principal_filter=acl_filter.principal,
        host_filter=acl_filter.host,
        operation=_code(ACLOperation, acl_filter.operation),
        permission_type=_code(ACLPermissionType, acl_filter.permission),
    )
    with admins.admin(settings, "listing ACLs") as admin:
        response = _send(admin, request)
    if response.error_code:
        raise _error(settings, response.error_code, response.error_message, "listing ACLs")
    bindings = [
        _binding(
            principal=acl.principal,
            host=acl.host,
            operation=acl.operation,
            permission=acl.permission_type,
            resource_type=resource.resource_type,
            resource_name=resource.resource_name,
            pattern_type=resource.pattern_type,
        )
        for resource in response.resources
        for acl in resource.acls
    ]
    return tuple(sorted(bindings, key=AclBinding.sort_key))


def acls_create(settings: ConnectionSettings, bindings: Sequence[AclBinding]) -> tuple[AclCreated, ...]:
    """Create the bindings in one request; the broker answers for each on its own, so
    some may be created while others are refused (their `error` says why).

    Raises KafkaNoAuthorizer when the cluster has no authorizer configured."""
    if not bindings:
        return ()
    creations = [
        CreateAclsRequest.AclCreation(
            resource_type=_code(ResourceType, b.resource_type),
            resource_name=b.resource_name,
            resource_pattern_type=_code(ACLResourcePatternType, b.pattern_type),
            principal=b.principal,
            host=b.host,
            operation=_code(ACLOperation, b.operation),
            permission_type=_code(ACLPermissionType, b.permission),
        )
        for b in bindings
    ]
    request = CreateAclsRequest(creations=creations, min_version=max(_min_version(b.resource_type) for b in bindings))
    with admins.admin(settings, "creating ACLs") as admin:
        response = _send(admin, request)
    results: list[AclCreated] = []
    for binding, result in zip(bindings, response.results, strict=True):
        if not result.error_code:
            results.append(AclCreated(binding=binding))
            continue
        if result.error_code == _SECURITY_DISABLED or result.error_code in _AUTH_CODES:
            # The same for every binding: one error for the whole request says it best.
            raise _error(settings, result.error_code, result.error_message, "creating ACLs")
        error_type = kafka_errors.for_code(result.error_code)
        reason = result.error_message or error_type.description or error_type.__name__
        results.append(AclCreated(binding=binding, error=f"{error_type.message}: {reason}"))
    return tuple(results)


def acls_delete(settings: ConnectionSettings, filters: Sequence[AclFilter]) -> AclsDeleted:
    """Delete every ACL any of the filters matches; returns the ACLs the broker removed
    (and any it matched but could not remove, with the reason).

    Raises KafkaNoAuthorizer when the cluster has no authorizer configured."""
    if not filters:
        return AclsDeleted(deleted=())
    request = DeleteAclsRequest(
        filters=[
            DeleteAclsRequest.DeleteAclsFilter(
                resource_type_filter=_code(ResourceType, f.resource_type),
                resource_name_filter=f.resource_name,
                pattern_type_filter=_code(ACLResourcePatternType, f.pattern_type),
                principal_filter=f.principal,
                host_filter=f.host,
                operation=_code(ACLOperation, f.operation),
                permission_type=_code(ACLPermissionType, f.permission),
            )
            for f in filters
        ],
        min_version=max(_min_version(f.resource_type) for f in filters),
    )
    with admins.admin(settings, "deleting ACLs") as admin:
        response = _send(admin, request)
    deleted: list[AclBinding] = []
    failed: list[tuple[AclBinding, str]] = []
    for result in response.filter_results:
        if result.error_code:
            raise _error(settings, result.error_code, result.error_message, "deleting ACLs")
        for acl in result.matching_acls:
            binding = _binding(
                principal=acl.principal,
                host=acl.host,
                operation=acl.operation,
                permission=acl.permission_type,
                resource_type=acl.resource_type,
                resource_name=acl.resource_name,
                pattern_type=acl.pattern_type,
            )
            if acl.error_code:
                error_type = kafka_errors.for_code(acl.error_code)
                failed.append((binding, acl.error_message or error_type.description or error_type.__name__))
            elif binding not in deleted:
                deleted.append(binding)
    return AclsDeleted(deleted=tuple(sorted(deleted, key=AclBinding.sort_key)), failed=tuple(failed))
