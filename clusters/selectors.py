"""Reads of clusters, filtered by what the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.shortcuts import get_object_or_404

from access.permissions import Action, check_permission, clusters_visible
from clusters.models import Cluster

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet


def cluster_list(*, user: AbstractBaseUser | AnonymousUser) -> QuerySet[Cluster]:
    """Clusters the user may see, with their latest status joined in."""
    return clusters_visible(user=user).select_related("status").order_by("name")


def cluster_get(*, user: AbstractBaseUser | AnonymousUser, pk: int, action: Action = Action.CLUSTER_VIEW) -> Cluster:
    """One cluster, 404 when the user may not see it, 403 when may see but not do `action`."""
    cluster = get_object_or_404(cluster_list(user=user), pk=pk)
    check_permission(user=user, cluster=cluster, action=action)
    return cluster
