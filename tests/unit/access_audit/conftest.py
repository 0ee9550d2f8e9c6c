"""Users, clusters and audit events for the audit trail tests (no network)."""

import datetime as dt

import pytest
from django.utils import timezone

from access.models import AuditEvent
from clusters.models import Cluster
from tests.grants import grant


@pytest.fixture
def ann(django_user_model):
    """Admin of cluster `prod` only."""
    return django_user_model.objects.create_user("ann", "ann@example.com", "ann-pass-123")


@pytest.fixture
def olly(django_user_model):
    """Operator on `prod` (no AUDIT_VIEW)."""
    return django_user_model.objects.create_user("olly", "olly@example.com", "olly-pass-123")


@pytest.fixture
def prod(db):
    return Cluster.objects.create(name="prod", bootstrap_servers="kafka-prod:9092")


@pytest.fixture
def stage(db):
    return Cluster.objects.create(name="stage", bootstrap_servers="kafka-stage:9092")


@pytest.fixture
def roles(ann, olly, prod, stage):
    grant(ann, prod, "admin")
    grant(ann, stage, "viewer")
    grant(olly, prod, "operator")


@pytest.fixture
def event():
    """event(actor_user_or_None, action, cluster=None, at=None, **fields) -> AuditEvent at a chosen time."""

    def make(user, action="topic.create", cluster=None, at=None, **fields):
        values = {
            "user": user,
            "actor": user.get_username() if user is not None else "anonymous",
            "cluster": cluster,
            "cluster_name": cluster.name if cluster is not None else "",
            "action": action,
            "target": "orders",
            "result": AuditEvent.Result.OK,
            **fields,
        }
        row = AuditEvent.objects.create(**values)
        if at is not None:
            AuditEvent.objects.filter(pk=row.pk).update(at=at)
            row.refresh_from_db()
        return row

    return make


def ago(**kwargs) -> dt.datetime:
    return timezone.now() - dt.timedelta(**kwargs)
