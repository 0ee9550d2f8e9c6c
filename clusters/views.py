"""Cluster pages: thin; selectors read, services write."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods, require_POST

from access.permissions import Action, check_permission, has_permission, role_on
from clusters import gateway, selectors, services
from clusters.forms import ClusterForm
from clusters.models import Cluster
from monitoring.charts import cluster_charts
from monitoring.selectors import dashboard


@login_required
def cluster_list(request: HttpRequest) -> HttpResponse:
    clusters = list(selectors.cluster_list(user=request.user))
    return render(
        request,
        "clusters/list.html",
        {
            "clusters": clusters,
            "can_manage": has_permission(user=request.user, cluster=None, action=Action.CLUSTER_MANAGE),
        },
    )


@login_required
def cluster_detail(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_get(user=request.user, pk=pk)
    return render(
        request,
        "clusters/detail.html",
        {
            "cluster": cluster,
            "status": getattr(cluster, "status", None),
            "can_manage": has_permission(user=request.user, cluster=cluster, action=Action.CLUSTER_MANAGE),
            "can": {
                "acls": has_permission(user=request.user, cluster=cluster, action=Action.ACL_VIEW),
                "connect": has_permission(user=request.user, cluster=cluster, action=Action.CONNECTOR_VIEW),
                "schemas": has_permission(user=request.user, cluster=cluster, action=Action.SCHEMA_VIEW),
                "scram": has_permission(user=request.user, cluster=cluster, action=Action.SCRAM_VIEW),
                "audit": has_permission(user=request.user, cluster=cluster, action=Action.AUDIT_VIEW),
                "roles": has_permission(user=request.user, cluster=cluster, action=Action.ROLE_MANAGE),
            },
            "role": role_on(user=request.user, cluster=cluster),
            "charts": cluster_charts(cluster),
            "dashboard": dashboard(cluster=cluster),
        },
    )


def _initial(cluster: Cluster) -> dict[str, object]:
    return {f: getattr(cluster, f) for f in services.EDITABLE_FIELDS}


@login_required
@require_http_methods(["GET", "POST"])
def cluster_create(request: HttpRequest) -> HttpResponse:
    check_permission(user=request.user, cluster=None, action=Action.CLUSTER_MANAGE)
    form = ClusterForm(request.POST or None, initial={"poll_interval_s": 5, "enabled": True})
    if request.method == "POST" and form.is_valid():
        fields, password = form.model_fields()
        try:
            cluster = services.cluster_create(user=request.user, fields=fields, password=password)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Cluster '{cluster.name}' added. Its first poll is on its way.")
            return redirect("clusters:detail", pk=cluster.pk)
    return render(request, "clusters/form.html", {"form": form, "cluster": None})


@login_required
@require_http_methods(["GET", "POST"])
def cluster_edit(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_get(user=request.user, pk=pk, action=Action.CLUSTER_MANAGE)
    form = ClusterForm(request.POST or None, initial=_initial(cluster), has_password=cluster.has_password)
    if request.method == "POST" and form.is_valid():
        fields, password = form.model_fields()
        try:
            cluster = services.cluster_update(user=request.user, cluster=cluster, fields=fields, password=password)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Cluster '{cluster.name}' saved.")
            return redirect("clusters:detail", pk=cluster.pk)
    return render(request, "clusters/form.html", {"form": form, "cluster": cluster})


@login_required
@require_http_methods(["GET", "POST"])
def cluster_delete(request: HttpRequest, pk: int) -> HttpResponse:
    cluster = selectors.cluster_get(user=request.user, pk=pk, action=Action.CLUSTER_MANAGE)
    error = ""
    if request.method == "POST":
        if request.POST.get("confirm_name", "") == cluster.name:
            name = cluster.name
            services.cluster_delete(user=request.user, cluster=cluster)
            messages.success(request, f"Cluster '{name}' removed from Signalbox. Kafka itself is untouched.")
            return redirect("clusters:list")
        error = f"Type the cluster name '{cluster.name}' exactly to confirm."
    return render(request, "clusters/delete.html", {"cluster": cluster, "error": error}, status=400 if error else 200)


@login_required
@require_POST
def cluster_test_connection(request: HttpRequest, pk: int | None = None) -> HttpResponse:
    """Test the settings on the form as typed (unsaved), returning an htmx fragment."""
    base = selectors.cluster_get(user=request.user, pk=pk, action=Action.CLUSTER_MANAGE) if pk else None
    if base is None:
        check_permission(user=request.user, cluster=None, action=Action.CLUSTER_MANAGE)
    form = ClusterForm(request.POST, has_password=bool(base and base.has_password))
    context: dict[str, object] = {}
    if form.is_valid():
        fields, password = form.model_fields()
        try:
            candidate = services.cluster_build(fields=fields, password=password, base=base)
            context["report"] = services.cluster_connection_test(user=request.user, cluster=candidate)
        except ValidationError as exc:
            form.apply_errors(exc)
            context["form_errors"] = form.errors
        except gateway.GatewayError as exc:
            context["error"] = exc.message
    else:
        context["form_errors"] = form.errors
    return render(request, "clusters/_test_result.html", context)
