"""Kafka Connect pages: thin; the same services and selectors as the API.
A Connect cluster is chosen with `?connect=<index or name>` (the first one when absent)."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from access.permissions import Action, check_permission, has_permission
from clusters import selectors as cluster_selectors
from clusters.models import Cluster
from connectors import selectors, services
from connectors.config_text import config_from_text, config_to_text
from connectors.connect import (
    ConnectError,
    ConnectNotConfigured,
    ConnectNotFound,
    ConnectRejected,
    ConnectTarget,
    ConnectTimeout,
)

OPERATION_LABELS = {
    "pause": "paused",
    "resume": "resumed",
    "stop": "stopped",
    "restart": "restarted with its tasks",
    "restart-failed": "restarting its failed tasks",
}


def _cluster(request: HttpRequest, cluster_id: int, action: Action) -> Cluster:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    check_permission(user=request.user, cluster=cluster, action=action)
    return cluster


def _ref(request: HttpRequest) -> str | None:
    return request.GET.get("connect") or request.POST.get("connect") or None


def _detail_url(cluster: Cluster, target: ConnectTarget | None, name: str) -> str:
    url = reverse("connectors:detail", kwargs={"cluster_id": cluster.pk, "name": name})
    return f"{url}?connect={target.index}" if target else url


def _can(request: HttpRequest, cluster: Cluster) -> dict[str, bool]:
    def can(action: Action) -> bool:
        return has_permission(user=request.user, cluster=cluster, action=action)

    return {"can_operate": can(Action.CONNECTOR_OPERATE), "can_edit": can(Action.CONNECTOR_EDIT)}


def _error_page(request: HttpRequest, cluster: Cluster, exc: ConnectError) -> HttpResponse:
    """Connect's error in a page that still links back; the cluster page is untouched."""
    if isinstance(exc, ConnectNotConfigured):
        status = 200 if not selectors.connect_targets(cluster=cluster) else 400
    elif isinstance(exc, ConnectNotFound):
        status = 404
    elif isinstance(exc, ConnectTimeout):
        status = 504
    elif isinstance(exc, ConnectRejected):
        status = 400
    else:
        status = 502
    return render(request, "connectors/error.html", {"cluster": cluster, "error": exc}, status=status)


@login_required
@require_GET
def connector_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_VIEW)
    overviews = selectors.connect_overview(user=request.user, cluster=cluster)
    context: dict[str, Any] = {"cluster": cluster, "overviews": overviews, **_can(request, cluster)}
    template = "connectors/_clusters.html" if request.headers.get("HX-Request") else "connectors/list.html"
    return render(request, template, context)


@login_required
@require_GET
def connector_detail(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_VIEW)
    try:
        detail = selectors.connector_detail(user=request.user, cluster=cluster, connect_ref=_ref(request), name=name)
    except ConnectError as exc:
        return _error_page(request, cluster, exc)
    context = {"cluster": cluster, "detail": detail, "status": detail.status, "target": detail.target}
    return render(request, "connectors/detail.html", {**context, **_can(request, cluster)})


@login_required
@require_GET
def connector_status(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    """The state partial the detail page polls every 5 s."""
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_VIEW)
    context: dict[str, Any] = {"cluster": cluster, "name": name, **_can(request, cluster)}
    try:
        target = selectors.connect_target(cluster=cluster, ref=_ref(request))
        context["target"] = target
        context["status"] = selectors.connector_status_get(
            user=request.user, cluster=cluster, connect_ref=str(target.index), name=name
        )
    except ConnectError as exc:
        context["error"] = exc.message  # the poll keeps running; the page shows why this round failed
    return render(request, "connectors/_status.html", context)


def _create_context(request: HttpRequest, cluster: Cluster) -> dict[str, Any]:
    targets = selectors.connect_targets(cluster=cluster)
    context: dict[str, Any] = {"cluster": cluster, "targets": targets, "plugins": (), "plugins_error": ""}
    try:
        target = selectors.connect_target(cluster=cluster, ref=_ref(request))
        context["target"] = target
        context["plugins"] = selectors.plugin_list(user=request.user, cluster=cluster, connect_ref=str(target.index))
    except ConnectError as exc:
        context["plugins_error"] = exc.message
    return context


def _split_errors(exc: ValidationError) -> tuple[dict[str, list[str]], dict[str, list[str]]]:
    """(errors of the form's own inputs, errors of config keys) from a service's ValidationError."""
    errors = exc.message_dict if hasattr(exc, "error_dict") else {"config": exc.messages}
    own = {k: v for k, v in errors.items() if k in ("name", "connector.class", "config", "confirm", "connect")}
    fields = {k: v for k, v in errors.items() if k not in own}
    return own, fields


