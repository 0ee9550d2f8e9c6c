"""Consumer group list and detail pages (stored snapshot; members read live)."""

from __future__ import annotations

import json

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.permissions import Action, has_permission
from clusters import selectors as cluster_selectors
from consumer_groups import lag, selectors
from controlplane.query_params import query_or_default
from monitoring.charts import group_charts

COLUMNS = [
    ("group", "Group", False),
    ("type", "Type", False),
    ("state", "State", False),
    ("members", "Members", True),
    ("lag", "Lag (messages)", True),
    ("lag_seconds", "Lag (time)", True),
    ("status", "Status", False),
    ("coordinator", "Coordinator", True),
]


@login_required
def group_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    query, error = query_or_default(selectors.GroupListQuery, request.GET)
    page = selectors.group_list(user=request.user, cluster=cluster, query=query)
    context = {
        "cluster": cluster,
        "page": page,
        "columns": COLUMNS,
        "error": error,
        "statuses": selectors.STATUSES,
        "status_rules": lag.LAG_STATUS_RULES,
        "seconds_method": lag.LAG_SECONDS_METHOD,
        "prev_offset": max(0, query.offset - query.limit),
        "next_offset": query.offset + query.limit if query.offset + query.limit < page.total else None,
        "last_row": min(query.offset + query.limit, page.total),
    }
    template = "consumer_groups/_table.html" if request.headers.get("HX-Request") else "consumer_groups/list.html"
    return render(request, template, context, status=400 if error else 200)


@login_required
def group_detail(request: HttpRequest, cluster_id: int, group_id: str) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    group = selectors.group_get(user=request.user, cluster=cluster, group_id=group_id)
    description, members_error = selectors.group_members(user=request.user, cluster=cluster, group_id=group_id)
    partitions = selectors.partitions_of(group)
    topics: dict[str, list[selectors.PartitionLag]] = {}
    for p in partitions:
        topics.setdefault(p.topic, []).append(p)
    age = cluster_selectors.snapshot_age(cluster=cluster)
    return render(
        request,
        "consumer_groups/detail.html",
        {
            "cluster": cluster,
            "group": group,
            "topics": topics,
            "description": description,
            "members_error": members_error,
            "status_rules": lag.LAG_STATUS_RULES,
            "seconds_method": lag.LAG_SECONDS_METHOD,
            "as_of": age.as_of,
            "stale": age.stale,
            "can_reset": has_permission(
                user=request.user, cluster=cluster, action=Action.GROUP_OFFSETS_RESET, any_topic=True
            ),
            "can_delete": has_permission(user=request.user, cluster=cluster, action=Action.GROUP_DELETE),
            "charts": group_charts(cluster, group.group_id, list(topics)),
            "subscribe": json.dumps({"cluster": cluster.pk, "group": group.group_id}),
        },
    )
