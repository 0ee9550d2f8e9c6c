"""API tokens: created for a user, shown once, stored as a SHA-256 digest, revocable.

A token reads `sbx_<prefix>_<secret>`; the prefix finds the row, the digest of the whole
string proves it (compared in constant time)."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from typing import TYPE_CHECKING

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone

from access.audit import audit, audit_denied
from access.models import ApiToken

if TYPE_CHECKING:
    from django.contrib.auth.models import User as AbstractBaseUser

TOKEN_PREFIX = "sbx_"  # noqa: S105 - a public marker, not a secret
MAX_LIFETIME_DAYS = 365
NAME_MAX = 100


class TokenRejected(Exception):
    """A bearer token that cannot be used; the message says why (never echoes the secret)."""


def _digest(raw: str) -> str:
    return hashlib.sha256(raw.encode()).hexdigest()


def token_create(*, user: AbstractBaseUser, name: str, scope: str, expires_in_days: int) -> tuple[ApiToken, str]:
    """Create a token for `user`; returns the row and the secret, which is never available again."""
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
    if not errors and ApiToken.objects.filter(user=user, name=name).exists():
        errors["name"] = f"You already have a token named '{name}'; revoke it or pick another name."
    if errors:
        raise ValidationError(errors)
    prefix = secrets.token_hex(4)
    raw = f"{TOKEN_PREFIX}{prefix}_{secrets.token_urlsafe(32)}"
    with audit(user=user, cluster=None, action="token.create", target=name) as event:
        try:
            with transaction.atomic():
                token = ApiToken.objects.create(
                    user=user,
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


def token_revoke(*, user: AbstractBaseUser, token: ApiToken) -> ApiToken:
    """Revoke a token: its owner or a superuser may. Revoking twice is a no-op."""
    from access.permissions import Action, check_permission

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
