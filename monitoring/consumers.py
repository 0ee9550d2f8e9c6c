"""The websocket consumer browsers use for live updates.

A client sends {"action": "subscribe", "cluster": <id>} and receives every event
pushed to that cluster's group. Each subscription is authorized with the same
rule as the API; unauthenticated sockets are closed at connect."""

from __future__ import annotations

import logging
from typing import Any

from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from access.permissions import Action, clusters_visible, has_permission
from monitoring.events import cluster_group

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 200


@database_sync_to_async
def _may_view_cluster(user: Any, cluster_id: int) -> bool:
    cluster = clusters_visible(user=user).filter(pk=cluster_id).first()
    return cluster is not None and has_permission(user=user, cluster=cluster, action=Action.CLUSTER_VIEW)


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined: set[str] = set()
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for group in getattr(self, "groups_joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("action") not in ("subscribe", "unsubscribe"):
            await self.send_json({"error": 'Send {"action": "subscribe", "cluster": <id>}.'})
            return
        cluster_id = content.get("cluster")
        if not isinstance(cluster_id, int) or isinstance(cluster_id, bool):
            await self.send_json({"error": "'cluster' must be a cluster id (an integer)."})
            return
        group = cluster_group(cluster_id)
        if content["action"] == "unsubscribe":
            if group in self.groups_joined:
                self.groups_joined.discard(group)
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"unsubscribed": group})
            return
        if len(self.groups_joined) >= MAX_SUBSCRIPTIONS:
            await self.send_json({"error": f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection."})
            return
        if not await _may_view_cluster(self.scope["user"], cluster_id):
            # Same answer for "does not exist" and "not yours": ids are not probed.
            await self.send_json({"error": f"Cluster {cluster_id} does not exist or you may not see it."})
            return
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)
        await self.send_json({"subscribed": group})

    async def live_update(self, message: dict[str, Any]) -> None:
        await self.send_json({"group": message["group"], "event": message["event"], "data": message["data"]})
