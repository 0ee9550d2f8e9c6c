"""The metrics endpoints automation reads (no network: series recorded directly)."""

import time

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clusters.models import Cluster, ClusterStatus
from consumer_groups.models import GroupMeta
from monitoring.series import series_record
from tests.grants import grant
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    cluster = Cluster.objects.create(name="c", bootstrap_servers="h:9092", metrics_urls=["http://b1/metrics"])
    ClusterStatus.objects.create(cluster=cluster, reachable=True)
    return cluster


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


def test_catalog_lists_kinds_with_units(cluster, api):
    body = api.get(f"/api/v1/clusters/{cluster.pk}/metrics/").json()
    kinds = {k["kind"]: k for k in body["kinds"]}
    assert kinds["group.topic_lag"]["unit"] == "messages"
    assert "<topic>@<group id>" in kinds["group.topic_lag"]["description"]
    assert body["ranges"] == ["15m", "1h", "6h", "24h", "7d"]


def test_latest_and_top(cluster, api):
    now = time.time()
    series_record(
        cluster_id=cluster.pk,
        at=now - 10,
        values={("topic.messages_per_s", "a"): 1.0, ("topic.messages_per_s", "b"): 9.0},
    )
    series_record(
        cluster_id=cluster.pk,
        at=now - 5,
        values={("topic.messages_per_s", "a"): 3.0, ("topic.messages_per_s", "b"): 7.0},
    )
    latest = api.get(f"/api/v1/clusters/{cluster.pk}/metrics/latest/?kind=topic.messages_per_s").json()
    assert latest == {"kind": "topic.messages_per_s", "unit": "messages/s", "values": {"a": 3.0, "b": 7.0}}
    top = api.get(f"/api/v1/clusters/{cluster.pk}/metrics/top/?kind=topic.messages_per_s&limit=1").json()
    assert top["top"] == [["b", 8.0]]


@pytest.mark.parametrize(
    ("path", "field"),
    [
        ("metrics/latest/?kind=nope", "kind"),
        ("metrics/top/?kind=topic.messages_per_s&range=2y", "range"),
        ("metrics/top/?kind=topic.messages_per_s&limit=0", "limit"),
        ("polls/?limit=1000", "limit"),
    ],
)
def test_bad_parameters_are_400_naming_the_field(cluster, api, path, field):
    response = api.get(f"/api/v1/clusters/{cluster.pk}/{path}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_dashboard_summarises_topics_groups_and_brokers(cluster, api):
    TopicMeta.objects.create(cluster=cluster, name="busy", messages_per_s=50.0, size_bytes=10)
    TopicMeta.objects.create(cluster=cluster, name="quiet", messages_per_s=0.5)
    TopicMeta.objects.create(cluster=cluster, name="unknown")
    GroupMeta.objects.create(cluster=cluster, group_id="g1", status="OK")
    GroupMeta.objects.create(cluster=cluster, group_id="g2", status="ERR")
    series_record(
        cluster_id=cluster.pk,
        at=time.time(),
        values={("broker.request_handler_idle_ratio", "http://b1/metrics"): 0.2},
    )
    body = api.get(f"/api/v1/clusters/{cluster.pk}/dashboard/").json()
    assert [t["topic"] for t in body["top_topics"]] == ["busy", "quiet"]
    assert body["groups_by_status"] == {"OK": 1, "WARN": 0, "ERR": 1, "UNKNOWN": 0}
    assert body["brokers"][0]["url"] == "http://b1/metrics"
    assert body["brokers"][0]["idle_ratio"] == 0.2
    assert body["reachable"] is True and body["stale_since"] is None


def test_metrics_endpoints_need_a_login_and_a_visible_cluster(cluster, api):
    stranger = _stranger()
    for path in ("metrics/", "metrics/latest/?kind=group.lag", "metrics/top/?kind=group.lag", "dashboard/", "polls/"):
        assert APIClient().get(f"/api/v1/clusters/{cluster.pk}/{path}").status_code == 401
        assert api.get(f"/api/v1/clusters/{cluster.pk + 99}/{path}").status_code == 404
        assert stranger.get(f"/api/v1/clusters/{cluster.pk}/{path}").status_code == 404
