"""Consumer groups from a snapshot: rows per group, storing only changes, the list
and detail API and pages, and the topic page's readers (no network)."""

import pytest
from django.contrib.auth import get_user_model
from rest_framework.test import APIClient

from clusters.gateway import GroupDescription, GroupMember, LagSnapshot, RequestCount
from clusters.gateway.groups import GroupOffsets
from clusters.models import Cluster, ClusterStatus
from consumer_groups.evaluate import Evaluation
from consumer_groups.models import GroupMeta
from consumer_groups.selectors import topic_readers
from consumer_groups.snapshot import group_rows, group_snapshot_store
from tests.grants import grant

pytestmark = pytest.mark.django_db


def _lag(**groups):
    return LagSnapshot(
        taken_at=1000.0,
        groups=tuple(groups.values()),
        end_offsets={("orders", 0): 100, ("orders", 1): 50, ("orders", 2): 10, ("audit", 0): 7},
        start_offsets={},
        partition_errors={},
        requests=RequestCount(),
    )


KEEPS_UP = GroupOffsets("keeps-up", "Stable", "classic", "consumer", 1, None, {("orders", 0): 100, ("orders", 1): 50})
BEHIND = GroupOffsets("behind", "Empty", "classic", "consumer", 1, None, {("orders", 0): 40, ("audit", 0): 7})
NOTHING = GroupOffsets("broken", "", "classic", "consumer", None, "COORDINATOR_NOT_AVAILABLE", {})


def _rows():
    member = GroupMember("m-1", None, "app-1", "/10.0.0.5", (("orders", 0), ("orders", 1), ("orders", 2)))
    evaluation = Evaluation(
        lag_seconds={("behind", ("orders", 0)): 125.04, ("keeps-up", ("orders", 0)): 0.0},
        partition_status={("behind", ("orders", 0)): "STOP", ("behind", ("audit", 0)): "OK"},
        group_status={"behind": ("ERR", "orders-0 stopped"), "keeps-up": ("OK", "")},
    )
    return group_rows(
        lag=_lag(a=KEEPS_UP, b=BEHIND, c=NOTHING),
        descriptions={"keeps-up": GroupDescription("keeps-up", "Stable", "consumer", "range", 1, (member,))},
        describe_errors={},
        evaluation=evaluation,
    )


def test_rows_report_lag_no_commit_owner_and_status():
    rows = {r["group_id"]: r for r in _rows()}
    up = rows["keeps-up"]
    assert up["members"] == 1 and up["total_lag"] == 0 and up["status"] == "OK"
    # Partition 2 is assigned but never committed: "no commit", not lag 0, and not in the total.
    assert up["partitions_no_commit"] == 1
    assert ["orders", 2, None, 10, None, None, "NO_COMMIT", "app-1@/10.0.0.5"] in up["partitions"]
    behind = rows["behind"]
    assert behind["members"] is None and behind["total_lag"] == 60 and behind["max_lag_seconds"] == 125.0
    assert behind["status"] == "ERR" and behind["status_reason"] == "orders-0 stopped"
    assert behind["topics"] == ["audit", "orders"]
    broken = rows["broken"]
    assert broken["error"] == "COORDINATOR_NOT_AVAILABLE" and broken["total_lag"] is None
    assert broken["status"] == "UNKNOWN"


@pytest.fixture
def cluster():
    cluster = Cluster.objects.create(name="c", bootstrap_servers="h:9092")
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


def test_store_writes_only_changes(cluster):
    rows = _rows()
    assert group_snapshot_store(cluster=cluster, rows=rows) == (3, 0, 0)
    assert group_snapshot_store(cluster=cluster, rows=rows) == (0, 0, 0)
    rows[0]["total_lag"] = 5
    assert group_snapshot_store(cluster=cluster, rows=rows[:2]) == (0, 1, 1)
    assert GroupMeta.objects.get(group_id="keeps-up").total_lag == 5


@pytest.fixture
def api(cluster):
    """A viewer of the cluster on the API."""
    user = get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-1")
    grant(user, cluster, "viewer")
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_list_filters_sorts_and_rejects_bad_parameters(cluster, api):
    group_snapshot_store(cluster=cluster, rows=_rows())
    url = f"/api/v1/clusters/{cluster.pk}/groups/"
    names = lambda q: [g["group_id"] for g in api.get(url + q).json()["results"]]  # noqa: E731
    assert names("") == ["behind", "broken", "keeps-up"]
    assert names("?sort=-lag") == ["behind", "keeps-up", "broken"]  # unknown lag sorts last
    assert names("?status=ERR") == ["behind"]
    assert names("?state=stable") == ["keeps-up"]
    assert names("?search=KEEP") == ["keeps-up"]
    assert api.get(url).json()["status_counts"] == {"ERR": 1, "UNKNOWN": 1, "OK": 1}
    for query, field in [("?sort=nope", "sort"), ("?status=BAD", "status"), ("?limit=0", "limit")]:
        response = api.get(url + query)
        assert response.status_code == 400 and field in response.json()["errors"]
    stranger = APIClient()
    stranger.force_authenticate(get_user_model().objects.create_user("stranger", "s@example.com", "pw-stranger-1"))
    assert stranger.get(url).status_code == 404  # no grant: the cluster does not exist for them


def test_detail_api_and_page_show_no_commit_and_lag(cluster, api, client, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 300  # h:9092 does not resolve: members come back as an error
    group_snapshot_store(cluster=cluster, rows=_rows())
    body = api.get(f"/api/v1/clusters/{cluster.pk}/groups/keeps-up/").json()
    no_commit = next(p for p in body["partitions"] if p["partition"] == 2)
    assert no_commit["committed"] is None and no_commit["lag"] is None and no_commit["status"] == "NO_COMMIT"
    assert body["members"] is None and body["members_error"]
    assert api.get(f"/api/v1/clusters/{cluster.pk}/groups/missing/").status_code == 404

    page_viewer = get_user_model().objects.create_user("v2", "v2@example.com", "pw-viewer-2")
    grant(page_viewer, cluster, "viewer")
    client.force_login(page_viewer)
    page = client.get(f"/clusters/{cluster.pk}/groups/behind/").content.decode()
    assert "2 min 5 s" in page and 'id="members-error"' in page
    page = client.get(f"/clusters/{cluster.pk}/groups/keeps-up/").content.decode()
    assert "no commit" in page
    listing = client.get(f"/clusters/{cluster.pk}/groups/?status=ERR").content.decode()
    assert 'data-group="behind"' in listing and 'data-group="keeps-up"' not in listing


def test_topic_readers_reuse_the_group_rows(cluster):
    group_snapshot_store(cluster=cluster, rows=_rows())
    user = get_user_model().objects.create_user("v3", "v3@example.com", "pw-viewer-3")
    grant(user, cluster, "viewer")
    readers = {r.group_id: r for r in topic_readers(user=user, cluster=cluster, topic="orders")}
    assert set(readers) == {"keeps-up", "behind"}
    assert readers["behind"].lag == 60 and readers["behind"].status == "STOP"
    assert readers["keeps-up"].lag == 0 and readers["keeps-up"].partitions == 3
