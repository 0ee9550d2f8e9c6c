"""The one authorization function. Every page, API view and websocket subscription
asks `check_permission` / `has_permission` (or filters with `clusters_visible`).

Rules (unit-tested in tests/unit/access/test_permissions.py):
- superusers may do everything; only they add/remove clusters and manage roles;
- anyone else needs a Grant on the cluster (directly or through a team); without one the
  cluster does not exist for them;
- roles nest: viewer < operator < admin; each action needs a minimum role;
- a grant limited to a topic glob is viewer on the cluster and its role on matching topics;
- reading message payloads needs the grant's `read_messages` flag, whatever the role;
- a read-only cluster refuses every change, whoever asks;
- a read-only API token may only do what a viewer does.
"""

from __future__ import annotations

import enum
import fnmatch
from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Q

from access.audit import audit_denied
from access.models import ROLE_RANK, ApiToken, Grant, Role

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from clusters.models import Cluster

    AnyUser = AbstractBaseUser | AnonymousUser | None


class Action(enum.StrEnum):
    CLUSTER_VIEW = "cluster.view"
    CLUSTER_MANAGE = "cluster.manage"  # add, edit connection settings, delete, test connections
    BROKER_VIEW = "broker.view"
    BROKER_CONFIG_EDIT = "broker.config.edit"
    TOPIC_VIEW = "topic.view"
    TOPIC_CREATE = "topic.create"
    TOPIC_EDIT = "topic.edit"  # configs, partitions
    TOPIC_DELETE = "topic.delete"
    RECORDS_DELETE = "topic.records.delete"
    MESSAGE_READ = "message.read"  # payloads can hold personal data: its own permission
    MESSAGE_PRODUCE = "message.produce"
    GROUP_VIEW = "group.view"
    GROUP_OFFSETS_RESET = "group.offsets.reset"
    GROUP_DELETE = "group.delete"  # the group, or its offsets for one topic
    ACL_VIEW = "acl.view"
    ACL_EDIT = "acl.edit"  # create and delete Kafka ACLs
    SCRAM_VIEW = "scram.view"
    SCRAM_EDIT = "scram.edit"  # create, change or delete SCRAM credentials
    CONNECTOR_VIEW = "connector.view"
    CONNECTOR_OPERATE = "connector.operate"  # pause, resume, stop, restart
    CONNECTOR_EDIT = "connector.edit"  # create, change config, delete
    SCHEMA_VIEW = "schema.view"
    SCHEMA_EDIT = "schema.edit"  # register, compatibility, delete
    AUDIT_VIEW = "audit.view"  # the audit trail of one cluster
    ROLE_VIEW = "role.view"  # list grants, users and teams: superusers only
    ROLE_MANAGE = "role.manage"  # grants, users and teams: superusers only


