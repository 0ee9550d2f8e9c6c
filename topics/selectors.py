"""Reads of topics from the stored snapshot (never a live Kafka call)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError
from django.db.models import F, QuerySet

from access.permissions import Action, check_permission
from clusters.models import Cluster
from clusters.selectors import snapshot_age
from controlplane.query_params import int_param, sort_param
from topics.models import TopicMeta

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

SORTS = {
    "name": "name",
    "partitions": "partition_count",
    "replication_factor": "replication_factor",
    "size": "size_bytes",
    "under_replicated": "under_replicated",
    "offline": "offline",
    "messages_per_s": "messages_per_s",
}
MAX_LIMIT = 500


@dataclass(frozen=True)
class TopicListQuery:
    search: str = ""
    sort: str = "name"
    descending: bool = False
    include_internal: bool = False
    offset: int = 0
    limit: int = 50

    @classmethod
    def from_params(cls, params: Any) -> TopicListQuery:
        """Parse query parameters (?search=&sort=-size&internal=true&offset=&limit=);
        raises ValidationError naming the parameter and the reason."""
        errors: dict[str, str] = {}
        sort, descending = sort_param(params, allowed=SORTS, default="name", errors=errors)
        offset = int_param(params, "offset", default=0, low=0, high=10_000_000, errors=errors)
        limit = int_param(params, "limit", default=50, low=1, high=MAX_LIMIT, errors=errors)
        search = str(params.get("search") or "").strip()
        if len(search) > 249:
            errors["search"] = "At most 249 characters (the longest topic name)."
        if errors:
            raise ValidationError(errors)
        internal = str(params.get("internal") or "").lower() in ("1", "true", "yes", "on")
        return cls(
            search=search, sort=sort, descending=descending, include_internal=internal, offset=offset, limit=limit
        )

    @property
    def sort_param(self) -> str:
        return f"-{self.sort}" if self.descending else self.sort


@dataclass(frozen=True)
class TopicPage:
    rows: list[TopicMeta]
    total: int
    query: TopicListQuery
    as_of: datetime | None
    stale: bool
    error: str


def topics_queryset(*, cluster: Cluster, query: TopicListQuery) -> QuerySet[TopicMeta]:
    qs = TopicMeta.objects.filter(cluster=cluster)
    if not query.include_internal:
        qs = qs.filter(internal=False)
    if query.search:
        qs = qs.filter(name__icontains=query.search)
    column = F(SORTS[query.sort])
    order = column.desc(nulls_last=True) if query.descending else column.asc(nulls_last=True)
    return qs.order_by(order, "name") if query.sort != "name" else qs.order_by(order)


def topic_list(*, user: AbstractBaseUser | AnonymousUser, cluster: Cluster, query: TopicListQuery) -> TopicPage:
    """One page of a cluster's topics from the stored snapshot, with its age."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    qs = topics_queryset(cluster=cluster, query=query)
    rows = list(qs[query.offset : query.offset + query.limit])
    total = qs.count()
    age = snapshot_age(cluster=cluster)
    return TopicPage(rows=rows, total=total, query=query, as_of=age.as_of, stale=age.stale, error=age.error)


def topic_names(*, cluster: Cluster) -> set[str]:
    """Every topic name in the snapshot (for collision checks)."""
    return set(TopicMeta.objects.filter(cluster=cluster).values_list("name", flat=True))


def topic_meta_get(*, cluster: Cluster, name: str) -> TopicMeta | None:
    return TopicMeta.objects.filter(cluster=cluster, name=name).first()
