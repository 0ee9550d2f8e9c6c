"""The permission rules of access/permissions.py, one rule per test."""

from __future__ import annotations

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.exceptions import PermissionDenied

from access.models import ApiToken, AuditEvent, Role
from access.permissions import MIN_ROLE, SUPERUSER_ONLY, Action, check_permission, clusters_visible, has_permission
from access.tokens import token_create
from clusters.models import Cluster
from tests.grants import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def cluster():
    return Cluster.objects.create(name="prod", bootstrap_servers="127.0.0.1:1")


@pytest.fixture
def other():
    return Cluster.objects.create(name="other", bootstrap_servers="127.0.0.1:1")


@pytest.fixture
def user():
    return get_user_model().objects.create_user("alice", "a@example.com", "pw-alice-123")


def can(user, cluster, action, topic=None, **kw):
    return has_permission(user=user, cluster=cluster, action=action, topic=topic, **kw)


def test_every_action_has_a_minimum_role_or_is_superuser_only():
    assert set(Action) == set(MIN_ROLE) | SUPERUSER_ONLY


def test_without_a_grant_a_user_sees_no_cluster_and_may_do_nothing(user, cluster):
    assert list(clusters_visible(user=user)) == []
    assert not any(can(user, cluster, a) for a in Action)


def test_a_grant_makes_only_its_cluster_visible(user, cluster, other):
    grant(user, cluster, Role.VIEWER)
    assert list(clusters_visible(user=user)) == [cluster]
    assert can(user, cluster, Action.TOPIC_VIEW)
    assert not can(user, other, Action.TOPIC_VIEW)


@pytest.mark.parametrize(
    ("role", "allowed", "refused"),
    [
        (
            Role.VIEWER,
            [Action.CLUSTER_VIEW, Action.TOPIC_VIEW, Action.GROUP_VIEW, Action.BROKER_VIEW, Action.SCHEMA_VIEW],
            [Action.MESSAGE_PRODUCE, Action.RECORDS_DELETE, Action.GROUP_OFFSETS_RESET, Action.ACL_VIEW],
        ),
        (
            Role.OPERATOR,
            [Action.MESSAGE_PRODUCE, Action.RECORDS_DELETE, Action.GROUP_OFFSETS_RESET, Action.CONNECTOR_OPERATE],
            [Action.TOPIC_CREATE, Action.TOPIC_DELETE, Action.TOPIC_EDIT, Action.ACL_EDIT, Action.SCRAM_VIEW],
        ),
        (
            Role.ADMIN,
            [Action.TOPIC_CREATE, Action.TOPIC_DELETE, Action.ACL_EDIT, Action.SCRAM_EDIT, Action.AUDIT_VIEW],
            [Action.CLUSTER_MANAGE, Action.ROLE_MANAGE],
        ),
    ],
)
def test_roles_nest(user, cluster, role, allowed, refused):
    grant(user, cluster, role)
    assert [a for a in allowed if not can(user, cluster, a)] == []
    assert [a for a in refused if can(user, cluster, a)] == []


def test_reading_payloads_is_its_own_flag_whatever_the_role(user, cluster, other):
    grant(user, cluster, Role.ADMIN, read_messages=False)
    grant(user, other, Role.VIEWER, read_messages=True)
    assert not can(user, cluster, Action.MESSAGE_READ, "t")
    assert can(user, other, Action.MESSAGE_READ, "t")


def test_a_topic_pattern_gives_its_role_on_matching_topics_and_viewer_elsewhere(user, cluster):
    grant(user, cluster, Role.OPERATOR, topic_pattern="payments.*", read_messages=True)
    assert can(user, cluster, Action.RECORDS_DELETE, "payments.card")
    assert can(user, cluster, Action.MESSAGE_READ, "payments.card")
    assert not can(user, cluster, Action.RECORDS_DELETE, "orders.card")
    assert not can(user, cluster, Action.MESSAGE_READ, "orders.card")
    assert can(user, cluster, Action.TOPIC_VIEW, "orders.card")
    # Cluster-wide actions only get the viewer part of a topic-limited grant.
    assert not can(user, cluster, Action.GROUP_DELETE)
    assert not can(user, cluster, Action.RECORDS_DELETE)
    # A form opened before the topic is named (create, reset) opens for a grant on some topic.
    assert can(user, cluster, Action.RECORDS_DELETE, any_topic=True)
    assert not can(user, cluster, Action.TOPIC_CREATE, any_topic=True)


