"""Writes to roles, users and teams: superusers only. Each service checks ROLE_MANAGE first,
validates once (ValidationError naming the field), and records an audit event.
Passwords never reach the audit trail or a response."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from django.contrib.auth.models import Group, User
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction

from access.audit import audit
from access.models import Grant, Role
from access.permissions import Action, check_permission

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    Actor = AbstractBaseUser | AnonymousUser

PATTERN_MAX = 249
# Kafka's topic-name characters plus the glob characters fnmatch understands.
PATTERN_RE = re.compile(r"[A-Za-z0-9._\-*?\[\]!]*")
TEAM_NAME_MAX = 150


def default_read_messages(role: str) -> bool:
    """Operators and admins read payloads unless told otherwise; viewers see metadata only."""
    return role in (Role.OPERATOR, Role.ADMIN)


def topic_pattern_error(pattern: str) -> str | None:
    """Why a topic glob is not acceptable, or None when it is ('' means the whole cluster)."""
    if len(pattern) > PATTERN_MAX:
        return f"At most {PATTERN_MAX} characters (Kafka's limit for topic names); this one has {len(pattern)}."
    if not PATTERN_RE.fullmatch(pattern):
        bad = "".join(sorted({c for c in pattern if not PATTERN_RE.fullmatch(c)}))
        return (
            f"'{bad}' cannot appear in a topic pattern: use letters, digits, '.', '_', '-' and the glob "
            "characters * ? [ ] ! (e.g. payments.*)."
        )
    last_open = pattern.rfind("[")
    if last_open != -1 and "]" not in pattern[last_open + 1 :]:
        return "A '[' starts a set of characters that is never closed with ']' (e.g. orders-[ab])."
    return None


def grant_as_dict(grant: Grant) -> dict[str, Any]:
    """A grant as the audit trail records it."""
    return {
        "cluster": grant.cluster.name,
        "user": grant.user.get_username() if grant.user_id and grant.user else None,
        "team": grant.team.name if grant.team_id and grant.team else None,
        "role": grant.role,
        "topic_pattern": grant.topic_pattern,
        "read_messages": grant.read_messages,
    }


def user_as_dict(account: User) -> dict[str, Any]:
    """A user as the audit trail records it: never the password or its hash."""
    return {
        "username": account.get_username(),
        "email": account.email,
        "is_active": account.is_active,
        "is_superuser": account.is_superuser,
        "teams": sorted(account.groups.values_list("name", flat=True)) if account.pk else [],
    }


def team_as_dict(team: Group) -> dict[str, Any]:
    """A team as the audit trail records it."""
    return {
        "name": team.name,
        "members": sorted(team.user_set.values_list("username", flat=True)) if team.pk else [],
    }


def _holder(grant: Grant, quote: str = "") -> str:
    if grant.team is not None:
        return f"team {quote}{grant.team.name}{quote}"
    if grant.user is not None:
        return f"user {quote}{grant.user.get_username()}{quote}"
    return "nobody"


def _grant_target(grant: Grant) -> str:
    holder = _holder(grant)
    return f"{holder} on topics {grant.topic_pattern}" if grant.topic_pattern else holder


def _duplicate_error(grant: Grant) -> str | None:
    """The message for a grant that repeats another one's holder, cluster and pattern."""
    same = Grant.objects.filter(cluster_id=grant.cluster_id, topic_pattern=grant.topic_pattern)
    same = same.filter(team=grant.team) if grant.team is not None else same.filter(user=grant.user)
    if grant.pk:
        same = same.exclude(pk=grant.pk)
    existing = same.first()
    if existing is None:
        return None
    scope = f"topics '{grant.topic_pattern}'" if grant.topic_pattern else "the whole cluster"
    holder = _holder(grant, quote="'")
    holder = holder[:1].upper() + holder[1:]
    return (
        f"{holder} already has a grant ({existing.role}) on {scope} of cluster '{grant.cluster.name}'; "
        "edit that grant instead of adding another."
    )


def _validate_grant(grant: Grant) -> None:
    errors: dict[str, str] = {}
    if grant.role not in Role.values:
        errors["role"] = f"'{grant.role}' is not a role; choose one of: {', '.join(Role.values)}."
    pattern_error = topic_pattern_error(grant.topic_pattern)
    if pattern_error:
        errors["topic_pattern"] = pattern_error
    if not errors:
        duplicate = _duplicate_error(grant)
        if duplicate:
            errors["topic_pattern"] = duplicate
    if errors:
        raise ValidationError(errors)


