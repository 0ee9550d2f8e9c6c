"""Reads of clusters, filtered by what the user may see."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING

from django.http import Http404

from access.audit import audit_denied
from access.permissions import Action, check_permission, clusters_visible
from clusters.models import Cluster

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def cluster_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Cluster]:
    """Clusters the user may see, with their latest status joined in."""
    return clusters_visible(user=user).select_related("status").order_by("name")


def cluster_get(
    *,
    user: AbstractBaseUser | AnonymousUser,
    pk: int,
    action: Action = Action.CLUSTER_VIEW,
    topic: str | None = None,
    any_topic: bool = False,
) -> Cluster:
    """One cluster, 404 when the user may not see it, 403 when may see but not do `action`
    (on `topic`, for topic-scoped actions)."""
    cluster = cluster_list(user=user).filter(pk=pk).first()
    if cluster is None:
        hidden = Cluster.objects.filter(pk=pk).first() if user.is_authenticated else None
        if hidden is not None:
            # The caller learns nothing (404 as for a missing id), but the probe is on the record.
            audit_denied(
                user=user,
                cluster=hidden,
                action=str(action),
                target=topic or hidden.name,
                reason="no role on the cluster",
            )
        raise Http404("No such cluster, or you may not see it.")
    check_permission(user=user, cluster=cluster, action=action, topic=topic, any_topic=any_topic)
    return cluster


@dataclass(frozen=True)
class SnapshotAge:
    as_of: datetime | None  # the last successful poll
    stale: bool  # the latest poll failed, so what is shown is from `as_of`
    error: str


def snapshot_age(*, cluster: Cluster) -> SnapshotAge:
    """How old the stored snapshot of a cluster is, for every page that reads it."""
    status = getattr(cluster, "status", None)
    if status is None:
        return SnapshotAge(as_of=None, stale=False, error="")
    return SnapshotAge(
        as_of=status.last_ok_at, stale=bool(not status.reachable and status.checked_at), error=status.error
    )
