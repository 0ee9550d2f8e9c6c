"""Channel group names and the one function that sends to them.

Group names are built from ids only (never raw Kafka names, which may hold
characters channel layers refuse)."""

from __future__ import annotations

import logging
from typing import Any

from asgiref.sync import async_to_sync
from channels.layers import get_channel_layer
from django.db import transaction

log = logging.getLogger(__name__)

MESSAGE_TYPE = "live.update"


def cluster_group(cluster_id: int) -> str:
    return f"cluster.{cluster_id}"


def send(group: str, event: str, data: dict[str, Any]) -> None:
    """Send one event to a group after the current transaction commits.
    A channel layer that is down costs a log line, not the caller's work."""

    def deliver() -> None:
        layer = get_channel_layer()
        if layer is None:
            return
        try:
            async_to_sync(layer.group_send)(group, {"type": MESSAGE_TYPE, "group": group, "event": event, "data": data})
        except Exception as exc:
            log.warning("Could not push %s to %s: %s", event, group, exc)

    transaction.on_commit(deliver)
