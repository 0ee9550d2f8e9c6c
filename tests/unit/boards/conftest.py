"""Boards without a network: users, clusters and snapshot rows written directly."""

import pytest
from django.contrib.auth import get_user_model

from clusters.models import Cluster, ClusterStatus
from consumer_groups.models import GroupMeta
from topics.models import TopicMeta


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw-bob-123")


@pytest.fixture
def prod(db):
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="kafka-1:9092")
    ClusterStatus.objects.create(cluster=cluster)
    GroupMeta.objects.create(
        cluster=cluster,
        group_id="payments-ledger",
        topics=["payments"],
        total_lag=42,
        max_lag_seconds=75.0,
        status="WARN",
    )
    GroupMeta.objects.create(cluster=cluster, group_id="orders-service", topics=["orders"], total_lag=0, status="OK")
    TopicMeta.objects.create(cluster=cluster, name="payments", partition_count=3, messages_per_s=12.5)
    return cluster


@pytest.fixture
def secret(db):
    """A second cluster, which `hide_secret` makes invisible to everyone but superusers."""
    cluster = Cluster.objects.create(name="secret-cluster", bootstrap_servers="kafka-9:9092")
    ClusterStatus.objects.create(cluster=cluster)
    GroupMeta.objects.create(cluster=cluster, group_id="hidden-group", total_lag=1, status="OK")
    return cluster


@pytest.fixture
def hide_secret(monkeypatch, secret):
    """Per-cluster roles do not exist yet (every logged-in user sees every cluster), so
    narrow `clusters_visible` the way they will: non-superusers lose the secret cluster."""
    from access import permissions

    real = permissions.clusters_visible

    def visible(*, user):
        qs = real(user=user)
        return qs if getattr(user, "is_superuser", False) else qs.exclude(pk=secret.pk)

    monkeypatch.setattr("boards.selectors.clusters_visible", visible)
    return secret
