"""The endpoints of the security test world (conftest.World) with their parameters filled in,
and the state a refused request must leave untouched."""

from __future__ import annotations

import fnmatch
from collections.abc import Callable
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from kafka.admin import KafkaAdminClient

from access.models import ApiToken, AuditEvent, Grant
from boards.models import Board, BoardItem
from clusters.models import Cluster
from tests.integration.security.endpoints import Endpoint, url_endpoints

# The value each URL parameter takes, by parameter name and URL name (globs); first match wins.
PARAMETERS: list[tuple[str, str, Callable[[Any], object]]] = [
    ("cluster_id", "*", lambda w: w.cluster.pk),
    ("pk", "clusters:* cluster-*", lambda w: w.cluster.pk),
    ("pk", "roles:user* user-*", lambda w: w.operator.pk),
    ("pk", "roles:team* team-*", lambda w: w.team.pk),
    ("pk", "grant-*", lambda w: w.grant.pk),
    ("pk", "tokens:* token-*", lambda w: w.admin_token.pk),
    ("grant_id", "*", lambda w: w.grant.pk),
    ("user_id", "*", lambda w: w.operator.pk),
    ("name", "scram:* scram-*", lambda w: w.scram_name),
    ("name", "*", lambda w: w.topic),
    ("group_id", "*", lambda w: w.group),
    ("broker_id", "*", lambda w: w.broker_id),
    ("partition", "*", lambda w: 0),
    ("offset", "*", lambda w: 0),
    ("token", "boards:* api-board*", lambda w: w.board.share_token),
    ("item_id", "*", lambda w: w.item.pk),
]


def world_endpoints(world: Any) -> list[Endpoint]:
    """Every URL of the configuration, its parameters naming the world's objects."""

    def value_for(url_name: str, param: str) -> str:
        for name, globs, value in PARAMETERS:
            if name == param and any(fnmatch.fnmatchcase(url_name, g) for g in globs.split()):
                return str(value(world))
        pytest.fail(f"No test value for parameter '{param}' of URL '{url_name}': add a row to PARAMETERS")

    return url_endpoints(value_for)


def world_state(world: Any) -> dict[str, object]:
    """What a refused request must leave as it was: every change writes an ok audit event."""
    admin = KafkaAdminClient(bootstrap_servers=world.cluster.bootstrap_servers)
    try:
        topics = sorted(admin.list_topics())
        committed = admin.list_group_offsets({world.group: None})[world.group]
        offsets = sorted((tp.topic, tp.partition, m.offset) for tp, m in committed.items())
    finally:
        admin.close()
    # Sorted: PostgreSQL returns rows in physical order, which a no-op UPDATE (a login) can change.
    return {
        "ok audit events": sorted(AuditEvent.objects.filter(result="ok").values_list("pk", "action", "target")),
        "clusters": sorted(Cluster.objects.values_list("pk", "name", "bootstrap_servers", "read_only")),
        "grants": sorted(
            Grant.objects.values_list("pk", "role", "user_id", "team_id", "topic_pattern", "read_messages")
        ),
        "users": sorted(get_user_model().objects.values_list("pk", "is_active", "is_superuser", "password")),
        "teams": sorted(Group.objects.values_list("pk", "name")),
        "tokens": sorted(ApiToken.objects.values_list("pk", "revoked_at", "scope", "expires_at")),
        "boards": sorted(Board.objects.values_list("pk", "name"))
        + sorted(BoardItem.objects.values_list("pk", "position")),
        "kafka topics": topics,
        "group offsets": offsets,
    }
