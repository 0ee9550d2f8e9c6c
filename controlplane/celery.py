"""The Celery app: Redis as broker; the beat schedule is static and lives here."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "controlplane.settings")

app = Celery("signalbox")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# One dispatcher tick fans out one poll per due cluster; each poll takes a per-cluster
# Redis lock and carries `expires`, so an outage or a second beat never piles polls up.
app.conf.beat_schedule = {
    # Audit retention (AUDIT_RETENTION_DAYS): batched deletes, at most ~2 minutes per run.
    "prune-audit-trail": {
        "task": "access.tasks.prune_audit",
        "schedule": 3600.0,
        "options": {"expires": 3600},
    },
    "dispatch-cluster-polls": {
        "task": "monitoring.tasks.dispatch_polls",
        "schedule": 1.0,
        "options": {"expires": 5},
    },
    # The metric journal moves into blocks here, not inside polls; per-cluster lock, bounded work.
    "compact-metric-history": {
        "task": "monitoring.tasks.compact_history",
        "schedule": 30.0,
        "options": {"expires": 30},
    },
    # Bounded housekeeping of the metric history (retention and 1-minute roll-ups).
    "prune-metric-history": {
        "task": "monitoring.tasks.prune_history",
        "schedule": 300.0,
        "options": {"expires": 300},
    },
}
