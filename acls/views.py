"""ACL pages under /clusters/<cluster_id>/acls/: the filtered list, create one ACL, the
wizard, and delete by filter (filter -> preview table -> confirm). Thin: the same
selectors and services as the API; htmx swaps the table, the wizard's and the delete's preview."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_GET, require_http_methods

from access.permissions import Action, has_permission
from acls import selectors, services
from acls.forms import WIZARD_FIELDS, AclCreateForm, AclFilterForm, AclWizardForm, submitted
from acls.validation import filter_params
from clusters import selectors as cluster_selectors
from clusters.gateway.acls import AclBinding
from clusters.gateway.errors import KafkaRejected
from clusters.models import Cluster


def _cluster(request: HttpRequest, cluster_id: int, action: Action) -> Cluster:
    # 404 when not visible, 403 (audited) when not allowed: before anything else happens.
    return cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=action)


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _list_url(cluster: Cluster, **params: str) -> str:
    url = reverse("acls:list", kwargs={"cluster_id": cluster.pk})
    return f"{url}?{urlencode(params)}" if params else url


def binding_delete_query(binding: AclBinding) -> str:
    """The delete page's query for exactly one ACL (the list's per-row link)."""
    return urlencode({**binding.as_dict(), "preview": "1"})


def _created_message(request: HttpRequest, result: services.AclCreateResult) -> None:
    if result.created:
        messages.success(
            request, f"Created {len(result.created)} ACL(s): " + "; ".join(b.describe() for b in result.created) + "."
        )
    if result.existed:
        messages.info(request, "Already there (unchanged): " + "; ".join(b.describe() for b in result.existed) + ".")


@login_required
@require_GET
def acl_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.ACL_VIEW)
    filters = submitted(request.GET)
    form = AclFilterForm(filters or None)
    listing: selectors.AclList | None = None
    try:
        listing = selectors.acl_list(user=request.user, cluster=cluster, filters=filters)
    except ValidationError as exc:
        form.apply_errors(exc)
    context = {
        "cluster": cluster,
        "form": form,
        "listing": listing,
        "filtered": bool(filters),
        "filter_query": urlencode(filter_params(listing.acl_filter)) if listing else "",
        "rows": [(b, binding_delete_query(b)) for b in listing.bindings] if listing else [],
        "can_edit": has_permission(user=request.user, cluster=cluster, action=Action.ACL_EDIT),
        "no_authorizer": listing is not None and not listing.authorizer,
    }
    if _is_htmx(request):
        return render(request, "acls/_table.html", context)  # htmx swaps only 2xx: the fragment shows the error
    return render(request, "acls/list.html", context, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def acl_create(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
    form = AclCreateForm(request.POST or None)
    if request.method == "POST":
        try:
            result = services.acl_create(user=request.user, cluster=cluster, data=submitted(request.POST))
        except ValidationError as exc:
            form.apply_errors(exc)
        except KafkaRejected as exc:
            form.refused(exc)
        else:
            _created_message(request, result)
            return redirect(_list_url(cluster, principal=result.bindings[0].principal))
    return render(request, "acls/create.html", {"cluster": cluster, "form": form}, status=400 if form.errors else 200)


@login_required
@require_http_methods(["GET", "POST"])
def acl_wizard(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
    form = AclWizardForm(request.POST or None, initial={"preset": request.GET.get("preset") or "producer"})
    data = submitted(request.POST, WIZARD_FIELDS)
    context: dict[str, object] = {"cluster": cluster, "form": form}
    if request.method == "POST" and request.POST.get("action") == "preview":
        # Which ACLs the preset stands for: worked out here, nothing is sent to Kafka.
        try:
            context["bindings"] = services.acl_wizard_bindings(
                preset=data.get("preset", ""),
                principal=data.get("principal", ""),
                topic=data.get("topic", ""),
                host=data.get("host", "*"),
                group=data.get("group", ""),
                transactional_id=data.get("transactional_id", ""),
                prefixed=data.get("prefixed", ""),
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        if _is_htmx(request):
            return render(request, "acls/_wizard_preview.html", context)  # htmx swaps only 2xx answers
    elif request.method == "POST":
        try:
            result = services.acl_wizard_apply(user=request.user, cluster=cluster, data=data)
        except ValidationError as exc:
            form.apply_errors(exc)
        except KafkaRejected as exc:
            form.refused(exc)
        else:
            _created_message(request, result)
            return redirect(_list_url(cluster, principal=result.bindings[0].principal))
    return render(request, "acls/wizard.html", context, status=400 if form.errors else 200)


def _preview_context(preview: selectors.AclPreview) -> dict[str, object]:
    return {"preview": preview, "hidden": filter_params(preview.acl_filter)}


@login_required
@require_http_methods(["GET", "POST"])
def acl_delete(request: HttpRequest, cluster_id: int) -> HttpResponse:
    """GET with a filter shows the preview; POST (the previewed filter plus its fingerprint) deletes."""
    cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
    source = request.POST if request.method == "POST" else request.GET
    filters = submitted(source)
    form = AclFilterForm(filters or None)
    context: dict[str, object] = {"cluster": cluster, "form": form}
    status = 200
    if request.method == "POST":
        try:
            result = services.acl_delete(
                user=request.user, cluster=cluster, filters=filters, fingerprint=request.POST.get("fingerprint", "")
            )
        except ValidationError as exc:
            form.apply_errors(exc)
            status = 400
        except services.AclsChanged as exc:
            context |= _preview_context(exc.preview)
            context["changed"] = str(exc)
            status = 409
        except KafkaRejected as exc:
            form.refused(exc)
            status = 400
        else:
            messages.success(
                request,
                f"Deleted {len(result.deleted)} ACL(s): " + "; ".join(b.describe() for b in result.deleted) + ".",
            )
            return redirect(_list_url(cluster))
    elif "preview" in request.GET:
        try:
            context |= _preview_context(
                selectors.acl_delete_preview(user=request.user, cluster=cluster, filters=filters)
            )
        except ValidationError as exc:
            form.apply_errors(exc)
            status = 400
        except KafkaRejected as exc:
            form.refused(exc)
            status = 400
        if _is_htmx(request):
            return render(request, "acls/_delete_preview.html", context)  # htmx swaps only 2xx answers
    return render(request, "acls/delete.html", context, status=status)
