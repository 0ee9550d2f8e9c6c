"""Reads of roles, users and teams. Everything but `my_access` is for superusers only
and checks ROLE_MANAGE itself, so no page or API view can forget it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from django.contrib.auth.models import Group, User
from django.db.models import Count, Prefetch, Q
from django.shortcuts import get_object_or_404

from access.models import Grant, Role
from access.permissions import Action, access_on, check_permission, clusters_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
    from django.db.models import QuerySet

    from clusters.models import Cluster

    Actor = AbstractBaseUser | AnonymousUser


def _require_manager(user: Actor) -> None:
    check_permission(user=user, cluster=None, action=Action.ROLE_VIEW)


def grant_list(*, user: Actor, cluster: Cluster) -> QuerySet[Grant]:
    """The grants on one cluster with their holder, teams first, then users by name."""
    check_permission(user=user, cluster=cluster, action=Action.ROLE_VIEW)
    return (
        Grant.objects.filter(cluster=cluster)
        .select_related("user", "team", "created_by", "cluster")
        .order_by("team__name", "user__username", "topic_pattern", "id")
    )


def grant_get(*, user: Actor, cluster: Cluster, pk: int) -> Grant:
    """One grant of the cluster (404 when it belongs to another cluster or does not exist)."""
    return get_object_or_404(grant_list(user=user, cluster=cluster), pk=pk)


def user_list(*, user: Actor) -> QuerySet[User]:
    """All users with their teams and how many direct grants they hold."""
    _require_manager(user)
    return (
        User.objects.annotate(grant_count=Count("signalbox_grants", distinct=True))
        .prefetch_related(Prefetch("groups", queryset=Group.objects.order_by("name")))
        .order_by("username")
    )


def user_get(*, user: Actor, pk: int) -> User:
    """One user (404 when unknown)."""
    return get_object_or_404(user_list(user=user), pk=pk)


def user_grants(*, user: Actor, account: User) -> QuerySet[Grant]:
    """The grants that apply to `account`: their own and their teams', on every cluster."""
    _require_manager(user)
    return (
        Grant.objects.filter(Q(user_id=account.pk) | Q(team__user__id=account.pk))
        .select_related("cluster", "user", "team")
        .distinct()
        .order_by("cluster__name", "topic_pattern", "id")
    )


def team_list(*, user: Actor) -> QuerySet[Group]:
    """All teams with their members and how many grants each holds."""
    _require_manager(user)
    return (
        Group.objects.annotate(
            member_count=Count("user", distinct=True), grant_count=Count("signalbox_grants", distinct=True)
        )
        .prefetch_related(Prefetch("user_set", queryset=User.objects.order_by("username")))
        .order_by("name")
    )


def team_get(*, user: Actor, pk: int) -> Group:
    """One team (404 when unknown)."""
    return get_object_or_404(team_list(user=user), pk=pk)


def team_grants(*, user: Actor, team: Group) -> QuerySet[Grant]:
    """The grants a team holds, on every cluster."""
    _require_manager(user)
    return Grant.objects.filter(team=team).select_related("cluster").order_by("cluster__name", "topic_pattern")


@dataclass(frozen=True)
class TopicAccess:
    pattern: str
    role: Role
    read_messages: bool


@dataclass(frozen=True)
class ClusterAccess:
    """What one user may do on one cluster, and which grants give it."""

    cluster_id: int
    cluster_name: str
    role: Role | None  # on the whole cluster
    read_messages: bool  # on the whole cluster; topic grants carry their own flag
    topic_grants: tuple[TopicAccess, ...]
    superuser: bool
    via: tuple[str, ...]  # "direct", "team <name>" or "superuser"
    read_only_cluster: bool


def my_access(*, user: Actor) -> list[ClusterAccess]:
    """The user's own roles on every cluster they can see (any logged-in user may ask)."""
    clusters = list(clusters_visible(user=user).order_by("name"))
    if getattr(user, "is_superuser", False):
        return [
            ClusterAccess(
                cluster_id=c.pk,
                cluster_name=c.name,
                role=Role.ADMIN,
                read_messages=True,
                topic_grants=(),
                superuser=True,
                via=("superuser",),
                read_only_cluster=c.read_only,
            )
            for c in clusters
        ]
    sources: dict[int, set[str]] = {}
    rows = (
        Grant.objects.filter(Q(user_id=user.pk) | Q(team__user__id=user.pk))
        .values_list("cluster_id", "team__name")
        .distinct()
    )
    for cluster_id, team_name in rows:
        sources.setdefault(cluster_id, set()).add(f"team {team_name}" if team_name else "direct")
    result = []
    for cluster in clusters:
        access = access_on(user=user, cluster=cluster)
        result.append(
            ClusterAccess(
                cluster_id=cluster.pk,
                cluster_name=cluster.name,
                role=access.cluster_role,
                read_messages=access.cluster_reads_messages,
                topic_grants=tuple(
                    TopicAccess(pattern=g, role=r, read_messages=m) for g, r, m in sorted(access.topic_grants)
                ),
                superuser=False,
                via=tuple(sorted(sources.get(cluster.pk, ()), key=lambda s: (s != "direct", s))),
                read_only_cluster=cluster.read_only,
            )
        )
    return result
