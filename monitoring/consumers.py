"""The websocket consumer browsers use for live updates.

A client sends {"action": "subscribe", "cluster": <id>} for the cluster's events, or
adds "topic": <name> or "group": <group id> for that topic's or group's points. Each
subscription is authorized with the same rule as the API; unauthenticated sockets are
closed at connect and foreign origins are refused by the ASGI stack. Topic and group
subscriptions are kept in the watch registry (monitoring/events.py) while the socket
is open, so polls send their points only when someone looks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from typing import Any

import redis
from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer

from access.permissions import Action, clusters_visible, has_permission
from consumer_groups.models import GroupMeta
from monitoring import events
from monitoring.rates import redis_client
from topics.models import TopicMeta

log = logging.getLogger(__name__)

MAX_SUBSCRIPTIONS = 200
# How often an open socket re-checks that its user still sees each subscribed cluster, so a
# removed grant or a deactivated user stops receiving data without waiting for a reconnect.
REAUTHORIZE_S = 30.0
USAGE = 'Send {"action": "subscribe", "cluster": <id>} and optionally "topic": <name> or "group": <group id>.'


@database_sync_to_async
def _resolve(user: Any, cluster_id: int, topic: str | None, group: str | None) -> str | None:
    """The channel group for this subscription, or None when the user may not see it
    (the same answer whether it does not exist or is not theirs)."""
    cluster = clusters_visible(user=user).filter(pk=cluster_id).first()
    if cluster is None or not has_permission(user=user, cluster=cluster, action=Action.CLUSTER_VIEW):
        return None
    if topic is not None:
        if not has_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW):
            return None
        pk = TopicMeta.objects.filter(cluster=cluster, name=topic).values_list("pk", flat=True).first()
        return None if pk is None else events.topic_group(pk)
    if group is not None:
        if not has_permission(user=user, cluster=cluster, action=Action.GROUP_VIEW):
            return None
        pk = GroupMeta.objects.filter(cluster=cluster, group_id=group).values_list("pk", flat=True).first()
        return None if pk is None else events.group_group(pk)
    return events.cluster_group(cluster_id)


@database_sync_to_async
def _clusters_still_visible(user_pk: int, cluster_ids: set[int]) -> set[int]:
    """Which of these clusters the user (re-read from the database) may still see."""
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if fresh is None:
        return set()
    return set(clusters_visible(user=fresh).filter(pk__in=cluster_ids).values_list("pk", flat=True))


def _watch(watches: dict[str, int]) -> None:
    """Mark these channel groups as watched for another WATCH_TTL_S."""
    expiry = time.time() + events.WATCH_TTL_S
    pipe = redis_client().pipeline(transaction=False)
    for group, cluster_id in watches.items():
        pipe.zadd(events.watch_key(cluster_id), {group: expiry})
        pipe.expire(events.watch_key(cluster_id), events.WATCH_TTL_S * 2)
    pipe.execute()


class LiveConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        self.groups_joined: set[str] = set()
        self.joined_cluster: dict[str, int] = {}  # every joined channel group -> its cluster id
        self.watches: dict[str, int] = {}  # topic/group channel group -> cluster id
        self.refresher: asyncio.Task[None] | None = None
        self.reauthorizer: asyncio.Task[None] | None = None
        await self.accept()

    async def disconnect(self, code: int) -> None:
        for task in (getattr(self, "refresher", None), getattr(self, "reauthorizer", None)):
            if task is not None:
                task.cancel()
        for group in getattr(self, "groups_joined", set()):
            await self.channel_layer.group_discard(group, self.channel_name)

    async def _refresh_watches(self) -> None:
        while True:
            await asyncio.sleep(events.WATCH_TTL_S / 3)
            if self.watches:
                with contextlib.suppress(redis.RedisError):  # retried on the next round
                    await sync_to_async(_watch, thread_sensitive=False)(dict(self.watches))

    async def _reauthorize(self) -> None:
        while True:
            await asyncio.sleep(REAUTHORIZE_S)
            clusters = set(self.joined_cluster.values())
            if not clusters:
                continue
            try:
                visible = await _clusters_still_visible(self.scope["user"].pk, clusters)
            except Exception:  # a database hiccup: keep the subscriptions and ask again next round
                log.warning("Could not re-check live subscriptions", exc_info=True)
                continue
            for group, cluster_id in list(self.joined_cluster.items()):
                if cluster_id in visible:
                    continue
                self.joined_cluster.pop(group, None)
                self.groups_joined.discard(group)
                self.watches.pop(group, None)
                await self.channel_layer.group_discard(group, self.channel_name)
                await self.send_json(
                    {"revoked": group, "cluster": cluster_id, "error": "You may no longer see this cluster."}
                )

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        if not isinstance(content, dict) or content.get("action") not in ("subscribe", "unsubscribe"):
            await self.send_json({"error": USAGE})
            return
        cluster_id = content.get("cluster")
        if not isinstance(cluster_id, int) or isinstance(cluster_id, bool):
            await self.send_json({"error": "'cluster' must be a cluster id (an integer)."})
            return
        topic, group_id = content.get("topic"), content.get("group")
        for field, value in (("topic", topic), ("group", group_id)):
            if value is not None and (not isinstance(value, str) or not value or len(value) > 255):
                await self.send_json({"error": f"'{field}' must be a non-empty name of at most 255 characters."})
                return
        if topic is not None and group_id is not None:
            await self.send_json({"error": "Subscribe to a topic or a group, not both at once."})
            return
        echo = {
            "cluster": cluster_id,
            **({"topic": topic} if topic else {}),
            **({"group": group_id} if group_id else {}),
        }
        group = await _resolve(self.scope["user"], cluster_id, topic, group_id)
        if content["action"] == "unsubscribe":
            if group is not None and group in self.groups_joined:
                self.groups_joined.discard(group)
                self.joined_cluster.pop(group, None)
                self.watches.pop(group, None)
                await self.channel_layer.group_discard(group, self.channel_name)
            await self.send_json({"unsubscribed": group, **echo})
            return
        if len(self.groups_joined) >= MAX_SUBSCRIPTIONS:
            await self.send_json({"error": f"At most {MAX_SUBSCRIPTIONS} subscriptions per connection."})
            return
        if group is None:
            # Same answer for "does not exist" and "not yours": ids and names are not probed.
            what = (
                f"Topic '{topic}' of cluster" if topic else f"Group '{group_id}' of cluster" if group_id else "Cluster"
            )
            await self.send_json({"error": f"{what} {cluster_id} does not exist or you may not see it.", **echo})
            return
        await self.channel_layer.group_add(group, self.channel_name)
        self.groups_joined.add(group)
        self.joined_cluster[group] = cluster_id
        if self.reauthorizer is None:
            self.reauthorizer = asyncio.create_task(self._reauthorize())
        if topic is not None or group_id is not None:
            self.watches[group] = cluster_id
            try:
                await sync_to_async(_watch, thread_sensitive=False)({group: cluster_id})
            except redis.RedisError as exc:
                log.warning("Could not register a watch on %s: %s", group, exc)
            if self.refresher is None:
                self.refresher = asyncio.create_task(self._refresh_watches())
        await self.send_json({"subscribed": group, **echo})

    async def dispatch(self, message: dict[str, Any]) -> None:
        # Channels hops to its one sync thread to close old database connections before
        # every handler; a live update touches no database, and at 1,000 sockets that hop
        # was half of Daphne's time (bench/ws_fanout.py).
        if message.get("type") == events.MESSAGE_TYPE:
            await self.live_update(message)
            return
        await super().dispatch(message)

    async def live_update(self, message: dict[str, Any]) -> None:
        await self.send_json({"group": message["group"], "event": message["event"], "data": message["data"]})
