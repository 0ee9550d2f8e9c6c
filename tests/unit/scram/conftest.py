"""Fixtures for SCRAM tests without a network: a cluster nothing listens on, users with
each role, and a tripwire on the SCRAM gateway so a test proves nothing reached Kafka."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clusters.gateway import scram as scram_gateway
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant

PASSWORD = "Vq7-unit-SECRET-pw!9"  # strong enough to pass every rule; must never show up anywhere


@pytest.fixture
def cluster(db):
    # Nothing listens here: a test that reached Kafka would fail loudly (and the tripwire says so first).
    c = Cluster.objects.create(name="offline", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=c)
    return c


@pytest.fixture
def superuser(db):
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")


def _user_with(role, cluster, username):
    user = get_user_model().objects.create_user(username, f"{username}@example.com", f"pw-{username}-123")
    grant(user, cluster, role)
    return user


@pytest.fixture
def viewer(cluster):
    return _user_with("viewer", cluster, "vera")


@pytest.fixture
def operator(cluster):
    return _user_with("operator", cluster, "otto")


@pytest.fixture
def cluster_admin(cluster):
    return _user_with("admin", cluster, "ada")


def client_for(user):
    client = APIClient()
    client.force_authenticate(user)
    return client


@pytest.fixture
def kafka_calls(monkeypatch):
    """Every call that would reach Kafka's SCRAM APIs fails the test and is recorded."""
    calls = []

    def tripwire(name):
        def call(*args, **kwargs):
            calls.append(name)
            raise AssertionError(f"{name} reached Kafka")

        return call

    for name in ("scram_users_describe", "scram_credential_upsert", "scram_credential_delete"):
        monkeypatch.setattr(scram_gateway, name, tripwire(name))
    return calls
