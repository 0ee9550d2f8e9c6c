"""Pages for roles per cluster, users and teams (superusers), and "my access" (everyone).
Thin: selectors read, services write; both check permission themselves as well."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import update_session_auth_hash
from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, User
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_http_methods, require_POST

from access import selectors_roles as selectors
from access import services_roles as services
from access.forms_roles import (
    GrantCreateForm,
    GrantEditForm,
    MemberAddForm,
    PasswordSetForm,
    TeamForm,
    UserCreateForm,
    UserEditForm,
)
from access.models import Grant, Role
from access.permissions import MIN_ROLE, Action, check_permission
from clusters import selectors as cluster_selectors
from clusters.models import Cluster

# What each action means to a person, for the table that explains the roles.
ACTION_LABELS: dict[Action, str] = {
    Action.CLUSTER_VIEW: "see the cluster and its health",
    Action.BROKER_VIEW: "brokers and their configs",
    Action.TOPIC_VIEW: "topics, partitions and configs",
    Action.GROUP_VIEW: "consumer groups and lag",
    Action.CONNECTOR_VIEW: "connectors",
    Action.SCHEMA_VIEW: "schemas",
    Action.MESSAGE_PRODUCE: "produce messages",
    Action.RECORDS_DELETE: "purge records",
    Action.GROUP_OFFSETS_RESET: "reset consumer offsets",
    Action.CONNECTOR_OPERATE: "pause, resume and restart connectors",
    Action.ACL_VIEW: "see Kafka ACLs",
    Action.TOPIC_CREATE: "create topics",
    Action.TOPIC_EDIT: "change topic configs and partitions",
    Action.TOPIC_DELETE: "delete topics",
    Action.BROKER_CONFIG_EDIT: "change broker configs",
    Action.GROUP_DELETE: "delete consumer groups and their offsets",
    Action.ACL_EDIT: "create and delete Kafka ACLs",
    Action.SCRAM_VIEW: "see SCRAM users",
    Action.SCRAM_EDIT: "create, change and delete SCRAM users",
    Action.CONNECTOR_EDIT: "create, configure and delete connectors",
    Action.SCHEMA_EDIT: "register schemas and change compatibility",
    Action.AUDIT_VIEW: "the cluster's audit trail",
}


def role_table() -> list[dict[str, Any]]:
    """One row per role with what it adds to the role before it, read from the permission rules."""
    rows: list[dict[str, Any]] = []
    for role in Role:
        actions = [a for a, needed in MIN_ROLE.items() if needed == role and a != Action.MESSAGE_READ]
        rows.append(
            {
                "role": role,
                "includes": rows[-1]["role"].label if rows else "",
                "adds": [ACTION_LABELS.get(a, str(a)) for a in actions],
                "reads_default": services.default_read_messages(role),
            }
        )
    return rows


def _is_htmx(request: HttpRequest) -> bool:
    return bool(request.headers.get("HX-Request"))


def _go(request: HttpRequest, url: str) -> HttpResponse:
    """Redirect; an htmx request is told to load the page itself."""
    if _is_htmx(request):
        response = HttpResponse(status=204)
        response["HX-Redirect"] = url
        return response
    return redirect(url)


def _require_manager(request: HttpRequest) -> None:
    check_permission(user=request.user, cluster=None, action=Action.ROLE_MANAGE)


# -- grants of one cluster ---------------------------------------------------------------------


def _managed_cluster(request: HttpRequest, cluster_id: int) -> Cluster:
    return cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.ROLE_MANAGE)


@login_required
@require_http_methods(["GET", "POST"])
def cluster_grant_list(request: HttpRequest, cluster_id: int) -> HttpResponse:
    cluster = _managed_cluster(request, cluster_id)
    # Superusers may do everything anyway, so a grant for one would change nothing.
    users = [u for u in selectors.user_list(user=request.user) if not u.is_superuser]
    teams = list(selectors.team_list(user=request.user))
    form = GrantCreateForm(request.POST or None, users=users, teams=teams)
    if request.method == "POST" and form.is_valid():
        grantee, team = form.holder_objects()
        try:
            grant = services.grant_create(
                user=request.user,
                cluster=cluster,
                grantee=grantee,
                team=team,
                role=form.cleaned_data["role"],
                topic_pattern=form.cleaned_data["topic_pattern"],
                read_messages=form.read_messages_value(),
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Granted: {grant.holder} is {grant.role} on {_scope(grant)}.")
            return redirect("cluster_roles:list", cluster_id=cluster.pk)
    context = {
        "cluster": cluster,
        "grants": list(selectors.grant_list(user=request.user, cluster=cluster)),
        "form": form,
        "roles": role_table(),
        "has_holders": bool(users or teams),
    }
    return render(request, "access/roles/cluster_grants.html", context)


def _scope(grant: Grant) -> str:
    return f"topics '{grant.topic_pattern}'" if grant.topic_pattern else "the whole cluster"


@login_required
@require_http_methods(["GET", "POST"])
def cluster_grant_edit(request: HttpRequest, cluster_id: int, grant_id: int) -> HttpResponse:
    cluster = _managed_cluster(request, cluster_id)
    grant = selectors.grant_get(user=request.user, cluster=cluster, pk=grant_id)
    initial = {"role": grant.role, "topic_pattern": grant.topic_pattern, "read_messages": grant.read_messages}
    form = GrantEditForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            grant = services.grant_update(user=request.user, grant=grant, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if _is_htmx(request):
                return render(request, "access/roles/_grant_row.html", {"cluster": cluster, "grant": grant})
            messages.success(request, f"Saved: {grant.holder} is {grant.role} on {_scope(grant)}.")
            return redirect("cluster_roles:list", cluster_id=cluster.pk)
    template = "access/roles/_grant_edit_row.html" if _is_htmx(request) else "access/roles/grant_edit.html"
    return render(request, template, {"cluster": cluster, "grant": grant, "form": form})


@login_required
def cluster_grant_row(request: HttpRequest, cluster_id: int, grant_id: int) -> HttpResponse:
    """The read-only row of one grant (htmx: cancel an inline edit)."""
    cluster = _managed_cluster(request, cluster_id)
    grant = selectors.grant_get(user=request.user, cluster=cluster, pk=grant_id)
    return render(request, "access/roles/_grant_row.html", {"cluster": cluster, "grant": grant})


@login_required
@require_POST
def cluster_grant_delete(request: HttpRequest, cluster_id: int, grant_id: int) -> HttpResponse:
    cluster = _managed_cluster(request, cluster_id)
    grant = selectors.grant_get(user=request.user, cluster=cluster, pk=grant_id)
    label = f"{grant.holder} ({grant.role} on {_scope(grant)})"
    services.grant_delete(user=request.user, grant=grant)
    if _is_htmx(request):
        return HttpResponse("")  # htmx swaps the row for nothing
    messages.success(request, f"Removed the grant of {label}.")
    return redirect("cluster_roles:list", cluster_id=cluster.pk)


# -- users ---------------------------------------------------------------------------------------


@login_required
def user_list(request: HttpRequest) -> HttpResponse:
    users = list(selectors.user_list(user=request.user))
    return render(request, "access/roles/users.html", {"users": users})


@login_required
@require_http_methods(["GET", "POST"])
def user_create(request: HttpRequest) -> HttpResponse:
    _require_manager(request)
    form = UserCreateForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            account = services.user_create(
                user=request.user,
                username=form.cleaned_data["username"],
                email=form.cleaned_data["email"],
                password=form.cleaned_data["password"],
                is_superuser=form.cleaned_data["is_superuser"],
            )
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            hint = "" if account.is_superuser else " They see no cluster until you grant them a role on one."
            messages.success(request, f"User '{account.username}' created.{hint}")
            return redirect("roles:user-edit", pk=account.pk)
    return render(request, "access/roles/user_create.html", {"form": form})


def _user_page(
    request: HttpRequest,
    account: User,
    form: UserEditForm | None = None,
    password_form: PasswordSetForm | None = None,
) -> HttpResponse:
    initial = {"email": account.email, "is_active": account.is_active, "is_superuser": account.is_superuser}
    is_self = account.pk == request.user.pk
    context = {
        "account": account,
        "form": form or UserEditForm(initial=initial, is_self=is_self),
        "password_form": password_form or PasswordSetForm(),
        "grants": list(selectors.user_grants(user=request.user, account=account)),
        "is_self": is_self,
    }
    return render(request, "access/roles/user_edit.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def user_edit(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.user_get(user=request.user, pk=pk)
    if request.method != "POST":
        return _user_page(request, account)
    form = UserEditForm(request.POST, is_self=account.pk == request.user.pk)
    if form.is_valid():
        try:
            account = services.user_update(user=request.user, account=account, **form.cleaned_data)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"User '{account.username}' saved.")
            return redirect("roles:user-edit", pk=account.pk)
    return _user_page(request, account, form=form)


@login_required
@require_POST
def user_password(request: HttpRequest, pk: int) -> HttpResponse:
    account = selectors.user_get(user=request.user, pk=pk)
    form = PasswordSetForm(request.POST)
    if form.is_valid():
        try:
            account = services.user_update(user=request.user, account=account, password=form.cleaned_data["password"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            if account.pk == request.user.pk:
                update_session_auth_hash(request, account)  # keep the superuser logged in
            messages.success(request, f"New password set for '{account.username}'.")
            return redirect("roles:user-edit", pk=account.pk)
    return _user_page(request, account, password_form=form)


@login_required
@require_POST
def user_active(request: HttpRequest, pk: int) -> HttpResponse:
    """Activate or deactivate from the users list (htmx swaps the row)."""
    account = selectors.user_get(user=request.user, pk=pk)
    error = ""
    try:
        services.user_update(user=request.user, account=account, is_active=request.POST.get("is_active") == "true")
    except ValidationError as exc:
        error = " ".join(exc.messages)
    if not _is_htmx(request):
        if error:
            messages.error(request, error)
        return redirect("roles:users")
    account = selectors.user_get(user=request.user, pk=pk)
    return render(request, "access/roles/_user_row.html", {"u": account, "error": error})


# -- teams ---------------------------------------------------------------------------------------


@login_required
@require_http_methods(["GET", "POST"])
def team_list(request: HttpRequest) -> HttpResponse:
    teams = list(selectors.team_list(user=request.user))
    form = TeamForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            team = services.team_create(user=request.user, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Team '{team.name}' created. Add its members, then grant it a role.")
            return redirect("roles:team-detail", pk=team.pk)
    return render(request, "access/roles/teams.html", {"teams": teams, "form": form})


def _team_page(
    request: HttpRequest,
    team: Group,
    rename_form: TeamForm | None = None,
    member_form: MemberAddForm | None = None,
) -> HttpResponse:
    members = list(team.user_set.order_by("username"))
    member_ids = {m.pk for m in members}
    candidates = [u for u in selectors.user_list(user=request.user) if u.pk not in member_ids]
    context = {
        "team": team,
        "members": members,
        "grants": list(selectors.team_grants(user=request.user, team=team)),
        "rename_form": rename_form or TeamForm(initial={"name": team.name}),
        "member_form": member_form or MemberAddForm(candidates=candidates),
    }
    return render(request, "access/roles/team_detail.html", context)


@login_required
def team_detail(request: HttpRequest, pk: int) -> HttpResponse:
    return _team_page(request, selectors.team_get(user=request.user, pk=pk))


@login_required
@require_POST
def team_rename(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    form = TeamForm(request.POST)
    if form.is_valid():
        try:
            team = services.team_rename(user=request.user, team=team, name=form.cleaned_data["name"])
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"Team renamed to '{team.name}'.")
            return redirect("roles:team-detail", pk=team.pk)
    return _team_page(request, team, rename_form=form)


@login_required
@require_POST
def team_delete(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    name = team.name
    services.team_delete(user=request.user, team=team)
    messages.success(request, f"Team '{name}' deleted with its grants; its members keep their own grants.")
    return _go(request, reverse("roles:teams"))


@login_required
@require_POST
def team_member_add(request: HttpRequest, pk: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    member_ids = set(team.user_set.values_list("pk", flat=True))
    candidates = [u for u in selectors.user_list(user=request.user) if u.pk not in member_ids]
    form = MemberAddForm(request.POST, candidates=candidates)
    if form.is_valid():
        member = form.member()
        try:
            services.team_member_add(user=request.user, team=team, member=member)
        except ValidationError as exc:
            form.apply_errors(exc)
        else:
            messages.success(request, f"'{member.username}' added to team '{team.name}'.")
            return redirect("roles:team-detail", pk=team.pk)
    return _team_page(request, team, member_form=form)


@login_required
@require_POST
def team_member_remove(request: HttpRequest, pk: int, user_id: int) -> HttpResponse:
    team = selectors.team_get(user=request.user, pk=pk)
    member = selectors.user_get(user=request.user, pk=user_id)
    try:
        services.team_member_remove(user=request.user, team=team, member=member)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(request, f"'{member.username}' removed from team '{team.name}'.")
    return redirect("roles:team-detail", pk=team.pk)


# -- my access -----------------------------------------------------------------------------------


@login_required
def my_access(request: HttpRequest) -> HttpResponse:
    """Any logged-in user: their own roles per cluster."""
    rows = selectors.my_access(user=request.user)
    return render(request, "access/roles/me.html", {"rows": rows, "roles": role_table()})