# The least role each action needs on the cluster (or on the topic, for topic-scoped actions).
MIN_ROLE: dict[Action, Role] = {
    Action.CLUSTER_VIEW: Role.VIEWER,
    Action.BROKER_VIEW: Role.VIEWER,
    Action.TOPIC_VIEW: Role.VIEWER,
    Action.GROUP_VIEW: Role.VIEWER,
    Action.CONNECTOR_VIEW: Role.VIEWER,
    Action.SCHEMA_VIEW: Role.VIEWER,
    Action.MESSAGE_READ: Role.VIEWER,  # plus the read_messages flag
    Action.MESSAGE_PRODUCE: Role.OPERATOR,
    Action.RECORDS_DELETE: Role.OPERATOR,
    Action.GROUP_OFFSETS_RESET: Role.OPERATOR,
    Action.CONNECTOR_OPERATE: Role.OPERATOR,
    Action.ACL_VIEW: Role.OPERATOR,  # an operator finds out why a client is denied
    Action.TOPIC_CREATE: Role.ADMIN,
    Action.TOPIC_EDIT: Role.ADMIN,
    Action.TOPIC_DELETE: Role.ADMIN,
    Action.BROKER_CONFIG_EDIT: Role.ADMIN,
    Action.GROUP_DELETE: Role.ADMIN,
    Action.ACL_EDIT: Role.ADMIN,
    Action.SCRAM_VIEW: Role.ADMIN,
    Action.SCRAM_EDIT: Role.ADMIN,
    Action.CONNECTOR_EDIT: Role.ADMIN,
    Action.SCHEMA_EDIT: Role.ADMIN,
    Action.AUDIT_VIEW: Role.ADMIN,
}
# Changing where Signalbox connects to is superuser-only (CVE-2024-32030: a hostile broker).
SUPERUSER_ONLY = frozenset({Action.CLUSTER_MANAGE, Action.ROLE_MANAGE, Action.ROLE_VIEW})
# Actions that read nothing but change nothing either are views; everything else is a change.
VIEW_ACTIONS = frozenset(
    {
        Action.CLUSTER_VIEW,
        Action.BROKER_VIEW,
        Action.TOPIC_VIEW,
        Action.GROUP_VIEW,
        Action.CONNECTOR_VIEW,
        Action.SCHEMA_VIEW,
        Action.MESSAGE_READ,
        Action.ACL_VIEW,
        Action.SCRAM_VIEW,
        Action.AUDIT_VIEW,
        Action.ROLE_VIEW,
    }
)
# Actions that act on one topic: a grant limited to a topic glob counts for them when `topic` matches.
TOPIC_SCOPED = frozenset(
    {
        Action.TOPIC_VIEW,
        Action.TOPIC_CREATE,
        Action.TOPIC_EDIT,
        Action.TOPIC_DELETE,
        Action.RECORDS_DELETE,
        Action.MESSAGE_READ,
        Action.MESSAGE_PRODUCE,
        Action.GROUP_OFFSETS_RESET,
    }
)


@dataclass(frozen=True)
class Access:
    """What one user holds on one cluster, from all their grants (direct and through teams)."""

    cluster_role: Role | None
    cluster_reads_messages: bool
    topic_grants: tuple[tuple[str, Role, bool], ...]  # (glob, role, read_messages)

    def role_for(self, topic: str | None) -> Role | None:
        best = self.cluster_role
        if topic is not None:
            for glob, role, _ in self.topic_grants:
                if fnmatch.fnmatchcase(topic, glob) and (best is None or ROLE_RANK[role] > ROLE_RANK[best]):
                    best = role
        return best

    def best_role(self) -> Role | None:
        """The highest role held on the cluster or on any topic pattern (for forms opened before
        the topic is named, e.g. create)."""
        roles = [r for r in (self.cluster_role, *(g[1] for g in self.topic_grants)) if r is not None]
        return max(roles, key=lambda r: ROLE_RANK[r]) if roles else None

    def reads_messages(self, topic: str | None) -> bool:
        if self.cluster_reads_messages:
            return True
        return topic is not None and any(r and fnmatch.fnmatchcase(topic, g) for g, _, r in self.topic_grants)


def _is_active(user: AnyUser) -> bool:
    return user is not None and user.is_authenticated and user.is_active


def _is_superuser(user: AnyUser) -> bool:
    return bool(getattr(user, "is_superuser", False))


def _grants_for(user: AnyUser) -> QuerySet[Grant]:
    return Grant.objects.filter(Q(user_id=user.pk) | Q(team__user__id=user.pk))  # type: ignore[union-attr]


def access_on(*, user: AnyUser, cluster: Cluster) -> Access:
    """The user's combined grants on a cluster (one query)."""
    cluster_role: Role | None = None
    reads = False
    topic_grants: list[tuple[str, Role, bool]] = []
    if _is_active(user) and cluster.pk:
        rows = _grants_for(user).filter(cluster_id=cluster.pk).values_list("role", "topic_pattern", "read_messages")
        for role_name, pattern, read_messages in rows.distinct():
            role = Role(role_name)
            if pattern:
                topic_grants.append((pattern, role, read_messages))
                role = Role.VIEWER  # a topic-limited grant is viewer on the rest of the cluster
            elif read_messages:
                reads = True
            if cluster_role is None or ROLE_RANK[role] > ROLE_RANK[cluster_role]:
                cluster_role = role
    return Access(cluster_role=cluster_role, cluster_reads_messages=reads, topic_grants=tuple(topic_grants))


