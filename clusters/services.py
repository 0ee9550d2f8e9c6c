"""Writes to clusters. Each service checks permission, validates once through the
model, writes its audit event and returns the result."""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from access.audit import audit
from access.permissions import Action, check_permission
from clusters import gateway
from clusters.models import Cluster, ClusterStatus

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

log = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "name",
    "bootstrap_servers",
    "security_protocol",
    "sasl_mechanism",
    "sasl_username",
    "ca_certificate",
    "schema_registry_url",
    "connect_urls",
    "metrics_urls",
    "poll_interval_s",
    "read_only",
    "enabled",
)


def cluster_as_dict(cluster: Cluster) -> dict[str, Any]:
    """A cluster's settings for the audit trail and the API: secrets only as a flag."""
    data = {f: getattr(cluster, f) for f in EDITABLE_FIELDS}
    data["ca_certificate"] = "(set)" if cluster.ca_certificate else ""
    data["has_password"] = cluster.has_password
    return data


def _apply(cluster: Cluster, fields: dict[str, Any], password: str | None) -> None:
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValueError(f"Unknown cluster fields: {sorted(unknown)}")
    for name, value in fields.items():
        setattr(cluster, name, value)
    if password:
        cluster.sasl_password = password


def cluster_build(*, fields: dict[str, Any], password: str | None, base: Cluster | None = None) -> Cluster:
    """An unsaved, validated cluster (for test connection on a form): raises ValidationError."""
    cluster = Cluster() if base is None else Cluster.objects.get(pk=base.pk)
    _apply(cluster, fields, password)
    cluster.full_clean(validate_unique=False)
    return cluster


def cluster_create(*, user: User, fields: dict[str, Any], password: str | None = None) -> Cluster:
    """Register a cluster. Raises ValidationError with field errors; saves nothing then."""
    check_permission(user=user, cluster=None, action=Action.CLUSTER_MANAGE)
    cluster = Cluster()
    _apply(cluster, fields, password)
    cluster.full_clean()
    with transaction.atomic(), audit(user=user, cluster=None, action="cluster.create", target=cluster.name) as event:
        cluster.save()
        ClusterStatus.objects.create(cluster=cluster)
        event.after = cluster_as_dict(cluster)
    log.info("Cluster %s (%s) registered by %s", cluster.name, cluster.pk, user)
    _request_poll(cluster)
    return cluster


def cluster_update(*, user: User, cluster: Cluster, fields: dict[str, Any], password: str | None = None) -> Cluster:
    """Change a cluster's settings; a blank password keeps the stored one."""
    check_permission(user=user, cluster=cluster, action=Action.CLUSTER_MANAGE)
    fresh = Cluster.objects.get(pk=cluster.pk)
    before = cluster_as_dict(fresh)
    _apply(fresh, fields, password)
    fresh.full_clean()
    with (
        transaction.atomic(),
        audit(user=user, cluster=fresh, action="cluster.update", target=fresh.name, before=before) as event,
    ):
        fresh.save()
        event.after = cluster_as_dict(fresh)
    gateway.admins.forget(f"cluster:{fresh.pk}")
    _request_poll(fresh)
    return fresh


def cluster_delete(*, user: User, cluster: Cluster) -> None:
    """Forget a cluster in Signalbox (Kafka itself is untouched)."""
    check_permission(user=user, cluster=cluster, action=Action.CLUSTER_MANAGE)
    before = cluster_as_dict(cluster)
    pk = cluster.pk
    with (
        transaction.atomic(),
        audit(user=user, cluster=cluster, action="cluster.delete", target=cluster.name, before=before),
    ):
        cluster.delete()
    gateway.admins.forget(f"cluster:{pk}")
    _forget_history(pk)


def _forget_history(cluster_id: int) -> None:
    """Drop the cluster's offset history from Redis; a Redis outage only leaves keys to expire."""
    from consumer_groups.history import history_forget_cluster

    try:
        history_forget_cluster(cluster_id=cluster_id)
    except Exception as exc:  # the keys carry a TTL, so they go away on their own
        log.warning("Could not drop the offset history of cluster %s: %s", cluster_id, exc)


def cluster_connection_test(*, user: User, cluster: Cluster) -> gateway.ConnectionReport:
    """Connect with the (possibly unsaved) settings and report what the cluster says.
    Admin-only: it makes the server open connections to an address the user chose."""
    check_permission(user=user, cluster=cluster if cluster.pk else None, action=Action.CLUSTER_MANAGE)
    report = gateway.connection_test(cluster.connection())
    log.info(
        "Connection test of %s: cluster id %s, %d brokers, %.1f ms",
        cluster.name,
        report.cluster_id,
        len(report.brokers),
        report.round_trip_ms,
    )
    return report


def cluster_status_record(
    *, cluster: Cluster, health: gateway.ClusterHealth | None, error: str, duration_ms: float
) -> ClusterStatus:
    """Store the outcome of one health poll. A failed poll keeps the last known values
    and marks them stale through `reachable=False` and `error`."""
    now = timezone.now()
    status, _ = ClusterStatus.objects.get_or_create(cluster=cluster)
    status.checked_at = now
    status.poll_duration_ms = duration_ms
    if health is None:
        status.reachable = False
        status.error = error
    else:
        status.reachable = True
        status.error = ""
        status.last_ok_at = now
        status.kafka_cluster_id = health.cluster_id
        status.controller_id = health.controller_id
        status.broker_count = len(health.brokers)
        status.brokers = [
            {"node_id": b.node_id, "host": b.host, "port": b.port, "rack": b.rack} for b in health.brokers
        ]
        status.topic_count = health.topic_count
        status.partition_count = health.partition_count
        status.under_replicated_partitions = health.under_replicated_partitions
        status.offline_partitions = health.offline_partitions
        status.round_trip_ms = health.round_trip_ms
    status.save()
    return status


def _request_poll(cluster: Cluster) -> None:
    """Ask a worker for a poll right after commit, so the list shows health at once."""

    def send() -> None:
        from monitoring.tasks import poll_cluster

        try:
            poll_cluster.apply_async(args=[cluster.pk], expires=30)
        except Exception as exc:  # Redis down must not fail the save; beat polls anyway
            log.warning("Could not queue a poll of cluster %s: %s", cluster.pk, exc)

    transaction.on_commit(send)