@login_required
@require_http_methods(["GET", "POST"])
def connector_create(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_EDIT)
    context = _create_context(request, cluster)
    context.update({"posted": request.POST, "errors": {}, "field_errors": {}, "mode": "create"})
    if request.method != "POST":
        return render(request, "connectors/form.html", context)
    dry_run = request.POST.get("action") == "validate"
    status = 400
    try:
        config = config_from_text(request.POST.get("config", ""))
        plugin = request.POST.get("plugin", "").strip()
        if plugin:
            config["connector.class"] = plugin
        result = services.connector_create(
            user=request.user,
            cluster=cluster,
            connect_ref=_ref(request),
            name=request.POST.get("name", ""),
            config=config,
            dry_run=dry_run,
        )
    except ValidationError as exc:
        context["errors"], context["field_errors"] = _split_errors(exc)
    except ConnectRejected as exc:
        context["errors"] = {exc.field or "config": [exc.message]}
    except ConnectError as exc:
        context["connect_error"] = exc.message
        status = 504 if isinstance(exc, ConnectTimeout) else 502
    else:
        if dry_run:
            context["validated"] = True
            return render(request, "connectors/form.html", context)
        messages.success(request, f"Connector '{result.name}' created.")  # type: ignore[union-attr]
        return redirect(_detail_url(cluster, context.get("target"), result.name))  # type: ignore[union-attr]
    return render(request, "connectors/form.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def connector_edit(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_EDIT)
    try:
        target = selectors.connect_target(cluster=cluster, ref=_ref(request))
        current = selectors.connector_config_get(
            user=request.user, cluster=cluster, connect_ref=str(target.index), name=name
        )
    except ConnectError as exc:
        return _error_page(request, cluster, exc)
    context: dict[str, Any] = {
        "cluster": cluster,
        "target": target,
        "name": name,
        "mode": "edit",
        "errors": {},
        "field_errors": {},
        "posted": request.POST or {"config": config_to_text(current)},
    }
    if request.method != "POST":
        return render(request, "connectors/form.html", context)
    try:
        config = config_from_text(request.POST.get("config", ""))
        services.connector_config_update(
            user=request.user, cluster=cluster, connect_ref=str(target.index), name=name, config=config
        )
    except ValidationError as exc:
        context["errors"], context["field_errors"] = _split_errors(exc)
    except ConnectRejected as exc:
        context["errors"] = {exc.field or "config": [exc.message]}
    except ConnectError as exc:
        context["connect_error"] = exc.message
    else:
        messages.success(request, f"Config of connector '{name}' changed.")
        return redirect(_detail_url(cluster, target, name))
    return render(request, "connectors/form.html", context, status=502 if context.get("connect_error") else 400)


@login_required
@require_POST
def connector_operate(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    """Pause, resume, stop, restart, restart failed tasks, or restart one task (`task`)."""
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_OPERATE)
    operation = request.POST.get("operation", "")
    ref = _ref(request)
    target = None
    try:
        target = selectors.connect_target(cluster=cluster, ref=ref)
        if operation == "restart-task":
            task = request.POST.get("task", "")
            services.connector_task_restart(
                user=request.user, cluster=cluster, connect_ref=str(target.index), name=name, task_id=task
            )
            messages.success(request, f"Task {task} of connector '{name}' restarted.")
        else:
            services.connector_operate(
                user=request.user, cluster=cluster, connect_ref=str(target.index), name=name, operation=operation
            )
            messages.success(request, f"Connector '{name}' {OPERATION_LABELS.get(operation, operation)}.")
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    except ConnectError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(cluster, target, name))


@login_required
@require_POST
def connector_offsets_reset(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_EDIT)
    target = None
    try:
        target = selectors.connect_target(cluster=cluster, ref=_ref(request))
        said = services.connector_offsets_reset(
            user=request.user, cluster=cluster, connect_ref=str(target.index), name=name
        )
        messages.success(request, said or f"Offsets of connector '{name}' reset.")
    except ConnectError as exc:
        messages.error(request, exc.message)
    return redirect(_detail_url(cluster, target, name))


@login_required
@require_http_methods(["GET", "POST"])
def connector_delete(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.CONNECTOR_EDIT)
    try:
        target = selectors.connect_target(cluster=cluster, ref=_ref(request))
    except ConnectError as exc:
        return _error_page(request, cluster, exc)
    context: dict[str, Any] = {"cluster": cluster, "target": target, "name": name, "errors": {}}
    if request.method == "POST":
        try:
            services.connector_delete(
                user=request.user,
                cluster=cluster,
                connect_ref=str(target.index),
                name=name,
                confirm=request.POST.get("confirm", ""),
            )
        except ValidationError as exc:
            context["errors"] = exc.message_dict
        except ConnectError as exc:
            context["connect_error"] = exc.message
        else:
            messages.success(request, f"Connector '{name}' deleted.")
            return redirect(f"{reverse('connectors:list', kwargs={'cluster_id': cluster.pk})}")
        return render(request, "connectors/delete.html", context, status=502 if context.get("connect_error") else 400)
    return render(request, "connectors/delete.html", context)