def _save_grant(grant: Grant) -> None:
    try:
        with transaction.atomic():
            grant.save()
    except IntegrityError:  # a concurrent request added the same grant between check and save
        raise ValidationError({"topic_pattern": _duplicate_error(grant) or "This grant already exists."})


def grant_create(
    *,
    user: Actor,
    cluster: Cluster,
    role: str,
    grantee: User | None = None,
    team: Group | None = None,
    topic_pattern: str = "",
    read_messages: bool | None = None,
) -> Grant:
    """Give `grantee` (a user) or `team` a role on `cluster`, optionally only on topics matching
    `topic_pattern`. `read_messages` None means: yes for operator and admin, no for viewer."""
    check_permission(user=user, cluster=cluster, action=Action.ROLE_MANAGE)
    if grantee is not None and team is not None:
        raise ValidationError({"team": "A grant goes to a user or to a team, not both; leave one empty."})
    if grantee is None and team is None:
        raise ValidationError({"user": "Choose the user or the team this grant is for."})
    pattern = (topic_pattern or "").strip()
    grant = Grant(
        cluster=cluster,
        user=grantee,
        team=team,
        role=role,
        topic_pattern=pattern,
        read_messages=default_read_messages(role) if read_messages is None else bool(read_messages),
        created_by=user if isinstance(user, User) else None,
    )
    _validate_grant(grant)
    with audit(user=user, cluster=cluster, action="grant.create", target=_grant_target(grant)) as event:
        _save_grant(grant)
        event.after = grant_as_dict(grant)
    return grant


def grant_update(
    *,
    user: Actor,
    grant: Grant,
    role: str | None = None,
    topic_pattern: str | None = None,
    read_messages: bool | None = None,
) -> Grant:
    """Change a grant's role, topic pattern or read-messages flag (None keeps the current value).
    The holder and the cluster stay: remove the grant and add another to change those."""
    cluster = grant.cluster
    check_permission(user=user, cluster=cluster, action=Action.ROLE_MANAGE)
    fresh = Grant.objects.select_related("cluster", "user", "team").get(pk=grant.pk)
    before = grant_as_dict(fresh)
    if role is not None:
        fresh.role = role
    if topic_pattern is not None:
        fresh.topic_pattern = topic_pattern.strip()
    if read_messages is not None:
        fresh.read_messages = bool(read_messages)
    _validate_grant(fresh)
    with audit(user=user, cluster=cluster, action="grant.update", target=_grant_target(fresh), before=before) as event:
        _save_grant(fresh)
        event.after = grant_as_dict(fresh)
    return fresh


def grant_delete(*, user: Actor, grant: Grant) -> None:
    """Remove a grant; without another grant the holder no longer sees the cluster."""
    cluster = grant.cluster
    check_permission(user=user, cluster=cluster, action=Action.ROLE_MANAGE)
    before = grant_as_dict(grant)
    with audit(user=user, cluster=cluster, action="grant.delete", target=_grant_target(grant), before=before):
        grant.delete()


def _password_errors(password: str | None, account: User) -> list[str]:
    if not password:
        return ["Set a password (the login page asks for it)."]
    try:
        validate_password(password, user=account)
    except ValidationError as exc:
        return list(exc.messages)
    return []


