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


# Changing where Signalbox connects to is admin-only (CVE-2024-32030: a hostile broker).
_SUPERUSER_ONLY = {Action.CLUSTER_MANAGE}


def has_permission(*, user: AbstractBaseUser | AnonymousUser | None, cluster: Cluster | None, action: Action) -> bool:
    if user is None or not user.is_authenticated or not user.is_active:
        return False
    if action in _SUPERUSER_ONLY:
        return bool(getattr(user, "is_superuser", False))
    return True


def check_permission(*, user: AbstractBaseUser | AnonymousUser | None, cluster: Cluster | None, action: Action) -> None:
    """Raise PermissionDenied (and record the denied attempt) unless the user may act."""
    if has_permission(user=user, cluster=cluster, action=action):
        return
    reason = f"'{action}' requires the cluster admin role" if action in _SUPERUSER_ONLY else "not allowed"
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