def role_on(*, user: AnyUser, cluster: Cluster, topic: str | None = None) -> Role | None:
    """The effective role (on a topic when given), or None when the user has no grant."""
    if not _is_active(user):
        return None
    if _is_superuser(user):
        return Role.ADMIN
    return access_on(user=user, cluster=cluster).role_for(topic)


def token_of(user: AnyUser) -> ApiToken | None:
    """The API token that authenticated this request's user, if any (set by BearerTokenAuthentication)."""
    token = getattr(user, "signalbox_token", None)
    return token if isinstance(token, ApiToken) else None


def _denial(
    *, user: AnyUser, cluster: Cluster | None, action: Action, topic: str | None, any_topic: bool = False
) -> str | None:
    """Why the user may not act, or None when allowed."""
    if not _is_active(user):
        return "you are not logged in"
    token = token_of(user)
    if token is not None and token.scope == ApiToken.Scope.READ and action not in VIEW_ACTIONS:
        return f"API token '{token.name}' is read-only; '{action}' needs a read-write token"
    if action not in VIEW_ACTIONS | SUPERUSER_ONLY and cluster is not None and cluster.read_only:
        return f"cluster '{cluster.name}' is read-only in Signalbox; a superuser can lift that in its settings"
    if _is_superuser(user):
        return None
    if action in SUPERUSER_ONLY:
        return f"'{action}' is for superusers only"
    if cluster is None or not cluster.pk:
        return f"'{action}' needs a cluster"
    access = access_on(user=user, cluster=cluster)
    scoped_topic = topic if action in TOPIC_SCOPED else None
    role = access.role_for(scoped_topic)
    if any_topic and action in TOPIC_SCOPED:
        role = access.best_role()
    if role is None:
        return f"you have no role on cluster '{cluster.name}'"
    needed = MIN_ROLE[action]
    if ROLE_RANK[role] < ROLE_RANK[needed]:
        where = f"topic '{topic}' on cluster '{cluster.name}'" if scoped_topic else f"cluster '{cluster.name}'"
        return f"'{action}' needs the {needed.label.lower()} role on {where}; you are {role.label.lower()}"
    if action == Action.MESSAGE_READ and not access.reads_messages(scoped_topic):
        where = f"topic '{topic}'" if scoped_topic else f"cluster '{cluster.name}'"
        return f"reading message payloads on {where} needs the 'read messages' permission on your grant"
    return None


def has_permission(
    *, user: AnyUser, cluster: Cluster | None, action: Action, topic: str | None = None, any_topic: bool = False
) -> bool:
    """Whether the user may act (on `topic`, or with `any_topic` on at least some topic)."""
    return _denial(user=user, cluster=cluster, action=action, topic=topic, any_topic=any_topic) is None


def check_permission(
    *, user: AnyUser, cluster: Cluster | None, action: Action, topic: str | None = None, any_topic: bool = False
) -> None:
    """Raise PermissionDenied (and record the denied attempt) unless the user may act."""
    reason = _denial(user=user, cluster=cluster, action=action, topic=topic, any_topic=any_topic)
    if reason is None:
        return
    target = topic or (cluster.name if cluster is not None else "")
    audit_denied(user=user, cluster=cluster, action=str(action), target=target, reason=reason)
    raise PermissionDenied(f"You may not do this: {reason}.")


def clusters_visible(*, user: AnyUser) -> QuerySet[Cluster]:
    """The clusters a user may see at all; lists, searches, the API and websockets use it."""
    from clusters.models import Cluster

    if not _is_active(user):
        return Cluster.objects.none()
    if _is_superuser(user):
        return Cluster.objects.all()
    return Cluster.objects.filter(pk__in=_grants_for(user).values("cluster_id"))
