"""Boards without a network: users, clusters and snapshot rows written directly."""

import pytest
from django.contrib.auth import get_user_model

from access.models import Grant
from clusters.models import Cluster, ClusterStatus
from consumer_groups.models import GroupMeta
from tests.grants import grant
from topics.models import TopicMeta


@pytest.fixture
def alice(db):
    return get_user_model().objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def bob(db):
    return get_user_model().objects.create_user("bob", "bob@example.com", "pw-bob-123")


@pytest.fixture
def prod(db, alice, bob):
    """A cluster alice and bob may see: boards only show items on clusters their viewer has a grant on."""
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="kafka-1:9092")
    ClusterStatus.objects.create(cluster=cluster)
    grant(alice, cluster, "viewer")
    grant(bob, cluster, "viewer")
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
    """A second cluster on which no test user holds a grant: invisible to everyone but superusers."""
    cluster = Cluster.objects.create(name="secret-cluster", bootstrap_servers="kafka-9:9092")
    ClusterStatus.objects.create(cluster=cluster)
    GroupMeta.objects.create(cluster=cluster, group_id="hidden-group", total_lag=1, status="OK")
    return cluster


@pytest.fixture
def hide_secret(secret):
    """The secret cluster as non-superusers meet it: nobody holds a grant on it, so only
    superusers see it (the real rule of `clusters_visible`, no stand-in)."""
    assert not Grant.objects.filter(cluster=secret).exists()
    return secret
