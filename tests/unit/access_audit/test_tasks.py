"""Retention: access.tasks.prune_audit deletes events older than AUDIT_RETENTION_DAYS."""

import logging

import pytest

from access.models import AuditEvent
from access.tasks import audit_prune, prune_audit
from tests.unit.access_audit.conftest import ago

pytestmark = pytest.mark.django_db


def _make(event, user, n, **at):
    return [event(user, target=f"{n}-{i}", at=ago(**at)) for i in range(n)]


def test_prune_deletes_only_older_events_and_logs_how_many(root, event, settings, caplog):
    settings.AUDIT_RETENTION_DAYS = 30
    _make(event, root, 12, days=31)
    kept = [*_make(event, root, 3, days=29), event(root)]
    with caplog.at_level(logging.INFO, logger="access.tasks"):
        deleted = prune_audit.apply().get()
    assert deleted == 12
    assert set(AuditEvent.objects.values_list("pk", flat=True)) == {e.pk for e in kept}
    assert "Pruned 12 audit events older than 30 days" in caplog.text


def test_default_retention_is_a_year(root, event, settings):
    if hasattr(settings, "AUDIT_RETENTION_DAYS"):
        del settings.AUDIT_RETENTION_DAYS
    old = event(root, at=ago(days=366))
    young = event(root, at=ago(days=364))
    assert prune_audit() == 1
    assert list(AuditEvent.objects.values_list("pk", flat=True)) == [young.pk]
    assert not AuditEvent.objects.filter(pk=old.pk).exists()


def test_zero_keeps_everything(root, event, settings, caplog):
    settings.AUDIT_RETENTION_DAYS = 0
    event(root, at=ago(days=4000))
    with caplog.at_level(logging.INFO, logger="access.tasks"):
        assert prune_audit() == 0
    assert AuditEvent.objects.count() == 1 and "retention is off" in caplog.text


def test_batches_and_time_budget(root, event):
    from django.utils import timezone

    _make(event, root, 25, days=10)
    assert audit_prune(older_than=timezone.now(), batch_size=10) == 25
    assert not AuditEvent.objects.exists()
    _make(event, root, 5, days=10)
    assert audit_prune(older_than=timezone.now(), batch_size=2, budget_s=0) == 0  # out of time at once
    assert AuditEvent.objects.count() == 5
