"""The audit trail page (/audit/) and its CSV export (/audit/export.csv)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import TYPE_CHECKING

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.handlers.asgi import ASGIRequest
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils import timezone
from django.utils.http import urlencode
from django.views.decorators.http import require_GET

from access import selectors_audit as selectors
from access.models import AuditEvent
from access.permissions import Action, clusters_visible

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

# Offered in the action filter; any other prefix may be typed.
ACTION_PREFIXES = sorted(
    {a.value.split(".")[0] + "." for a in Action} | {"auth.", "board.", "grant.", "team.", "token.", "user."}
)


@dataclass(frozen=True)
class EventRow:
    event: AuditEvent
    diff: list[selectors.DiffLine]


def _csv_filename() -> str:
    return f"signalbox-audit-{timezone.now():%Y%m%d-%H%M%S}.csv"


def audit_csv_response(request: HttpRequest, qs: QuerySet[AuditEvent]) -> StreamingHttpResponse:
    """Stream `qs` as CSV: batches as they are read, never the whole trail in memory."""
    # Under ASGI (Daphne) only an async iterator streams; WSGI and the test client want a sync one.
    lines = selectors.audit_csv_lines_async(qs) if isinstance(request, ASGIRequest) else selectors.audit_csv_lines(qs)
    response = StreamingHttpResponse(lines, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{_csv_filename()}"'
    response["Cache-Control"] = "no-store"
    response["X-Content-Type-Options"] = "nosniff"
    return response


def _cluster_choices(user: AbstractBaseUser | AnonymousUser) -> list[tuple[int, str]]:
    return list(clusters_visible(user=user).order_by("name").values_list("pk", "name"))


@login_required
@require_GET
def audit_list(request: HttpRequest) -> HttpResponse:
    error = ""
    page: selectors.AuditPage | None = None
    try:
        query = selectors.AuditQuery.from_params(request.GET)
        query = replace(query, limit=selectors.PAGE_SIZE)
        page = selectors.audit_list(user=request.user, query=query)
    except ValidationError as exc:
        error = " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
    filters = page.query.filter_params() if page else {}
    clusters = _cluster_choices(request.user)
    # Only for the "what you see" note; superusers see everything anyway.
    admin_ids = set() if request.user.is_superuser else set(selectors.audit_admin_cluster_ids(user=request.user))
    context = {
        "page": page,
        "rows": [EventRow(event=e, diff=selectors.audit_diff(e.before, e.after)) for e in page.rows] if page else [],
        "error": error,
        "params": request.GET,
        "results": selectors.RESULTS,
        "clusters": clusters,
        "admin_clusters": [name for pk, name in clusters if pk in admin_ids],
        "action_prefixes": ACTION_PREFIXES,
        "is_superuser": request.user.is_superuser,
        "filtered": bool(page and page.query.filtered),
        "filter_query": urlencode(filters),
        "older_query": urlencode({**filters, "cursor": page.older}) if page and page.older else "",
        "newer_query": urlencode({**filters, "cursor": page.newer}) if page and page.newer else "",
        "csv_query": urlencode(filters),
    }
    template = "access/audit/_table.html" if request.headers.get("HX-Request") else "access/audit/list.html"
    return render(request, template, context, status=400 if error else 200)


@login_required
@require_GET
def audit_export(request: HttpRequest) -> HttpResponseBase:
    try:
        query = selectors.AuditQuery.from_params(request.GET, paged=False)
        qs = selectors.audit_events(user=request.user, query=query)
    except ValidationError as exc:
        text = "\n".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        return HttpResponse(f"Bad filter. {text}\n", status=400, content_type="text/plain; charset=utf-8")
    return audit_csv_response(request, qs)
