"""Roles, users and teams without a network: users, teams and clusters written directly."""

import pytest
from django.contrib.auth.models import Group, User
from rest_framework.test import APIClient

from clusters.models import Cluster, ClusterStatus

STRONG = "Correct-Horse-42-battery"


@pytest.fixture
def alice(db):
    return User.objects.create_user("alice", "alice@example.com", "pw-alice-123")


@pytest.fixture
def bob(db):
    return User.objects.create_user("bob", "bob@example.com", "pw-bob-123")


@pytest.fixture
def ops(db):
    return Group.objects.create(name="ops")


@pytest.fixture
def prod(db):
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="kafka-1:9092")
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


@pytest.fixture
def root_api(root):
    client = APIClient()
    client.force_authenticate(root)
    return client


@pytest.fixture
def alice_api(alice):
    client = APIClient()
    client.force_authenticate(alice)
    return client


@pytest.fixture
def root_web(client, root):
    client.force_login(root)
    return client
