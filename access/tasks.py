"""Celery entry points for access: the audit trail's retention."""

from __future__ import annotations

import datetime as dt
import logging
import time

from celery import shared_task
from django.conf import settings
from django.utils import timezone

from access.models import AuditEvent

log = logging.getLogger(__name__)

DEFAULT_RETENTION_DAYS = 365
PRUNE_BATCH = 5000
PRUNE_BUDGET_S = 120.0  # one run stops after this long; the next run deletes the rest


def audit_prune(*, older_than: dt.datetime, batch_size: int = PRUNE_BATCH, budget_s: float = PRUNE_BUDGET_S) -> int:
    """Delete audit events recorded before `older_than`, oldest first, `batch_size` rows per
    statement (short write locks, bounded memory); returns how many were deleted."""
    deadline = time.monotonic() + budget_s
    deleted = 0
    while time.monotonic() < deadline:
        ids = list(
            AuditEvent.objects.filter(at__lt=older_than).order_by("at", "id").values_list("id", flat=True)[:batch_size]
        )
        if not ids:
            break
        deleted += AuditEvent.objects.filter(id__in=ids).delete()[0]
    return deleted


@shared_task(name="access.tasks.prune_audit", ignore_result=True)
def prune_audit() -> int:
    """Delete audit events older than AUDIT_RETENTION_DAYS (0 keeps them forever); logs how many."""
    days = int(getattr(settings, "AUDIT_RETENTION_DAYS", DEFAULT_RETENTION_DAYS))
    if days <= 0:
        log.info("Audit retention is off (AUDIT_RETENTION_DAYS=%s); nothing pruned", days)
        return 0
    cutoff = timezone.now() - dt.timedelta(days=days)
    deleted = audit_prune(older_than=cutoff)
    left = AuditEvent.objects.filter(at__lt=cutoff).exists()
    log.info(
        "Pruned %d audit events older than %d days (before %s)%s",
        deleted,
        days,
        cutoff.isoformat(timespec="seconds"),
        "; more remain for the next run" if left else "",
    )
    return deleted
