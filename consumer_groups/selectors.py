"""Reads of consumer groups from the stored snapshot (never a live Kafka call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet
from django.http import Http404

from access.permissions import Action, check_permission
from clusters import gateway
from clusters.models import Cluster
from clusters.selectors import snapshot_age
from consumer_groups.models import GroupMeta, GroupStatus
from controlplane.query_params import int_param, sort_param

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SORTS = {
    "group": "group_id",
    "state": "state",
    "type": "group_type",
    "members": "members",
    "lag": "total_lag",
    "lag_seconds": "max_lag_seconds",
    "status": "status",
    "coordinator": "coordinator_id",
}
STATUSES = [s.value for s in GroupStatus]
MAX_LIMIT = 500


@dataclass(frozen=True)
class GroupListQuery:
    search: str = ""
    state: str = ""
    status: str = ""
    sort: str = "group"
    descending: bool = False
    offset: int = 0
    limit: int = 50

    @classmethod
    def from_params(cls, params: Any) -> GroupListQuery:
        """Parse ?search=&state=&status=&sort=-lag&offset=&limit=; raises ValidationError per field."""
        errors: dict[str, str] = {}
        sort, descending = sort_param(params, allowed=SORTS, default="group", errors=errors)
        status = str(params.get("status") or "").upper()
        if status and status not in STATUSES:
            errors["status"] = f"Unknown status '{status}'; use one of {', '.join(STATUSES)}."
        state = str(params.get("state") or "")
        if len(state) > 32:
            errors["state"] = "At most 32 characters (e.g. Stable, Empty, PreparingRebalance, Dead)."
        offset = int_param(params, "offset", default=0, low=0, high=10_000_000, errors=errors)
        limit = int_param(params, "limit", default=50, low=1, high=MAX_LIMIT, errors=errors)
        search = str(params.get("search") or "").strip()
        if len(search) > 255:
            errors["search"] = "At most 255 characters."
        if errors:
            raise ValidationError(errors)
        return cls(
            search=search,
            state=state,
            status=status,
            sort=sort,
            descending=descending,
            offset=offset,
            limit=limit,
        )

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort


@dataclass(frozen=True)
class GroupPage:
    rows: list[GroupMeta]
    total: int
    query: GroupListQuery
    as_of: datetime | None
    stale: bool
    error: str
    states: list[str]
    status_counts: dict[str, int]


def group_list(*, user: AbstractBaseUser | AnonymousUser, cluster: Cluster, query: GroupListQuery) -> GroupPage:
    """One page of a cluster's consumer groups from the stored snapshot, with its age."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW)
    base = GroupMeta.objects.filter(cluster=cluster)
    qs: QuerySet[GroupMeta] = base
    if query.search:
        qs = qs.filter(group_id__icontains=query.search)
    if query.state:
        qs = qs.filter(state__iexact=query.state)
    if query.status:
        qs = qs.filter(status=query.status)
    column = F(SORTS[query.sort])
    order = column.desc(nulls_last=True) if query.descending else column.asc(nulls_last=True)
    qs = qs.order_by(order, "group_id") if query.sort != "group" else qs.order_by(order)
    rows = list(qs.defer("partitions")[query.offset : query.offset + query.limit])
    age = snapshot_age(cluster=cluster)
    counts: dict[str, int] = {}
    for status in base.values_list("status", flat=True):
        counts[status] = counts.get(status, 0) + 1
    return GroupPage(
        rows=rows,
        total=qs.count(),
        query=query,
        as_of=age.as_of,
        stale=age.stale,
        error=age.error,
        states=sorted(set(base.values_list("state", flat=True)) - {""}),
        status_counts=counts,
    )


@dataclass(frozen=True)
class PartitionLag:
    topic: str
    partition: int
    committed: int | None
    end: int | None
    lag: int | None
    lag_seconds: float | None
    status: str
    owner: str


def partitions_of(group: GroupMeta) -> list[PartitionLag]:
    return [PartitionLag(*row) for row in group.partitions]


def group_get(*, user: AbstractBaseUser | AnonymousUser, cluster: Cluster, group_id: str) -> GroupMeta:
    """One group from the snapshot, 404 when the snapshot does not know it."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW)
    group = GroupMeta.objects.filter(cluster=cluster, group_id=group_id).first()
    if group is None:
        raise Http404(f"No consumer group '{group_id}' in the snapshot of cluster '{cluster.name}'.")
    return group


def group_members(
    *, user: AbstractBaseUser | AnonymousUser, cluster: Cluster, group_id: str
) -> tuple[gateway.GroupDescription | None, str]:
    """Members and assignments of a group, read live (they change between polls):
    (description, "") or (None, why it could not be read) — never raises for Kafka."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW)
    try:
        return gateway.group_describe(cluster.connection(), group_id), ""
    except gateway.GatewayError as exc:
        return None, exc.message


@dataclass(frozen=True)
class TopicReader:
    group_id: str
    state: str
    status: str
    lag: int | None
    lag_seconds: float | None
    partitions: int


def topic_readers(*, user: AbstractBaseUser | AnonymousUser, cluster: Cluster, topic: str) -> list[TopicReader]:
    """The groups with commits on `topic` and their lag on it (for the topic page)."""
    check_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW)
    readers = []
    for group in (
        GroupMeta.objects.filter(cluster=cluster, topics__contains=[topic])
        if _json_contains()
        else (g for g in GroupMeta.objects.filter(cluster=cluster) if topic in g.topics)
    ):
        mine = [p for p in partitions_of(group) if p.topic == topic]
        lags = [p.lag for p in mine if p.lag is not None]
        seconds = [p.lag_seconds for p in mine if p.lag_seconds is not None]
        worst = _worst([p.status for p in mine])
        readers.append(
            TopicReader(
                group_id=group.group_id,
                state=group.state,
                status=worst,
                lag=sum(lags) if lags else None,
                lag_seconds=max(seconds) if seconds else None,
                partitions=len(mine),
            )
        )
    return sorted(readers, key=lambda r: (-(r.lag or 0), r.group_id))


_ORDER = {"OK": 0, "NO_COMMIT": 0, "UNKNOWN": 1, "WARN": 2, "STALL": 3, "STOP": 3, "REWIND": 3}


def _worst(statuses: list[str]) -> str:
    return max(statuses, key=lambda s: _ORDER.get(s, 1)) if statuses else "UNKNOWN"


def _json_contains() -> bool:
    # JSON containment is native on PostgreSQL; SQLite lacks it, so filter in Python there.
    from django.db import connection

    return connection.vendor == "postgresql"
