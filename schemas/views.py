"""Schema registry pages under /clusters/<cluster_id>/schemas/ (namespace "schemas"). Thin: the same
selectors and services as the API. A registry that is down or slow shows an error box; the rest of
the page (and the site) keeps working."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_GET, require_http_methods

from access.permissions import Action, check_permission, has_permission
from clusters import selectors as cluster_selectors
from clusters.models import Cluster
from schemas import registry, selectors, services
from schemas.api import parse_version
from schemas.validation import LEVELS, TYPE_LABELS


def _cluster(request: HttpRequest, cluster_id: int, action: Action = Action.SCHEMA_VIEW) -> Cluster:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    check_permission(user=request.user, cluster=cluster, action=action)
    return cluster


def _base(request: HttpRequest, cluster: Cluster) -> dict[str, Any]:
    return {
        "cluster": cluster,
        "can_edit": has_permission(user=request.user, cluster=cluster, action=Action.SCHEMA_EDIT),
        "can_manage_cluster": has_permission(user=request.user, cluster=cluster, action=Action.CLUSTER_MANAGE),
        "configured": bool((cluster.schema_registry_url or "").strip()),
        "levels": LEVELS,
        "types": TYPE_LABELS,
    }


def _field_errors(exc: ValidationError | registry.RegistryRejected) -> dict[str, list[str]]:
    if isinstance(exc, registry.RegistryRejected):
        return {exc.field or "non_field": [exc.message]}
    if hasattr(exc, "error_dict"):
        return {("non_field" if k == "__all__" else k): list(v) for k, v in exc.message_dict.items()}
    return {"non_field": list(exc.messages)}


@login_required
@require_GET
def subject_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id)
    context = _base(request, cluster)
    if context["configured"]:
        try:
            context["page"] = selectors.subject_list(user=request.user, cluster=cluster)
        except registry.RegistryError as exc:
            context["registry_error"] = exc.message
    return render(request, "schemas/list.html", context)


@login_required
@require_GET
def subject_detail(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id)
    context = _base(request, cluster) | {"subject": name}
    try:
        version = parse_version(request.GET.get("version"))
        context["detail"] = selectors.subject_detail(user=request.user, cluster=cluster, subject=name, version=version)
    except ValidationError as exc:
        context["registry_error"] = " ".join(exc.messages)
        return render(request, "schemas/detail.html", context, status=400)
    except registry.RegistryNotFound as exc:
        context["registry_error"] = exc.message
        return render(request, "schemas/detail.html", context, status=404)
    except registry.RegistryError as exc:
        context["registry_error"] = exc.message
    return render(request, "schemas/detail.html", context)


@login_required
@require_GET
def schema_diff(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = _cluster(request, cluster_id)
    context = _base(request, cluster) | {"subject": name}
    try:
        left = parse_version(request.GET.get("left", "1"), "left")
        right = parse_version(request.GET.get("right"), "right")
        context["diff"] = selectors.schema_diff(
            user=request.user, cluster=cluster, subject=name, left=left, right=right
        )
        context["versions"] = selectors.subject_detail(user=request.user, cluster=cluster, subject=name).versions
    except ValidationError as exc:
        context["registry_error"] = " ".join(exc.messages)
        return render(request, "schemas/diff.html", context, status=400)
    except registry.RegistryNotFound as exc:
        context["registry_error"] = exc.message
        return render(request, "schemas/diff.html", context, status=404)
    except registry.RegistryError as exc:
        context["registry_error"] = exc.message
    return render(request, "schemas/diff.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def schema_register(request: HttpRequest, cluster_id: int, name: str | None = None) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.SCHEMA_EDIT)
    context = _base(request, cluster) | {"subject": name, "posted": request.POST}
    if request.method == "GET" and name and context["configured"]:
        try:  # start from the latest version: most new versions are small edits of it
            latest = registry.subject_version(selectors.registry_url(cluster), name)
            context["posted"] = {"schema": latest.schema, "schema_type": latest.schema_type}
            context["latest_version"] = latest.version
        except registry.RegistryError as exc:
            if not isinstance(exc, registry.RegistryNotFound):
                context["registry_error"] = exc.message
    if request.method == "POST":
        dry_run = request.POST.get("action") == "check"
        subject = name if name is not None else request.POST.get("subject", "")
        try:
            result = services.schema_register(
                user=request.user,
                cluster=cluster,
                subject=subject,
                schema=request.POST.get("schema", ""),
                schema_type=request.POST.get("schema_type", "AVRO"),
                dry_run=dry_run,
            )
        except (ValidationError, registry.RegistryRejected) as exc:
            context["errors"] = _field_errors(exc)
        except registry.RegistryError as exc:
            context["registry_error"] = exc.message
            context["incompatible"] = isinstance(exc, registry.RegistryConflict)
        else:
            if dry_run:
                context["check"] = result
            else:
                where = f"version {result.version}" if result.version else "an existing version"
                messages.success(request, f"Registered '{result.subject}' as {where} (schema id {result.schema_id}).")
                return redirect("schemas:detail", cluster_id=cluster.pk, name=result.subject)
        failed = bool(context.get("errors") or context.get("registry_error"))
        status = (409 if context.get("incompatible") else 400) if failed else 200
        return render(request, "schemas/register.html", context, status=status)
    return render(request, "schemas/register.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def compatibility(request: HttpRequest, cluster_id: int, name: str | None = None) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.SCHEMA_EDIT)
    context = _base(request, cluster) | {"subject": name}
    if request.method == "POST":
        try:
            level = services.compatibility_update(
                user=request.user, cluster=cluster, level=request.POST.get("compatibility", ""), subject=name
            )
        except (ValidationError, registry.RegistryRejected) as exc:
            context["errors"] = _field_errors(exc)
        except registry.RegistryError as exc:
            context["registry_error"] = exc.message
        else:
            what = f"of '{name}'" if name else "(global)"
            messages.success(request, f"Compatibility level {what}: {level or 'the global level applies'}.")
            if name:
                return redirect("schemas:detail", cluster_id=cluster.pk, name=name)
            return redirect("schemas:list", cluster_id=cluster.pk)
    if context["configured"]:
        try:
            context["own"], context["global_level"] = selectors.compatibility_levels(
                user=request.user, cluster=cluster, subject=name
            )
        except registry.RegistryError as exc:
            context.setdefault("registry_error", exc.message)
    failed = request.method == "POST"
    return render(request, "schemas/compatibility.html", context, status=400 if failed else 200)


@login_required
@require_http_methods(["GET", "POST"])
def delete(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    """Soft or permanent delete of a subject, or of one version (?version=N); type the subject to confirm."""
    cluster = _cluster(request, cluster_id, Action.SCHEMA_EDIT)
    raw_version = request.POST.get("version") or request.GET.get("version") or ""
    permanent = (request.POST.get("permanent") or request.GET.get("permanent") or "") in ("1", "true", "on")
    context = _base(request, cluster) | {"subject": name, "version": raw_version, "permanent": permanent}
    context["warnings"] = services.subject_delete_warnings(cluster=cluster, subject=name)
    if request.method == "POST":
        if request.POST.get("confirm", "").strip() != name:
            context["errors"] = {"confirm": [f"Type the subject name '{name}' exactly to confirm."]}
            return render(request, "schemas/delete.html", context, status=400)
        try:
            if raw_version:
                version = parse_version(raw_version)
                if not isinstance(version, int):
                    raise ValidationError({"version": "Name the version number to delete."})
                result = services.schema_version_delete(
                    user=request.user, cluster=cluster, subject=name, version=version, permanent=permanent
                )
            else:
                result = services.schema_subject_delete(
                    user=request.user, cluster=cluster, subject=name, permanent=permanent
                )
        except ValidationError as exc:
            context["errors"] = _field_errors(exc)
        except registry.RegistryError as exc:
            context["registry_error"] = exc.message
        else:
            how = "permanently deleted" if permanent else "soft-deleted (a permanent delete can follow)"
            what = f"Version {raw_version} of '{name}'" if raw_version else f"Subject '{name}'"
            messages.success(request, f"{what} {how}.")
            for warning in result.warnings:
                messages.warning(request, warning)
            if not raw_version and permanent:
                return redirect("schemas:list", cluster_id=cluster.pk)
            return redirect("schemas:detail", cluster_id=cluster.pk, name=name)
        return render(request, "schemas/delete.html", context, status=409 if context.get("registry_error") else 400)
    return render(request, "schemas/delete.html", context)
