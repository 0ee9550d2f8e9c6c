"""Writing audit events. Services call `audit(...)` around each change, so a change
made through a page, the API or a Celery task is recorded the same way."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from access.models import AuditEvent
from controlplane.request_id import current_client_ip, current_request_id

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

SECRET_KEYS = ("password", "secret", "token", "sasl_jaas")
REDACTED = "********"


def redact(value: Any) -> Any:
    """A copy of a before/after value with every secret-looking field replaced."""
    if isinstance(value, dict):
        return {
            # Only string values are secrets; a flag such as has_password stays readable.
            k: (REDACTED if isinstance(v, str) and v and any(s in str(k).lower() for s in SECRET_KEYS) else redact(v))
            for k, v in value.items()
        }
    if isinstance(value, list):
        return [redact(v) for v in value]
    return value


@dataclass
class PendingEvent:
    before: Any = None
    after: Any = None
    extra: dict[str, Any] = field(default_factory=dict)


def _record(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    cluster: Cluster | None,
    action: str,
    target: str,
    before: Any,
    after: Any,
    result: str,
    error: str = "",
) -> AuditEvent:
    authenticated = user is not None and user.is_authenticated
    token = getattr(user, "signalbox_token", None)  # set by BearerTokenAuthentication
    return AuditEvent.objects.create(
        token_name=f"{token.name} ({token.prefix})"[:130] if token is not None else "",
        user_id=user.pk if authenticated and user is not None else None,
        actor=(user.get_username() if authenticated and user is not None else "anonymous"),
        source_ip=current_client_ip() or None,
        request_id=current_request_id() if current_request_id() != "-" else "",
        cluster=cluster if cluster is not None and cluster.pk else None,
        cluster_name=cluster.name if cluster is not None else "",
        action=action,
        target=target[:500],
        before=redact(before),
        after=redact(after),
        result=result,
        error=error[:4000],
    )


@contextlib.contextmanager
def audit(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    cluster: Cluster | None,
    action: str,
    target: str,
    before: Any = None,
) -> Iterator[PendingEvent]:
    """Record the change made inside the block: `ok` with event.after, or `error`
    with the exception's message (the exception still propagates)."""
    event = PendingEvent(before=before)
    try:
        yield event
    except Exception as exc:
        _record(
            user=user,
            cluster=cluster,
            action=action,
            target=target,
            before=event.before,
            after=None,
            result=AuditEvent.Result.ERROR,
            error=str(exc),
        )
        raise
    _record(
        user=user,
        cluster=cluster,
        action=action,
        target=target,
        before=event.before,
        after=event.after,
        result=AuditEvent.Result.OK,
    )


def audit_denied(
    *,
    user: AbstractBaseUser | AnonymousUser | None,
    cluster: Cluster | None,
    action: str,
    target: str,
    reason: str,
) -> None:
    _record(
        user=user,
        cluster=cluster,
        action=action,
        target=target,
        before=None,
        after=None,
        result=AuditEvent.Result.DENIED,
        error=reason,
    )
