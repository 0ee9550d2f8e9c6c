"""Message pages: browse (with filters, continue, download and a live tail) and produce.
Thin: the same services as the API."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_http_methods

from access.permissions import Action, has_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from clusters.models import Cluster
from schemas.registry import RegistryError
from topics import messages, selectors

STOP_REASONS = {
    "end": "Read every selected partition up to its end.",
    "scan_limit": "Stopped at the limit of messages to scan.",
    "time_limit": "Stopped at the time limit.",
    "result_limit": "Stopped after finding enough messages.",
}


def _errors(exc: ValidationError) -> dict[str, str]:
    return {k: " ".join(v) for k, v in exc.message_dict.items()}


def _partitions(cluster: Cluster, name: str) -> list[int]:
    meta = selectors.topic_meta_get(cluster=cluster, name=name)
    return list(range(meta.partition_count)) if meta and meta.partition_count else []


def _continue_params(params: QueryDict, cursor: str) -> str:
    query = params.copy()
    query["cursor"] = cursor
    return query.urlencode()


@login_required
def message_browse(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.MESSAGE_READ, topic=name)
    errors: dict[str, str] = {}
    result: messages.BrowseResult | None = None
    try:
        query = messages.BrowseQuery.from_params(request.GET)
    except ValidationError as exc:
        errors = _errors(exc)
        query = messages.BrowseQuery()
    else:
        try:
            result = messages.message_browse(user=request.user, cluster=cluster, topic=name, query=query)
        except gateway.KafkaRejected as exc:
            errors = {exc.field or "non_field": exc.message}
    api_download = reverse("api-topic-messages-download", kwargs={"cluster_id": cluster.pk, "name": name})
    context: dict[str, Any] = {
        "cluster": cluster,
        "topic": name,
        "query": query,
        "params": request.GET,
        "errors": errors,
        "result": result,
        "rows": result.messages() if result else [],
        "stop_note": STOP_REASONS.get(result.scan.stop_reason, "") if result else "",
        "continue_query": _continue_params(request.GET, result.cursor) if result else "",
        "download_url": f"{api_download}?{request.GET.urlencode()}",
        "partitions": _partitions(cluster, name),
        "can_produce": has_permission(user=request.user, cluster=cluster, action=Action.MESSAGE_PRODUCE, topic=name),
        "tail_path": f"/ws/clusters/{cluster.pk}/topics/{name}/tail/",
        "decodings": messages.DECODINGS,
        "has_registry": bool(cluster.schema_registry_url),
    }
    template = "topics/messages_results.html" if request.headers.get("HX-Request") else "topics/messages.html"
    return render(request, template, context, status=400 if errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def message_produce(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.MESSAGE_PRODUCE, topic=name)
    errors: dict[str, str] = {}
    produced = None
    if request.method == "POST":
        try:
            message = messages.ProduceInput.parse(request.POST)
            produced = messages.message_produce(user=request.user, cluster=cluster, topic=name, message=message)
        except ValidationError as exc:
            errors = _errors(exc)
        except gateway.KafkaRejected as exc:
            errors = {exc.field or "non_field": exc.message}
        except RegistryError as exc:  # registry down or failing: say so, keep the form
            errors = {"non_field": f"The schema registry could not be used: {exc}"}
    form = request.POST if request.method == "POST" and errors else QueryDict()
    header_rows = list(zip(form.getlist("header_key"), form.getlist("header_value"), strict=False))
    header_rows += [("", "")] * max(1, 3 - len(header_rows))
    context = {
        "cluster": cluster,
        "topic": name,
        "form": form,
        "errors": errors,
        "produced": produced,
        "header_rows": header_rows,
        "partitions": _partitions(cluster, name),
        "formats": messages.PRODUCE_FORMATS,
        "has_registry": bool(cluster.schema_registry_url),
    }
    return render(request, "topics/messages_produce.html", context, status=400 if errors else 200)
