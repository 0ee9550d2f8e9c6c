"""The one authorization function. Every page, API view and websocket subscription
asks `check_permission` (or filters with `clusters_visible`), so narrowing access
later (roles per cluster) happens here and nowhere else."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied

from access.audit import audit_denied

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from clusters.models import Cluster


class Action(enum.StrEnum):
    CLUSTER_VIEW = "cluster.view"
    CLUSTER_MANAGE = "cluster.manage"  # add, edit, delete, test connections
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


# Changing where Signalbox connects to is admin-only (CVE-2024-32030: a hostile broker).
_SUPERUSER_ONLY = {Action.CLUSTER_MANAGE}
# Until roles per cluster exist (access issue), every change to Kafka needs a superuser.
_CHANGES = {
    Action.BROKER_CONFIG_EDIT,
    Action.TOPIC_CREATE,
    Action.TOPIC_EDIT,
    Action.TOPIC_DELETE,
    Action.RECORDS_DELETE,
    Action.MESSAGE_PRODUCE,
    Action.GROUP_OFFSETS_RESET,
    Action.GROUP_DELETE,
}


def has_permission(*, user: AbstractBaseUser | AnonymousUser | None, cluster: Cluster | None, action: Action) -> bool:
    return _denial(user=user, cluster=cluster, action=action) is None


def _denial(*, user: AbstractBaseUser | AnonymousUser | None, cluster: Cluster | None, action: Action) -> str | None:
    """Why the user may not act, or None when allowed."""
    if user is None or not user.is_authenticated or not user.is_active:
        return "you are not logged in"
    if action in _CHANGES and cluster is not None and cluster.read_only:
        return f"cluster '{cluster.name}' is read-only in Signalbox; an admin can lift that in its settings"
    if action in _SUPERUSER_ONLY | _CHANGES and not getattr(user, "is_superuser", False):
        return f"'{action}' requires the cluster admin role"
    return None


def check_permission(*, user: AbstractBaseUser | AnonymousUser | None, cluster: Cluster | None, action: Action) -> None:
    """Raise PermissionDenied (and record the denied attempt) unless the user may act."""
    reason = _denial(user=user, cluster=cluster, action=action)
    if reason is None:
        return
    audit_denied(
        user=user,
        cluster=cluster,
        action=str(action),
        target=cluster.name if cluster is not None else "",
        reason=reason,
    )
    raise PermissionDenied(f"You may not do this: {reason}.")


def clusters_visible(*, user: AbstractBaseUser | AnonymousUser | None) -> QuerySet[Cluster]:
    """The clusters a user may see at all; lists, searches, the API and websockets use it."""
    from clusters.models import Cluster

    if user is None or not user.is_authenticated or not user.is_active:
        return Cluster.objects.none()
    return Cluster.objects.all()
