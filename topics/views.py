"""The topic list page (from the stored snapshot)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from access.permissions import Action, check_permission, has_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from controlplane.query_params import query_or_default
from topics import selectors
from topics.snapshot import topic_snapshot_refresh

COLUMNS = [
    ("name", "Topic", False),
    ("partitions", "Partitions", True),
    ("replication_factor", "Replication", True),
    ("size", "Size", True),
    ("under_replicated", "Under-replicated", True),
    ("offline", "Offline", True),
    ("messages_per_s", "Messages/s", True),
]


@login_required
def topic_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    query, error = query_or_default(selectors.TopicListQuery, request.GET)
    page = selectors.topic_list(user=request.user, cluster=cluster, query=query)
    context = {
        "cluster": cluster,
        "page": page,
        "columns": COLUMNS,
        "error": error,
        "can_create": has_permission(user=request.user, cluster=cluster, action=Action.TOPIC_CREATE, any_topic=True),
        "prev_offset": max(0, query.offset - query.limit),
        "next_offset": query.offset + query.limit if query.offset + query.limit < page.total else None,
        "last_row": min(query.offset + query.limit, page.total),
    }
    template = "topics/_table.html" if request.headers.get("HX-Request") else "topics/list.html"
    return render(request, template, context, status=400 if error else 200)


@login_required
@require_POST
def topic_list_refresh(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    check_permission(user=request.user, cluster=cluster, action=Action.TOPIC_VIEW)
    try:
        diff = topic_snapshot_refresh(cluster=cluster)
    except gateway.GatewayError as exc:
        messages.error(request, f"Refresh failed; showing the last snapshot. {exc.message}")
    else:
        messages.success(
            request, f"Refreshed: {diff.created} new, {diff.updated} changed, {diff.deleted} deleted topics."
        )
    return redirect(f"{request.path.rsplit('~refresh/', 1)[0]}?{request.GET.urlencode()}")
