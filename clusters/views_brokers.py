"""Pages for the cluster overview and broker configs: thin; the API calls the same
selectors and services. These pages read Kafka live, bounded by the request timeout."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from access.permissions import Action, has_permission
from clusters import broker_selectors, broker_services
from clusters import selectors as cluster_selectors
from clusters.gateway import GatewayError, KafkaNotFound, KafkaRejected, KafkaTimeout
from clusters.gateway.brokers import CONFIG_OPS
from clusters.models import Cluster


def _status_for(exc: GatewayError) -> int:
    if isinstance(exc, KafkaTimeout):
        return 504
    if isinstance(exc, KafkaRejected):
        return 400
    if isinstance(exc, KafkaNotFound):
        return 404
    return 502


def _known_brokers(cluster: Cluster) -> list[dict[str, Any]]:
    """Brokers from the last poll, for navigation when Kafka is not asked (or not answering)."""
    status = getattr(cluster, "status", None)
    return list(status.brokers) if status is not None and status.brokers else []


def _configs_url(cluster: Cluster, broker_id: int | None) -> str:
    if broker_id is None:
        return reverse("brokers:default-configs", args=[cluster.pk])
    return reverse("brokers:configs", args=[cluster.pk, broker_id])


@login_required
def cluster_overview(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.BROKER_VIEW)
    context: dict[str, Any] = {"cluster": cluster, "known_brokers": _known_brokers(cluster)}
    status = 200
    try:
        overview = broker_selectors.cluster_overview_get(user=request.user, cluster=cluster)
    except GatewayError as exc:
        context["error"] = exc.message
        status = _status_for(exc)
    else:
        context["overview"] = overview
        known = [b for b in overview.brokers if b.size_bytes is not None]
        context["chart"] = {
            "brokers": [f"broker {b.node_id}" for b in known],
            "sizes": [b.size_bytes for b in known],
        }
    template = "clusters/brokers_overview_body.html" if request.headers.get("HX-Request") else None
    return render(request, template or "clusters/brokers_overview.html", context, status=status)


def _config_context(
    request: HttpRequest, cluster: Cluster, broker_id: int | None, query: broker_selectors.BrokerConfigQuery
) -> dict[str, Any]:
    listing = broker_selectors.broker_config_list(user=request.user, cluster=cluster, broker_id=broker_id, query=query)
    return {
        "cluster": cluster,
        "broker_id": broker_id,
        "listing": listing,
        "sources": broker_selectors.SOURCES,
        "ops": CONFIG_OPS,
        "known_brokers": _known_brokers(cluster),
        "can_edit": has_permission(user=request.user, cluster=cluster, action=Action.BROKER_CONFIG_EDIT),
        "configs_url": _configs_url(cluster, broker_id),
        "edit_url": reverse("brokers:default-config-edit", args=[cluster.pk])
        if broker_id is None
        else reverse("brokers:config-edit", args=[cluster.pk, broker_id]),
    }


@login_required
def broker_configs(request: HttpRequest, cluster_id: int, broker_id: int | None = None) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.BROKER_VIEW)
    error = ""
    try:
        query = broker_selectors.BrokerConfigQuery.from_params(request.GET)
    except ValidationError as exc:
        error = " ".join(f"{k}: {' '.join(v)}" for k, v in exc.message_dict.items())
        query = broker_selectors.BrokerConfigQuery()
    context = _config_context(request, cluster, broker_id, query)
    context["query_error"] = error
    # ?edit=<name> fills the edit form from a row's "Edit" link.
    edit_name = str(request.GET.get("edit") or "")
    entry = next((e for e in context["listing"].rows if e.name == edit_name), None)
    context["form"] = {
        "name": edit_name,
        "op": "SET",
        "value": entry.value if entry is not None and not entry.sensitive else "",
    }
    context["errors"] = {}
    template = "clusters/brokers_configs_table.html" if request.headers.get("HX-Request") else None
    return render(request, template or "clusters/brokers_configs.html", context, status=400 if error else 200)


@login_required
@require_POST
def broker_configs_edit(request: HttpRequest, cluster_id: int, broker_id: int | None = None) -> HttpResponse:
    """Preview (validate-only, the broker's verdict) or apply one config change."""
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.BROKER_CONFIG_EDIT)
    form = {
        "name": request.POST.get("name", "").strip(),
        "op": request.POST.get("op", "SET").strip().upper(),
        "value": request.POST.get("value", ""),
    }
    apply = request.POST.get("action") == "apply"
    errors: dict[str, str] = {}
    result = None
    status = 200
    try:
        changes = broker_services.broker_config_changes_parse([form])
        result = broker_services.broker_configs_alter(
            user=request.user, cluster=cluster, broker_id=broker_id, changes=changes, validate_only=not apply
        )
    except ValidationError as exc:
        errors = {k: " ".join(v) for k, v in exc.message_dict.items()}
        status = 400
    except GatewayError as exc:
        key = exc.field if isinstance(exc, KafkaRejected) and exc.field else "__all__"
        errors = {key: exc.message}
        status = _status_for(exc)
    if result is not None and apply:
        row = result.changes[0]
        messages.success(
            request,
            f"{broker_services.target_label(broker_id).capitalize()}: {row.name} {row.op} applied; "
            f"now {row.after if row.after is not None else '(not set)'} from {row.after_source}.",
        )
        return redirect(f"{_configs_url(cluster, broker_id)}?search={row.name}")
    context = _config_context(request, cluster, broker_id, broker_selectors.BrokerConfigQuery(search=form["name"]))
    # Errors about the config itself show next to the name field; others above the form.
    name_error = errors.pop(form["name"], "") if form["name"] else ""
    context.update(
        {
            "form": form,
            "errors": errors,
            "name_error": name_error or errors.pop("configs", ""),
            "preview": result,
            "query_error": "",
        }
    )
    return render(request, "clusters/brokers_configs.html", context, status=status)
