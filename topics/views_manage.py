"""Topic operation pages: thin; the same services and selectors as the API.
Dry runs and previews answer htmx with a fragment; Kafka refusals show next to the field."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_http_methods

from access.permissions import Action, check_permission, has_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from clusters.models import Cluster
from consumer_groups import selectors as group_selectors
from monitoring.charts import topic_charts
from topics import ops_selectors, services
from topics.forms import (
    DeleteTopicForm,
    PartitionsForm,
    RecordsDeleteForm,
    TopicCreateForm,
    config_changes_from_post,
)


def _cluster(request: HttpRequest, cluster_id: int, action: Action, name: str | None = None) -> Cluster:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    # Creating: the name is not known yet, so a grant on some topic pattern is enough to open the form.
    check_permission(user=request.user, cluster=cluster, action=action, topic=name, any_topic=name is None)
    return cluster


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


@login_required
@require_http_methods(["GET", "POST"])
def topic_create(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.TOPIC_CREATE)
    catalogue = ops_selectors.topic_config_catalogue(user=request.user, cluster=cluster)
    form = TopicCreateForm(request.POST or None, catalogue=catalogue)
    dry_run = request.POST.get("action") == "dry_run"
    context: dict[str, object] = {"cluster": cluster, "form": form, "catalogue": catalogue}
    if request.method == "POST" and form.is_valid():
        try:
            result = services.topic_create(
                user=request.user,
                cluster=cluster,
                name=form.cleaned_data["name"],
                partitions=form.cleaned_data["partitions"],
                replication_factor=form.cleaned_data["replication_factor"],
                configs=form.configs(),
                dry_run=dry_run,
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        except gateway.GatewayError as exc:
            if not dry_run:
                raise
            context["error"] = exc.message
        else:
            if dry_run:
                context["result"] = result
                return render(request, "topics/manage_dry_run.html", context)
            for warning in result.warnings:
                messages.warning(request, warning)
            messages.success(
                request,
                f"Topic '{result.topic.name}' created with {result.topic.partitions} partition(s), "
                f"replication factor {result.topic.replication_factor}.",
            )
            return redirect("topics:detail", cluster_id=cluster.pk, name=result.topic.name)
    if dry_run and _is_htmx(request):
        # htmx swaps only 2xx answers; the fragment itself says the broker refused.
        return render(request, "topics/manage_dry_run.html", context, status=200)
    failed = bool(form.errors or context.get("error"))
    return render(request, "topics/manage_create.html", context, status=400 if failed else 200)


@login_required
def topic_detail(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    detail = ops_selectors.topic_detail(user=request.user, cluster=cluster, name=name)

    def can(action: Action) -> bool:
        return has_permission(user=request.user, cluster=cluster, action=action, topic=name)

    return render(
        request,
        "topics/detail.html",
        {
            "cluster": cluster,
            "detail": detail,
            "topic": detail.live,
            "can_read_messages": can(Action.MESSAGE_READ),
            "can_produce": can(Action.MESSAGE_PRODUCE),
            "can_edit": can(Action.TOPIC_EDIT),
            "can_delete": can(Action.TOPIC_DELETE),
            "can_delete_records": can(Action.RECORDS_DELETE),
            "readers": group_selectors.topic_readers(user=request.user, cluster=cluster, topic=name),
            "charts": topic_charts(cluster, name),
        },
    )


@login_required
@require_http_methods(["GET", "POST"])
def topic_configs(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.TOPIC_EDIT, name)
    current = ops_selectors.topic_configs_get(user=request.user, cluster=cluster, name=name)
    preview = request.POST.get("action") == "preview"
    context: dict[str, object] = {"cluster": cluster, "name": name, "configs": current, "posted": request.POST}
    if request.method == "POST":
        changes = config_changes_from_post(request.POST, current)
        try:
            result = services.topic_configs_update(
                user=request.user, cluster=cluster, name=name, changes=changes, dry_run=preview
            )
        except ValidationError as exc:
            context["error"] = " ".join(exc.messages)
        except gateway.KafkaRejected as exc:
            context["error"] = exc.message
        except gateway.GatewayError as exc:
            if not preview:
                raise
            context["error"] = exc.message
        else:
            if preview:
                context["result"] = result
            else:
                names = ", ".join(c.name for c in result.changes)
                messages.success(request, f"Configs of '{name}' changed: {names}.")
                return redirect("topics:detail", cluster_id=cluster.pk, name=name)
        if preview and _is_htmx(request):
            return render(request, "topics/manage_configs_preview.html", context)
    status = 400 if context.get("error") else 200
    return render(request, "topics/manage_configs.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def topic_partitions(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.TOPIC_EDIT, name)
    current = len(ops_selectors.topic_offsets_get(user=request.user, cluster=cluster, name=name))
    form = PartitionsForm(request.POST or None, initial={"partitions": current + 1})
    dry_run = request.POST.get("action") == "dry_run"
    context: dict[str, object] = {"cluster": cluster, "name": name, "current": current, "form": form}
    if request.method == "POST" and form.is_valid():
        try:
            result = services.topic_partitions_add(
                user=request.user,
                cluster=cluster,
                name=name,
                partitions=form.cleaned_data["partitions"],
                dry_run=dry_run,
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        except gateway.GatewayError as exc:
            if not dry_run:
                raise
            context["error"] = exc.message
        else:
            if not dry_run:
                messages.success(request, f"Topic '{name}' now has {result.after} partitions (was {result.before}).")
                return redirect("topics:detail", cluster_id=cluster.pk, name=name)
            context["result"] = result
    if dry_run and _is_htmx(request):
        return render(request, "topics/manage_partitions_verdict.html", context)
    failed = request.method == "POST" and (form.errors or context.get("error"))
    return render(request, "topics/manage_partitions.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET", "POST"])
def topic_records(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.RECORDS_DELETE, name)
    watermarks = ops_selectors.topic_offsets_get(user=request.user, cluster=cluster, name=name)
    form = RecordsDeleteForm(request.POST or None, watermarks=watermarks)
    purge = request.POST.get("action") == "purge"
    if request.method == "POST" and form.is_valid():
        try:
            result = services.topic_records_delete(
                user=request.user, cluster=cluster, name=name, offsets=form.offsets_given(), purge=purge
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        else:
            what = "All records" if purge else "Records"
            messages.success(
                request,
                f"{what} deleted from '{name}': {result.records_deleted} record(s) "
                f"in {len(result.partitions)} partition(s).",
            )
            return redirect("topics:detail", cluster_id=cluster.pk, name=name)
    context = {"cluster": cluster, "name": name, "form": form}
    return render(request, "topics/manage_records.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def topic_delete(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.TOPIC_DELETE, name)
    form = DeleteTopicForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.topic_delete(user=request.user, cluster=cluster, name=name, confirm=form.cleaned_data["confirm"])
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Topic '{name}' deleted.")
            return redirect("topics:list", cluster_id=cluster.pk)
    groups: gateway.TopicGroups | None = None
    groups_error = ""
    try:
        groups = ops_selectors.topic_groups_get(user=request.user, cluster=cluster, name=name)
    except gateway.KafkaNotFound:
        raise
    except gateway.GatewayError as exc:  # the delete itself may still work; say what we could not check
        groups_error = exc.message
    context = {"cluster": cluster, "name": name, "form": form, "groups": groups, "groups_error": groups_error}
    return render(request, "topics/manage_delete.html", context, status=400 if form.errors else 200)
