"""A small world for the security sweeps: one cluster on the test broker with a topic, a
consumer group and a message; a superuser, a viewer, an operator, a user without any grant;
and objects of other users (token, board, grant, team) that nobody else may touch."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from kafka.admin import KafkaAdminClient

from access.models import AuditEvent, Grant
from access.tokens import token_create
from tests.grants import grant as give
from tests.integration.kafka_setup import caught_up_group


@dataclass
class World:
    cluster: Any
    topic: str
    group: str
    broker_id: int
    admin: Any
    viewer: Any
    operator: Any
    nogrant: Any
    team: Any
    grant: Any  # the operator's grant
    admin_token: Any
    admin_token_name: str
    board: Any
    item: Any
    audit_marker: str
    scram_name: str

    def secrets_for(self, identity: str) -> list[str]:
        """Strings this identity must never find in a response body."""
        theirs = [self.audit_marker, self.admin_token_name]
        if identity in ("anonymous", "nogrant"):
            return [self.cluster.name, self.topic, self.group, *theirs]
        return theirs


@pytest.fixture(scope="module")
def kafka_objects(stack_env):
    """A topic with messages and a caught-up group on the test broker, and the broker's id."""
    topic, group = caught_up_group(stack_env["KAFKA_BOOTSTRAP"], "hyg-sec", messages=3)
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        broker_id = admin.describe_cluster()["brokers"][0]["broker_id"]
    finally:
        admin.close()
    return topic, group, broker_id


@pytest.fixture
def world(stack_env, db, kafka_objects) -> World:
    from boards import services as boards
    from clusters.models import Cluster, ClusterStatus
    from monitoring.services import cluster_poll

    topic, group, broker_id = kafka_objects
    users = get_user_model().objects
    admin = users.create_superuser("sec-admin", "a@example.com", "admin-pass-8812")
    viewer = users.create_user("sec-viewer", "v@example.com", "viewer-pass-8812")
    operator = users.create_user("sec-operator", "o@example.com", "operator-pass-8812")
    nogrant = users.create_user("sec-nogrant", "n@example.com", "nogrant-pass-8812")
    cluster = Cluster.objects.create(
        name=f"hyg-secret-{uuid.uuid4().hex[:8]}", bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"]
    )
    ClusterStatus.objects.create(cluster=cluster)
    cluster_poll(cluster=cluster)
    give(viewer, cluster, "viewer")
    operator_grant = give(operator, cluster, "operator")
    team = Group.objects.create(name=f"sec-team-{uuid.uuid4().hex[:6]}")
    operator.groups.add(team)
    token_name = f"sec-admin-token-{uuid.uuid4().hex[:6]}"
    admin_token, _ = token_create(user=admin, name=token_name, scope="write", expires_in_days=7)
    board = boards.board_create(user=admin, name=f"sec-board-{uuid.uuid4().hex[:6]}")
    item = boards.board_item_add(user=admin, board=board, cluster_id=cluster.pk, kind="topic", name=topic)
    marker = f"sec-audit-marker-{uuid.uuid4().hex[:8]}"
    AuditEvent.objects.create(
        user=admin, actor=admin.username, cluster=cluster, cluster_name=cluster.name, action="topic.edit", target=marker
    )
    assert Grant.objects.filter(cluster=cluster).count() == 2
    return World(
        cluster=cluster,
        topic=topic,
        group=group,
        broker_id=broker_id,
        admin=admin,
        viewer=viewer,
        operator=operator,
        nogrant=nogrant,
        team=team,
        grant=operator_grant,
        admin_token=admin_token,
        admin_token_name=token_name,
        board=board,
        item=item,
        audit_marker=marker,
        scram_name="sec-scram-user",
    )