def user_create(*, user: Actor, username: str, password: str, email: str = "", is_superuser: bool = False) -> User:
    """Add a Signalbox login. The password must pass Django's password validators; a new user
    sees no cluster until a superuser grants a role (or makes them a superuser)."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    account = User(username=(username or "").strip(), email=(email or "").strip(), is_superuser=bool(is_superuser))
    errors: dict[str, list[str]] = {}
    try:
        account.full_clean(exclude=["password", "last_login", "date_joined"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    password_errors = _password_errors(password, account)
    if password_errors:
        errors["password"] = password_errors
    if errors:
        raise ValidationError(errors)
    with audit(user=user, cluster=None, action="user.create", target=account.username) as event:
        account.set_password(password)
        try:
            with transaction.atomic():
                account.save()
        except IntegrityError:
            raise ValidationError({"username": f"A user named '{account.username}' already exists."})
        event.after = user_as_dict(account)
    return account


def user_update(
    *,
    user: Actor,
    account: User,
    email: str | None = None,
    is_active: bool | None = None,
    is_superuser: bool | None = None,
    password: str | None = None,
) -> User:
    """Change a user's email, active and superuser flags, or set a new password (None keeps a value).
    A superuser cannot take away their own superuser flag or deactivate themselves."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    fresh = User.objects.get(pk=account.pk)
    before = user_as_dict(fresh)
    errors: dict[str, list[str]] = {}
    is_self = fresh.pk == getattr(user, "pk", None)
    if is_self and is_superuser is False and fresh.is_superuser:
        errors["is_superuser"] = [
            "You cannot remove your own superuser flag: another superuser has to do it, "
            "so Signalbox never ends up without one."
        ]
    if is_self and is_active is False:
        errors["is_active"] = ["You cannot deactivate yourself; ask another superuser."]
    if email is not None:
        fresh.email = email.strip()
    if is_active is not None:
        fresh.is_active = bool(is_active)
    if is_superuser is not None:
        fresh.is_superuser = bool(is_superuser)
    try:
        fresh.full_clean(exclude=["password", "last_login", "date_joined", "username"])
    except ValidationError as exc:
        errors.update(exc.message_dict)
    if password is not None:
        password_errors = _password_errors(password, fresh)
        if password_errors:
            errors["password"] = password_errors
    if errors:
        raise ValidationError(errors)
    with audit(user=user, cluster=None, action="user.update", target=fresh.username, before=before) as event:
        if password is not None:
            fresh.set_password(password)
        fresh.save()
        after = user_as_dict(fresh)
        if password is not None:
            after["password_changed"] = True  # a flag, never the value
        event.after = after
    return fresh


def _team_name_errors(name: str, team: Group | None = None) -> dict[str, str]:
    if not name:
        return {"name": "Give the team a name, e.g. 'payments-oncall'."}
    if len(name) > TEAM_NAME_MAX:
        return {"name": f"At most {TEAM_NAME_MAX} characters."}
    clash = Group.objects.filter(name__iexact=name)
    if team is not None:
        clash = clash.exclude(pk=team.pk)
    if clash.exists():
        return {"name": f"A team named '{name}' already exists; pick another name."}
    return {}


def _save_team(team: Group) -> None:
    try:
        with transaction.atomic():
            team.save()
    except IntegrityError:
        raise ValidationError({"name": f"A team named '{team.name}' already exists; pick another name."})


def team_create(*, user: Actor, name: str) -> Group:
    """Add a team: grants given to it apply to all its members."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    name = (name or "").strip()
    errors = _team_name_errors(name)
    if errors:
        raise ValidationError(errors)
    team = Group(name=name)
    with audit(user=user, cluster=None, action="team.create", target=name) as event:
        _save_team(team)
        event.after = team_as_dict(team)
    return team


def team_rename(*, user: Actor, team: Group, name: str) -> Group:
    """Give a team a new name; its members and grants stay."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    name = (name or "").strip()
    errors = _team_name_errors(name, team)
    if errors:
        raise ValidationError(errors)
    fresh = Group.objects.get(pk=team.pk)
    before = team_as_dict(fresh)
    with audit(user=user, cluster=None, action="team.update", target=name, before=before) as event:
        fresh.name = name
        _save_team(fresh)
        event.after = team_as_dict(fresh)
    return fresh


def team_delete(*, user: Actor, team: Group) -> None:
    """Delete a team and its grants; its members keep their own grants."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    before = team_as_dict(team)
    before["grants"] = [grant_as_dict(g) for g in Grant.objects.filter(team=team).select_related("cluster", "team")]
    with transaction.atomic(), audit(user=user, cluster=None, action="team.delete", target=team.name, before=before):
        team.delete()


def team_member_add(*, user: Actor, team: Group, member: User) -> Group:
    """Put a user in a team: they gain the team's grants at once."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    if team.user_set.filter(pk=member.pk).exists():
        raise ValidationError({"user": f"'{member.get_username()}' is already a member of team '{team.name}'."})
    before = team_as_dict(team)
    with audit(user=user, cluster=None, action="team.update", target=team.name, before=before) as event:
        team.user_set.add(member)
        event.after = team_as_dict(team)
    return team


def team_member_remove(*, user: Actor, team: Group, member: User) -> Group:
    """Take a user out of a team: they lose the team's grants at once."""
    check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    if not team.user_set.filter(pk=member.pk).exists():
        raise ValidationError({"user": f"'{member.get_username()}' is not a member of team '{team.name}'."})
    before = team_as_dict(team)
    with audit(user=user, cluster=None, action="team.update", target=team.name, before=before) as event:
        team.user_set.remove(member)
        event.after = team_as_dict(team)
    return team