def test_a_pattern_is_a_glob_matched_case_sensitively_not_a_regex(user, cluster):
    grant(user, cluster, Role.ADMIN, topic_pattern="pay?ents.[ab]*")
    assert can(user, cluster, Action.TOPIC_DELETE, "payments.a1")
    assert not can(user, cluster, Action.TOPIC_DELETE, "Payments.a1")
    assert not can(user, cluster, Action.TOPIC_DELETE, "payments.c1")
    assert not can(user, cluster, Action.TOPIC_DELETE, "paymentsXa1")  # '.' is literal


def test_the_highest_of_several_grants_counts_including_teams(user, cluster):
    team = Group.objects.create(name="payments-team")
    user.groups.add(team)
    grant(user, cluster, Role.VIEWER)
    assert not can(user, cluster, Action.TOPIC_CREATE, "x")
    grant(None, cluster, Role.ADMIN, team=team)
    assert can(user, cluster, Action.TOPIC_CREATE, "x")
    assert list(clusters_visible(user=user)) == [cluster]


def test_a_team_grant_makes_the_cluster_visible_once(user, cluster):
    team = Group.objects.create(name="t")
    user.groups.add(team)
    grant(None, cluster, Role.VIEWER, team=team)
    grant(user, cluster, Role.VIEWER)
    assert list(clusters_visible(user=user)) == [cluster]


def test_a_read_only_cluster_refuses_changes_even_to_superusers_but_not_its_own_settings(cluster):
    root = get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")
    cluster.read_only = True
    cluster.save()
    assert not can(root, cluster, Action.TOPIC_DELETE, "t")
    assert not can(root, cluster, Action.ACL_EDIT)
    assert can(root, cluster, Action.TOPIC_VIEW)
    assert can(root, cluster, Action.CLUSTER_MANAGE)  # or nobody could lift read-only


def test_superusers_may_everything_and_see_every_cluster(cluster, other):
    root = get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")
    assert all(can(root, cluster, a, "t") for a in Action)
    assert set(clusters_visible(user=root)) == {cluster, other}


def test_inactive_and_anonymous_users_may_nothing(user, cluster):
    from django.contrib.auth.models import AnonymousUser

    grant(user, cluster, Role.ADMIN)
    user.is_active = False
    user.save()
    assert not can(user, cluster, Action.TOPIC_VIEW)
    assert list(clusters_visible(user=user)) == []
    assert not can(AnonymousUser(), cluster, Action.TOPIC_VIEW)


def test_a_read_only_token_may_only_view(user, cluster):
    grant(user, cluster, Role.ADMIN, read_messages=True)
    token, _ = token_create(user=user, name="ci", scope=ApiToken.Scope.READ, expires_in_days=1)
    user.signalbox_token = token
    assert can(user, cluster, Action.TOPIC_VIEW)
    assert can(user, cluster, Action.MESSAGE_READ, "t")
    assert not can(user, cluster, Action.TOPIC_CREATE, "t")
    with pytest.raises(PermissionDenied, match="read-only"):
        check_permission(user=user, cluster=cluster, action=Action.RECORDS_DELETE, topic="t")
    event = AuditEvent.objects.get(result="denied")
    assert event.token_name == f"ci ({token.prefix})" and event.action == "topic.records.delete"


def test_a_refusal_names_the_role_needed_and_is_audited(user, cluster):
    grant(user, cluster, Role.VIEWER)
    with pytest.raises(PermissionDenied, match="operator role on topic 'orders'"):
        check_permission(user=user, cluster=cluster, action=Action.MESSAGE_PRODUCE, topic="orders")
    event = AuditEvent.objects.get()
    assert (event.actor, event.result, event.target, event.cluster) == ("alice", "denied", "orders", cluster)


def test_probing_a_cluster_without_a_role_is_a_404_and_on_the_record(user, cluster):
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(user)
    assert client.get(f"/api/v1/clusters/{cluster.pk}/").status_code == 404
    assert client.get(f"/api/v1/clusters/{cluster.pk + 100}/").status_code == 404  # no such id: same answer
    event = AuditEvent.objects.get()
    assert (event.actor, event.cluster, event.result, event.error) == (
        "alice",
        cluster,
        "denied",
        "no role on the cluster",
    )
