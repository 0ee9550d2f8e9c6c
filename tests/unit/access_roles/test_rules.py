"""The rules that matter end to end: a grant made through the API decides what its holder
sees and may do, the same for a team's members as for a direct holder."""

import pytest
from rest_framework.test import APIClient

from access.permissions import Action, has_permission
from clusters.models import Cluster

pytestmark = pytest.mark.django_db


@pytest.fixture
def alice_web(client, alice):
    client.force_login(alice)
    return client


def _grant(root_api, cluster, **body):
    response = root_api.post(f"/api/v1/clusters/{cluster.pk}/grants/", body, format="json")
    assert response.status_code == 201, response.content
    return response.json()["id"]


def _visible(api: APIClient) -> list[str]:
    return [c["name"] for c in api.get("/api/v1/clusters/").json()["results"]]


@pytest.mark.parametrize("through_team", [False, True])
def test_viewer_grant_shows_the_cluster_and_removal_hides_it(
    root_api, alice, alice_api, alice_web, ops, prod, through_team
):
    Cluster.objects.create(name="other", bootstrap_servers="k:9092")
    assert _visible(alice_api) == []
    assert "prod" not in alice_web.get("/clusters/").content.decode()
    if through_team:
        ops.user_set.add(alice)
        grant_id = _grant(root_api, prod, team=ops.pk, role="viewer")
    else:
        grant_id = _grant(root_api, prod, user=alice.pk, role="viewer")
    assert _visible(alice_api) == ["prod"]
    assert alice_api.get(f"/api/v1/clusters/{prod.pk}/").status_code == 200
    assert f'href="/clusters/{prod.pk}/"' in alice_web.get("/clusters/").content.decode()
    assert has_permission(user=alice, cluster=prod, action=Action.TOPIC_VIEW, topic="any")
    assert not has_permission(user=alice, cluster=prod, action=Action.MESSAGE_READ, topic="any")
    assert root_api.delete(f"/api/v1/clusters/{prod.pk}/grants/{grant_id}/").status_code == 204
    assert _visible(alice_api) == []
    assert alice_api.get(f"/api/v1/clusters/{prod.pk}/").status_code == 404
    assert "prod" not in alice_web.get("/clusters/").content.decode()


@pytest.mark.parametrize("through_team", [False, True])
def test_operator_on_a_topic_pattern_may_purge_only_matching_topics(root_api, alice, ops, prod, through_team):
    if through_team:
        ops.user_set.add(alice)
        _grant(root_api, prod, team=ops.pk, role="operator", topic_pattern="payments.*")
    else:
        _grant(root_api, prod, user=alice.pk, role="operator", topic_pattern="payments.*")
    assert has_permission(user=alice, cluster=prod, action=Action.RECORDS_DELETE, topic="payments.x")
    assert not has_permission(user=alice, cluster=prod, action=Action.RECORDS_DELETE, topic="orders.x")
    # Read messages defaulted to yes for an operator, but only where the grant applies.
    assert has_permission(user=alice, cluster=prod, action=Action.MESSAGE_READ, topic="payments.x")
    assert not has_permission(user=alice, cluster=prod, action=Action.MESSAGE_READ, topic="orders.x")
    # Viewer on the rest of the cluster; no admin actions anywhere.
    assert has_permission(user=alice, cluster=prod, action=Action.TOPIC_VIEW, topic="orders.x")
    assert not has_permission(user=alice, cluster=prod, action=Action.TOPIC_DELETE, topic="payments.x")


def test_leaving_the_team_removes_its_access(root_api, alice, alice_api, ops, prod):
    ops.user_set.add(alice)
    _grant(root_api, prod, team=ops.pk, role="operator")
    assert has_permission(user=alice, cluster=prod, action=Action.MESSAGE_PRODUCE, topic="t")
    assert root_api.delete(f"/api/v1/teams/{ops.pk}/members/{alice.pk}/").status_code == 204
    assert not has_permission(user=alice, cluster=prod, action=Action.CLUSTER_VIEW)
    assert _visible(alice_api) == []


def test_read_messages_flag_switched_off_takes_payloads_away(root_api, alice, prod):
    grant_id = _grant(root_api, prod, user=alice.pk, role="admin")
    assert has_permission(user=alice, cluster=prod, action=Action.MESSAGE_READ, topic="t")
    root_api.patch(f"/api/v1/clusters/{prod.pk}/grants/{grant_id}/", {"read_messages": False}, format="json")
    assert not has_permission(user=alice, cluster=prod, action=Action.MESSAGE_READ, topic="t")
    assert has_permission(user=alice, cluster=prod, action=Action.TOPIC_DELETE, topic="t")


def test_deactivated_user_loses_everything(root_api, alice, prod):
    _grant(root_api, prod, user=alice.pk, role="admin")
    root_api.patch(f"/api/v1/users/{alice.pk}/", {"is_active": False}, format="json")
    alice.refresh_from_db()
    assert not has_permission(user=alice, cluster=prod, action=Action.CLUSTER_VIEW)
