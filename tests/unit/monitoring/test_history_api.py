"""The metric history endpoint charts load from (no network: series recorded directly)."""

import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clusters.models import Cluster
from monitoring.series import series_record
from tests.grants import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="c", bootstrap_servers="h:9092")


@pytest.fixture
def api(cluster):
    """A viewer of the cluster on the API."""
    user = get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-1")
    grant(user, cluster, "viewer")
    client = APIClient()
    client.force_authenticate(user)
    return client


def _stranger():
    """A logged-in user without any grant."""
    client = APIClient()
    client.force_authenticate(get_user_model().objects.create_user("stranger", "s@example.com", "pw-stranger-1"))
    return client


def test_history_returns_points_with_gaps(cluster, api):
    now = time.time()
    series_record(cluster_id=cluster.pk, at=now - 20, values={("topic.messages_per_s", "orders"): 5.0})
    series_record(cluster_id=cluster.pk, at=now - 15, values={})  # a failed poll
    series_record(cluster_id=cluster.pk, at=now - 10, values={("topic.messages_per_s", "orders"): 7.5})
    url = f"/api/v1/clusters/{cluster.pk}/metrics/history/?kind=topic.messages_per_s&key=orders&key=none&range=15m"
    body = api.get(url).json()
    assert body["unit"] == "messages/s" and body["resolution"] == "raw"
    values = [v for _t, v in body["series"]["orders"]]
    assert values[0] == 5.0 and values[-1] == 7.5 and None in values
    assert body["series"]["none"] == []


@pytest.mark.parametrize(
    ("query", "field"),
    [("kind=bogus", "kind"), ("kind=group.lag&range=2y", "range"), ("kind=group.lag&max_points=1", "max_points")],
)
def test_bad_parameters_are_400_naming_the_field(cluster, api, query, field):
    response = api.get(f"/api/v1/clusters/{cluster.pk}/metrics/history/?{query}")
    assert response.status_code == 400 and field in response.json()["errors"]


def test_unknown_cluster_is_404_and_anonymous_401(cluster, api):
    assert api.get("/api/v1/clusters/999/metrics/history/?kind=group.lag").status_code == 404
    url = f"/api/v1/clusters/{cluster.pk}/metrics/history/?kind=group.lag"
    assert _stranger().get(url).status_code == 404  # a cluster without a grant is as good as missing
    assert APIClient().get(url).status_code == 401
