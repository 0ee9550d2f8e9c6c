"""Give a test user a role on a cluster the way a superuser would (a Grant row)."""

from __future__ import annotations

from typing import Any

from access.models import Grant, Role


def grant(
    user: Any,
    cluster: Any,
    role: str = Role.VIEWER,
    *,
    topic_pattern: str = "",
    read_messages: bool = False,
    team: Any = None,
) -> Grant:
    """A grant for `user` (or for `team` when given) on `cluster`."""
    return Grant.objects.create(
        cluster=cluster,
        user=None if team is not None else user,
        team=team,
        role=role,
        topic_pattern=topic_pattern,
        read_messages=read_messages,
    )
