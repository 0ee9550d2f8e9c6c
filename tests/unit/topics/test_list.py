"""Topic list from the stored snapshot: storing diffs, search, sort, paging, errors."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clusters.gateway import TopicSummary
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant
from topics.models import TopicMeta
from topics.names import collision_key, validate_topic_name
from topics.snapshot import topic_snapshot_store

pytestmark = pytest.mark.django_db


def _summary(name, partitions=1, size=0, internal=False, urp=0):
    return TopicSummary(
        name=name,
        internal=internal,
        partition_count=partitions,
        replication_factor=1,
        size_bytes=size,
        under_replicated=urp,
        offline=0,
    )


@pytest.fixture
def cluster():
    cluster = Cluster.objects.create(name="c", bootstrap_servers="h:9092")
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


@pytest.fixture
def api(cluster):
    """A viewer of the cluster on the API."""
    user = get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-1")
    grant(user, cluster, "viewer")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_snapshot_writes_only_what_changed(cluster):
    first = topic_snapshot_store(cluster=cluster, topics=(_summary("a"), _summary("b"), _summary("c")))
    assert (first.created, first.updated, first.deleted) == (3, 0, 0)
    again = topic_snapshot_store(cluster=cluster, topics=(_summary("a"), _summary("b"), _summary("c")))
    assert again.rows_written == 0 and again.unchanged == 3
    moved = topic_snapshot_store(cluster=cluster, topics=(_summary("a", size=10), _summary("b"), _summary("d")))
    assert (moved.created, moved.updated, moved.deleted) == (1, 1, 1)
    assert sorted(TopicMeta.objects.values_list("name", flat=True)) == ["a", "b", "d"]
    assert TopicMeta.objects.get(name="a").size_bytes == 10


def _load(cluster):
    topic_snapshot_store(
        cluster=cluster,
        topics=(
            _summary("orders", partitions=6, size=500),
            _summary("orders.dlq", partitions=1, size=5),
            _summary("payments", partitions=3, size=None),
            _summary("clicks", partitions=12, size=9000, urp=2),
            _summary("__consumer_offsets", partitions=50, size=100, internal=True),
        ),
    )


def test_list_searches_sorts_pages_and_hides_internal(cluster, api):
    _load(cluster)
    names = lambda r: [t["name"] for t in r.json()["results"]]  # noqa: E731
    assert names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/")) == ["clicks", "orders", "orders.dlq", "payments"]
    assert "__consumer_offsets" in names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/?internal=true"))
    assert names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/?search=ORD")) == ["orders", "orders.dlq"]
    # Unknown sizes sort last whichever the direction.
    assert names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/?sort=-size")) == [
        "clicks",
        "orders",
        "orders.dlq",
        "payments",
    ]
    assert names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/?sort=size")) == [
        "orders.dlq",
        "orders",
        "clicks",
        "payments",
    ]
    assert names(api.get(f"/api/v1/clusters/{cluster.pk}/topics/?sort=-partitions&limit=2")) == ["clicks", "orders"]
    page2 = api.get(f"/api/v1/clusters/{cluster.pk}/topics/?sort=-partitions&limit=2&offset=2").json()
    assert [t["name"] for t in page2["results"]] == ["payments", "orders.dlq"] and page2["count"] == 4
    assert (
        api.get(f"/api/v1/clusters/{cluster.pk}/topics/?sort=-under_replicated").json()["results"][0][
            "under_replicated"
        ]
        == 2
    )


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ("sort=bogus", "sort"),
        ("limit=0", "limit"),
        ("limit=abc", "limit"),
        ("offset=-1", "offset"),
        ("search=" + "x" * 300, "search"),
    ],
)
def test_bad_list_parameters_are_400_naming_the_field(cluster, api, query, field):
    response = api.get(f"/api/v1/clusters/{cluster.pk}/topics/?{query}")
    assert response.status_code == 400
    assert field in response.json()["errors"]


def test_page_shows_rows_empty_state_and_errors(cluster, client):
    user = get_user_model().objects.create_user("v", "v@example.com", "pw-viewer-1")
    client.force_login(user)
    assert client.get(f"/clusters/{cluster.pk}/topics/").status_code == 404  # no grant: no such cluster
    grant(user, cluster, "viewer")
    empty = client.get(f"/clusters/{cluster.pk}/topics/").content.decode()
    assert "No snapshot yet" in empty
    _load(cluster)
    body = client.get(f"/clusters/{cluster.pk}/topics/?search=pay").content.decode()
    assert 'data-topic="payments"' in body and 'data-topic="orders"' not in body
    none = client.get(f"/clusters/{cluster.pk}/topics/?search=zzz").content.decode()
    assert "No topic matches" in none
    bad = client.get(f"/clusters/{cluster.pk}/topics/?sort=nope")
    assert bad.status_code == 400 and "Unknown sort" in bad.content.decode()
    partial = client.get(f"/clusters/{cluster.pk}/topics/?sort=-size", HTTP_HX_REQUEST="true").content.decode()
    assert "<html" not in partial and partial.index('data-topic="clicks"') < partial.index('data-topic="orders"')


def test_other_clusters_topics_do_not_leak(cluster, api):
    other = Cluster.objects.create(name="other", bootstrap_servers="h:9093")
    topic_snapshot_store(cluster=other, topics=(_summary("secret-topic"),))
    _load(cluster)
    assert "secret-topic" not in api.get(f"/api/v1/clusters/{cluster.pk}/topics/?search=secret").content.decode()
    assert api.get("/api/v1/clusters/999/topics/").status_code == 404
    assert api.get(f"/api/v1/clusters/{other.pk}/topics/").status_code == 404  # no grant on the other cluster


@pytest.mark.parametrize(
    ("name", "fragment"),
    [("", "empty"), (".", '"." or ".."'), ("..", '"." or ".."'), ("a" * 250, "at most 249"), ("bad name!", "' '")],
)
def test_topic_name_rules(name, fragment):
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError) as info:
        validate_topic_name(name)
    assert fragment in info.value.messages[0]


def test_collision_key_treats_dot_and_underscore_alike():
    assert collision_key("a.b_c") == collision_key("a_b.c")
    validate_topic_name("ok.name_with-dashes.123")
