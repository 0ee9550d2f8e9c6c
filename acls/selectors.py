"""Reads of Kafka ACLs: the filtered list (page and API) and the preview of a delete,
which names exactly the ACLs a filter matches plus a fingerprint of that set."""

from __future__ import annotations

import hashlib
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from access.permissions import Action, check_permission
from acls.validation import filter_from
from clusters.gateway import acls as gateway
from clusters.gateway.acls import AclBinding, AclFilter
from clusters.models import Cluster

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser


@dataclass(frozen=True)
class AclList:
    """The ACLs a filter matches; `authorizer` False (with `error` saying how to enable one)
    when the cluster keeps no ACLs at all."""

    acl_filter: AclFilter
    bindings: tuple[AclBinding, ...]
    authorizer: bool = True
    error: str = ""
    by_resource_type: dict[str, int] = field(default_factory=dict)
    by_permission: dict[str, int] = field(default_factory=dict)

    @property
    def total(self) -> int:
        return len(self.bindings)


@dataclass(frozen=True)
class AclPreview:
    """What a delete with this filter would remove, right now."""

    acl_filter: AclFilter
    bindings: tuple[AclBinding, ...]
    fingerprint: str

    @property
    def total(self) -> int:
        return len(self.bindings)


def acl_fingerprint(bindings: Iterable[AclBinding]) -> str:
    """A digest of a set of ACLs (order does not matter): the delete goes ahead only when
    the filter still matches the set the person previewed."""
    lines = sorted("\x1f".join(b.sort_key()) for b in set(bindings))
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()


def acl_list(*, user: User, cluster: Cluster, filters: Mapping[str, Any]) -> AclList:
    """The cluster's ACLs matching the filters (principal, host, resource_type, pattern_type,
    resource_name, operation, permission; empty or ANY matches all). A cluster without an
    authorizer gives an empty list with authorizer=False instead of an error."""
    check_permission(user=user, cluster=cluster, action=Action.ACL_VIEW)
    acl_filter = filter_from(filters)
    try:
        bindings = gateway.acls_describe(cluster.connection(), acl_filter)
    except gateway.KafkaNoAuthorizer as exc:
        return AclList(acl_filter=acl_filter, bindings=(), authorizer=False, error=exc.message)
    return AclList(
        acl_filter=acl_filter,
        bindings=bindings,
        by_resource_type=dict(sorted(Counter(b.resource_type for b in bindings).items())),
        by_permission=dict(sorted(Counter(b.permission for b in bindings).items())),
    )


def acl_delete_preview(*, user: User, cluster: Cluster, filters: Mapping[str, Any]) -> AclPreview:
    """Exactly the ACLs a delete with these filters would remove, and the fingerprint
    to send back with the delete. Changes nothing."""
    check_permission(user=user, cluster=cluster, action=Action.ACL_VIEW)
    acl_filter = filter_from(filters)
    bindings = gateway.acls_describe(cluster.connection(), acl_filter)
    return AclPreview(acl_filter=acl_filter, bindings=bindings, fingerprint=acl_fingerprint(bindings))
