"""SCRAM user pages: thin; the same services and selectors as the API. Permission is
checked before anything else; change controls are shown only to who may use them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods

from access.permissions import Action, has_permission
from clusters import gateway
from clusters import selectors as cluster_selectors
from scram import selectors, services
from scram.forms import ScramCredentialForm, ScramDeleteForm
from scram.rules import DEFAULT_ITERATIONS, DEFAULT_MECHANISM


@login_required
def scram_user_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_VIEW)
    users = selectors.scram_user_list(user=request.user, cluster=cluster)
    context = {
        "cluster": cluster,
        "users": users,
        "can_edit": has_permission(user=request.user, cluster=cluster, action=Action.SCRAM_EDIT),
        "own_login": selectors.signalbox_login(cluster=cluster),
    }
    return render(request, "scram/list.html", context)


def _credential_form(request: HttpRequest, cluster_id: int, name: str | None) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_EDIT)
    existing = selectors.scram_user_get(user=request.user, cluster=cluster, name=name) if name is not None else None
    initial: dict[str, object] = {"mechanism": DEFAULT_MECHANISM, "iterations": str(DEFAULT_ITERATIONS)}
    if existing is not None and existing.credentials:
        # Changing a password: start from the user's first credential and its iterations.
        first = existing.credentials[0]
        initial = {"mechanism": first.mechanism, "iterations": str(first.iterations)}
    form = ScramCredentialForm(request.POST or None, initial=initial, fixed_user=name)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.scram_credential_set(
                user=request.user,
                cluster=cluster,
                name=form.user_name(),
                mechanism=form.cleaned_data["mechanism"],
                password=form.cleaned_data["password"],
                iterations=form.cleaned_data["iterations"],
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        else:
            verb = "created" if result.created else "changed"
            messages.success(
                request,
                f"{result.mechanism} credential of '{result.user}' {verb} ({result.iterations} iterations). "
                f"Clients log in as User:{result.user}.",
            )
            return redirect("scram:list", cluster_id=cluster.pk)
    context = {"cluster": cluster, "form": form, "name": name, "existing": existing}
    return render(request, "scram/form.html", context, status=400 if form.errors else 200)


@sensitive_post_parameters("password", "password_confirm")
@login_required
@require_http_methods(["GET", "POST"])
def scram_credential_create(request: HttpRequest, cluster_id: int) -> HttpResponse:
    return _credential_form(request, cluster_id, None)


@sensitive_post_parameters("password", "password_confirm")
@login_required
@require_http_methods(["GET", "POST"])
def scram_credential_password(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    return _credential_form(request, cluster_id, name)


@login_required
@require_http_methods(["GET", "POST"])
def scram_credential_delete(request: HttpRequest, cluster_id: int, name: str) -> HttpResponse:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_EDIT)
    current = selectors.scram_user_get(user=request.user, cluster=cluster, name=name)
    form = ScramDeleteForm(request.POST or None, mechanisms=current.mechanisms)
    if request.method == "POST" and form.is_valid():
        try:
            result = services.scram_credential_delete(
                user=request.user,
                cluster=cluster,
                name=name,
                mechanism=form.cleaned_data["mechanism"],
                confirm=form.cleaned_data["confirm"],
            )
        except (ValidationError, gateway.KafkaRejected) as exc:
            form.apply_errors(exc)
        else:
            gone = ", ".join(c.mechanism for c in result.deleted)
            left = (
                f"; it still has {', '.join(c.mechanism for c in result.remaining)}"
                if result.remaining
                else "; it can no longer log in"
            )
            messages.success(request, f"Deleted the {gone} credential of '{name}'{left}.")
            return redirect("scram:list", cluster_id=cluster.pk)
    context = {
        "cluster": cluster,
        "name": name,
        "current": current,
        "form": form,
        "own_login": selectors.signalbox_login(cluster=cluster),
    }
    return render(request, "scram/delete.html", context, status=400 if form.errors else 200)
