"""Consumer group list and detail pages (stored snapshot; members read live)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from access.permissions import Action, has_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from consumer_groups import lag, selectors

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
    error = ""
    try:
        query = selectors.GroupListQuery.from_params(request.GET)
    except ValidationError as exc:
        error = " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        query = selectors.GroupListQuery()
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
    description = None
    members_error = ""
    try:
        description = gateway.group_describe(cluster.connection(), group_id)
    except gateway.GatewayError as exc:
        members_error = exc.message
    partitions = selectors.partitions_of(group)
    topics: dict[str, list[selectors.PartitionLag]] = {}
    for p in partitions:
        topics.setdefault(p.topic, []).append(p)
    status = getattr(cluster, "status", None)
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
            "as_of": status.last_ok_at if status else None,
            "stale": bool(status and not status.reachable and status.checked_at),
            "can_reset": has_permission(user=request.user, cluster=cluster, action=Action.GROUP_OFFSETS_RESET),
            "can_delete": has_permission(user=request.user, cluster=cluster, action=Action.GROUP_DELETE),
        },
    )
