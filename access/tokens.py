"""API tokens: created for a user, shown once, stored as a SHA-256 digest, revocable.

A token reads `sbx_<prefix>_<secret>`; the prefix finds the row, the digest of the whole
string proves it (compared in constant time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING, cast

from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import QuerySet
from django.http import Http404
from django.utils import timezone

from access.audit import audit, audit_denied
from access.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import AnonymousUser
    from django.contrib.auth.models import User as AbstractBaseUser

    AnyUser = AbstractBaseUser | AnonymousUser

TOKEN_PREFIX = "sbx_"  # noqa: S105 - a public marker, not a secret
MAX_LIFETIME_DAYS = 365
EXPIRY_PRESETS_DAYS = (30, 90, 365)
# Importable by path for drf-spectacular's ENUM_NAME_OVERRIDES ("TokenScopeEnum").
SCOPE_CHOICES = ApiToken.Scope.choices
NAME_MAX = 100


class TokenStatus:
    ACTIVE = "active"
    EXPIRED = "expired"
    REVOKED = "revoked"
    CHOICES = (ACTIVE, EXPIRED, REVOKED)


class TokenRejected(Exception):
    """A bearer token that cannot be used; the message says why (never echoes the secret)."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_status(token: ApiToken, *, now: dt.datetime | None = None) -> str:
    """active, expired or revoked (revoked wins: it was a deliberate act)."""
    if token.revoked_at is not None:
        return TokenStatus.REVOKED
    if token.expires_at <= (now or timezone.now()):
        return TokenStatus.EXPIRED
    return TokenStatus.ACTIVE


def _refuse(*, user: AnyUser, action: str, target: str, reason: str) -> None:
    audit_denied(user=user, cluster=None, action=action, target=target, reason=reason)
    raise PermissionDenied(f"You may not do this: {reason}.")


def token_create_check(*, user: AnyUser, name: str = "") -> None:
    """Refuse (403, audited) creating tokens from a request authenticated by a token.

    A token that could mint tokens would let whoever steals it outlive its expiry and its
    revocation (mint a 365-day token, then lose nothing when the stolen one is revoked), and a
    read-only token could mint a read-write one. New tokens therefore need a login session."""
    from access.permissions import token_of

    if not (user.is_authenticated and user.is_active):
        _refuse(user=user, action="token.create", target=name, reason="you are not logged in")
    token = token_of(user)
    if token is not None:
        _refuse(
            user=user,
            action="token.create",
            target=name,
            reason=f"API tokens cannot create tokens (this request used '{token.name}'); "
            "log in to Signalbox and create it on the Tokens page or with a session",
        )


def token_create(*, user: AnyUser, name: str, scope: str, expires_in_days: int) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is never available again.
    Refused (403) when the request itself was authenticated by a token, or nobody is logged in."""
    token_create_check(user=user, name=str(name or "").strip())
    owner = cast("AbstractBaseUser", user)  # token_create_check refused anonymous users
    name = (name or "").strip()
    errors: dict[str, str] = {}
    if not name:
        errors["name"] = "Give the token a name that says what uses it, e.g. 'ci-deploy'."
    elif len(name) > NAME_MAX:
        errors["name"] = f"At most {NAME_MAX} characters."
    if scope not in ApiToken.Scope.values:
        errors["scope"] = f"Must be one of: {', '.join(ApiToken.Scope.values)}."
    if (
        not isinstance(expires_in_days, int)
        or isinstance(expires_in_days, bool)
        or not (1 <= expires_in_days <= MAX_LIFETIME_DAYS)
    ):
        errors["expires_in_days"] = f"A whole number of days from 1 to {MAX_LIFETIME_DAYS}."
    if not errors and ApiToken.objects.filter(user=owner, name=name).exists():
        # Revoked and expired tokens keep their names, so audit entries naming a token stay unambiguous.
        errors["name"] = f"You already have a token named '{name}' (perhaps revoked or expired); pick another name."
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with audit(user=user, cluster=None, action="token.create", target=name) as event:
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=owner,
                    name=name,
                    prefix=prefix,
                    digest=_digest(raw),
                    scope=scope,
                    expires_at=timezone.now() + dt.timedelta(days=expires_in_days),
                )
        except IntegrityError as exc:
            raise ValidationError({"name": f"You already have a token named '{name}'."}) from exc
        event.after = {"name": name, "prefix": prefix, "scope": scope, "expires_at": token.expires_at.isoformat()}
    return token, raw


def token_revoke(*, user: AnyUser, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner or a superuser may. Revoking twice is a no-op.
    A read-only token may not revoke (it is a change); a read-write one may, even itself."""
    from access.permissions import Action, check_permission, token_of

    used = token_of(user)
    if used is not None and used.scope == ApiToken.Scope.READ:
        _refuse(
            user=user,
            action="token.revoke",
            target=token.name,
            reason=f"API token '{used.name}' is read-only; 'token.revoke' needs a read-write token or a login",
        )
    if token.user_id != user.pk:
        check_permission(user=user, cluster=None, action=Action.ROLE_MANAGE)
    if token.revoked_at is not None:
        return token
    with audit(user=user, cluster=None, action="token.revoke", target=token.name, before={"prefix": token.prefix}) as e:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at"])
        e.after = {"prefix": token.prefix, "revoked_at": token.revoked_at.isoformat()}
    return token


