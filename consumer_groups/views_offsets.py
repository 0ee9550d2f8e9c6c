"""Pages for offset reset (preview via htmx, then apply), group delete (typed-name
confirmation) and deleting a group's offsets of one topic. Thin: the same services
as the API. A group in use is answered with 409 and its members."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods

from access.permissions import Action, check_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from clusters.gateway import KafkaGroupActive
from clusters.models import Cluster
from consumer_groups import services
from consumer_groups.forms import GroupDeleteForm, GroupOffsetsDeleteForm, OffsetResetForm


def _cluster(request: HttpRequest, cluster_id: int, action: Action) -> Cluster:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    # The reset form opens for a grant on some topic pattern; the service checks each topic it changes.
    check_permission(user=request.user, cluster=cluster, action=action, any_topic=True)
    return cluster


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _url(name: str, fallback: str, **kwargs: Any) -> str:
    """The lead's group pages when they exist, else `fallback`."""
    try:
        return reverse(name, kwargs=kwargs)
    except NoReverseMatch:
        return fallback


def _detail_url(cluster: Cluster, group_id: str) -> str:
    here = reverse("consumer_groups:reset", kwargs={"cluster_id": cluster.pk, "group_id": group_id})
    return _url("consumer_groups:detail", here, cluster_id=cluster.pk, group_id=group_id)


def _committed_rows(overview: services.GroupOverview) -> list[tuple[str, int, int, int | None, int | None]]:
    """(topic, partition, committed, earliest, latest) of every committed partition."""
    rows = []
    for (topic, partition), offset in sorted(overview.positions.committed.items()):
        earliest, latest = overview.positions.watermarks.get((topic, partition), (None, None))
        rows.append((topic, partition, offset, earliest, latest))
    return rows


@login_required
@require_http_methods(["GET", "POST"])
def group_offsets_reset(request: HttpRequest, cluster_id: int, group_id: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.GROUP_OFFSETS_RESET)
    initial = {"scope": "topic", "topic": request.GET["topic"]} if request.GET.get("topic") else None
    form = OffsetResetForm(request.POST or None, initial=initial)
    preview = request.POST.get("action") == "preview"
    context: dict[str, Any] = {"cluster": cluster, "group_id": group_id, "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            plan = services.group_offsets_reset(
                user=request.user, cluster=cluster, group_id=group_id, dry_run=preview, **form.request_kwargs()
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
            status = 400
        except KafkaGroupActive as exc:
            context["active"] = exc
            status = 409
        except gateway.GatewayError as exc:
            if not preview:
                raise
            context["error"] = exc.message
            status = 502
        else:
            if preview:
                context["plan"] = plan
            else:
                messages.success(
                    request,
                    f"Offsets of group '{group_id}' reset to {plan.request.strategy}: "
                    f"{plan.changed_count} partition(s) changed.",
                )
                for warning in plan.warnings:
                    messages.warning(request, warning)
                return redirect(_detail_url(cluster, group_id))
    elif request.method == "POST":
        status = 400
    if preview and _is_htmx(request):
        # htmx swaps only 2xx answers; the fragment itself says what was refused.
        return render(request, "consumer_groups/offsets_reset_preview.html", context)
    overview = services.group_overview_get(user=request.user, cluster=cluster, group_id=group_id)
    context["overview"] = overview
    context["committed_rows"] = _committed_rows(overview)
    context["params"] = [form[name] for name in ("topic", "partitions", "timestamp", "offset", "shift")]
    context["detail_url"] = _detail_url(cluster, group_id)
    return render(request, "consumer_groups/offsets_reset.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_delete(request: HttpRequest, cluster_id: int, group_id: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.GROUP_DELETE)
    form = GroupDeleteForm(request.POST or None)
    context: dict[str, Any] = {"cluster": cluster, "group_id": group_id, "form": form}
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = services.group_delete(
                user=request.user, cluster=cluster, group_id=group_id, confirm=form.cleaned_data["confirm"]
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
            status = 400
        except KafkaGroupActive as exc:
            context["active"] = exc
            status = 409
        else:
            messages.success(
                request, f"Consumer group '{group_id}' deleted with its {len(result.offsets)} committed offset(s)."
            )
            fallback = reverse("clusters:detail", kwargs={"pk": cluster.pk})
            return redirect(_url("consumer_groups:list", fallback, cluster_id=cluster.pk))
    context["overview"] = services.group_overview_get(user=request.user, cluster=cluster, group_id=group_id)
    context["detail_url"] = _detail_url(cluster, group_id)
    return render(request, "consumer_groups/offsets_group_delete.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def group_offsets_delete(request: HttpRequest, cluster_id: int, group_id: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.GROUP_DELETE)
    overview = services.group_overview_get(user=request.user, cluster=cluster, group_id=group_id)
    initial = {"topic": request.GET["topic"]} if request.GET.get("topic") else None
    form = GroupOffsetsDeleteForm(request.POST or None, initial=initial, topics=overview.topics)
    context: dict[str, Any] = {
        "cluster": cluster,
        "group_id": group_id,
        "form": form,
        "overview": overview,
        "committed_rows": _committed_rows(overview),
    }
    status = 200
    if request.method == "POST" and form.is_valid():
        try:
            result = services.group_offsets_delete(
                user=request.user, cluster=cluster, group_id=group_id, topic=form.cleaned_data["topic"]
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
            status = 400
        except KafkaGroupActive as exc:
            context["active"] = exc
            status = 409
        else:
            messages.success(
                request,
                f"Committed offsets of group '{group_id}' on topic '{result.topic}' deleted "
                f"({len(result.offsets)} partition(s)).",
            )
            return redirect(_detail_url(cluster, group_id))
    context["detail_url"] = _detail_url(cluster, group_id)
    return render(request, "consumer_groups/offsets_topic_delete.html", context, status=status)