def token_authenticate(*, raw: str, client_ip: str | None) -> ApiToken:
    """The live token for a presented secret, recording its use; TokenRejected (audited) otherwise."""
    parts = raw.split("_") if raw.startswith(TOKEN_PREFIX) else []
    token = ApiToken.objects.select_related("user").filter(prefix=parts[1]).first() if len(parts) >= 3 else None
    if token is None or not hmac.compare_digest(token.digest, _digest(raw)):
        reason = "the API token is not valid (mistyped, or deleted)"
        audit_denied(user=None, cluster=None, action="token.use", target="", reason=reason)
        raise TokenRejected(reason)
    now = timezone.now()
    reason = ""
    if token.revoked_at is not None:
        reason = f"API token '{token.name}' was revoked on {token.revoked_at:%Y-%m-%d %H:%M} UTC"
    elif token.expires_at <= now:
        reason = f"API token '{token.name}' expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; create a new one"
    elif not token.user.is_active:
        reason = f"the user of API token '{token.name}' is deactivated"
    if reason:
        audit_denied(user=token.user, cluster=None, action="token.use", target=token.name, reason=reason)
        raise TokenRejected(reason)
    # One write per minute at most, so a busy script does not write a row per request.
    if (
        token.last_used_at is None
        or now - token.last_used_at > dt.timedelta(seconds=60)
        or token.last_used_ip != client_ip
    ):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=client_ip or None)
        token.last_used_at, token.last_used_ip = now, client_ip or None
    return token


def token_list(*, user: AnyUser, username: str | None = None, everyone: bool = False) -> QuerySet[ApiToken]:
    """The user's own tokens; a superuser may ask for another user's (`username`) or everyone's.
    Asking for someone else's without being a superuser is refused (403, audited)."""
    qs = ApiToken.objects.select_related("user").order_by("-created_at", "-id")
    own = user.get_username()
    # A plain superuser test, not ROLE_MANAGE: listing is a read, so a read-only token may do it.
    if (everyone or (username and username != own)) and not getattr(user, "is_superuser", False):
        _refuse(
            user=user,
            action="token.view",
            target=username or "",
            reason="only superusers see other users' API tokens",
        )
    if everyone and not username:
        return qs
    if username and username != own:
        if "\x00" in username or len(username) > 150:
            raise ValidationError({"user": "Not a username (at most 150 characters, no NUL)."})
        owner = get_user_model().objects.filter(**{get_user_model().USERNAME_FIELD: username}).first()
        if owner is None:
            raise ValidationError({"user": f"There is no user named '{username}'."})
        return qs.filter(user=owner)
    return qs.filter(user_id=user.pk) if user.pk is not None else qs.none()


def token_get(*, user: AnyUser, pk: int) -> ApiToken:
    """One token: the user's own, or anyone's for a superuser; 404 otherwise (ids are not secret,
    but whether someone else holds a token is)."""
    # An id past 64 bits cannot exist (and SQLite would overflow on it).
    token = ApiToken.objects.select_related("user").filter(pk=pk).first() if 0 < pk < 2**63 else None
    if token is None or not (token.user_id == user.pk or getattr(user, "is_superuser", False)):
        raise Http404("No such API token.")
    return token
