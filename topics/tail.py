"""Live tail of a topic over a websocket.

After the same authorization as the API (MESSAGE_READ on a cluster the user may see),
a Kafka consumer without a group follows the topic from its end in a worker thread and
new messages are streamed to the browser, at most MAX_PER_SECOND a second; the rest are
counted and reported as {"type": "skipped", "count": M}. Closing the socket sets the stop
flag, and the thread closes its Kafka consumer.

Close codes: 4401 not logged in, 4403 not allowed, 4404 unknown cluster, 4400 bad query."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import time
from typing import Any
from urllib.parse import parse_qs

from asgiref.sync import sync_to_async
from channels.db import database_sync_to_async
from channels.generic.websocket import AsyncJsonWebsocketConsumer
from django.core.exceptions import PermissionDenied, ValidationError

from access.permissions import Action, check_permission, clusters_visible
from clusters.gateway import GatewayError
from clusters.gateway.messages import RawMessage, messages_tail
from clusters.gateway.types import ConnectionSettings
from topics.messages import BrowseQuery, message_as_dict

log = logging.getLogger(__name__)

MAX_PER_SECOND = 20
# Batches waiting for the browser; beyond this the newest are counted as skipped.
MAX_PENDING = 100
# How often an open tail re-checks that its user may still read the topic's payloads.
REAUTHORIZE_S = 30.0
TAIL_PARAMS = ("key", "key_match", "value", "value_match", "header", "header_value", "header_match", "decode")


def _authorize_sync(user: Any, cluster_id: int, topic: str) -> ConnectionSettings | int:
    """The cluster's connection settings, or the close code that refuses the socket."""
    cluster = clusters_visible(user=user).filter(pk=cluster_id).first()
    if cluster is None:
        return 4404
    try:
        check_permission(user=user, cluster=cluster, action=Action.MESSAGE_READ, topic=topic)
    except PermissionDenied:
        return 4403
    return cluster.connection()


_authorize = database_sync_to_async(_authorize_sync)


@database_sync_to_async
def _still_allowed(user_pk: int, cluster_id: int, topic: str) -> int | None:
    """None while the user (re-read from the database) may still read the topic, else the close code."""
    from django.contrib.auth import get_user_model

    fresh = get_user_model().objects.filter(pk=user_pk, is_active=True).first()
    if fresh is None:
        return 4401
    authorized = _authorize_sync(fresh, cluster_id, topic)
    return authorized if isinstance(authorized, int) else None


class TailConsumer(AsyncJsonWebsocketConsumer):
    async def connect(self) -> None:
        user = self.scope.get("user")
        if user is None or not user.is_authenticated:
            await self.close(code=4401)
            return
        kwargs = self.scope["url_route"]["kwargs"]
        self.topic = str(kwargs["name"])
        raw = parse_qs(self.scope.get("query_string", b"").decode(), keep_blank_values=True)
        # Only filters and decoding apply to a tail; the browse form's start fields do not.
        params = {k: v[-1] for k, v in raw.items() if k in TAIL_PARAMS}
        try:
            query = BrowseQuery.from_params(params)
        except ValidationError:
            await self.close(code=4400)
            return
        authorized = await _authorize(user, int(kwargs["cluster_id"]), self.topic)
        if isinstance(authorized, int):
            await self.close(code=authorized)
            return
        self.query = query
        self.stop = threading.Event()
        self.pending: asyncio.Queue[list[RawMessage]] = asyncio.Queue()
        self.skipped = 0
        await self.accept()
        loop = asyncio.get_running_loop()
        self.sender = asyncio.create_task(self._send_loop())
        self.follower = asyncio.create_task(self._follow(authorized, loop))
        self.cluster_id = int(kwargs["cluster_id"])
        self.reauthorizer = asyncio.create_task(self._reauthorize())

    async def _reauthorize(self) -> None:
        """Stop the tail when the user loses the right to read this topic's payloads (grant
        removed, 'read messages' cleared, user deactivated): re-checked every REAUTHORIZE_S."""
        while True:
            await asyncio.sleep(REAUTHORIZE_S)
            code = await _still_allowed(self.scope["user"].pk, self.cluster_id, self.topic)
            if code is not None:
                self.stop.set()
                with contextlib.suppress(Exception):
                    await self.send_json({"type": "error", "detail": "You may no longer read this topic's messages."})
                    await self.close(code=code)
                return

    def _deliver(self, loop: asyncio.AbstractEventLoop, batch: list[RawMessage]) -> None:
        """Called from the Kafka thread: hand the batch to the event loop."""

        def put() -> None:
            if self.pending.qsize() >= MAX_PENDING:
                self.skipped += len(batch)
            else:
                self.pending.put_nowait(batch)

        with contextlib.suppress(RuntimeError):  # the loop closed while we were reading
            loop.call_soon_threadsafe(put)

    def _ready(self, loop: asyncio.AbstractEventLoop, partitions: list[int]) -> None:
        with contextlib.suppress(RuntimeError):
            asyncio.run_coroutine_threadsafe(
                self.send_json({"type": "ready", "topic": self.topic, "partitions": partitions}), loop
            )

    async def _follow(self, settings: ConnectionSettings, loop: asyncio.AbstractEventLoop) -> None:
        tail = sync_to_async(messages_tail, thread_sensitive=False)
        try:
            await tail(
                settings,
                self.topic,
                stop=self.stop,
                deliver=lambda batch: self._deliver(loop, batch),
                ready=lambda partitions: self._ready(loop, partitions),
            )
        except GatewayError as exc:
            with contextlib.suppress(Exception):
                await self.send_json({"type": "error", "detail": exc.message})
                await self.close(code=4502)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.exception("Live tail of %s failed", self.topic)
            with contextlib.suppress(Exception):
                await self.send_json({"type": "error", "detail": f"The live tail stopped: {exc}"})
                await self.close(code=4500)

    async def _send_loop(self) -> None:
        """Send at most MAX_PER_SECOND messages a second; report the rest as skipped."""
        window = time.monotonic()
        sent = 0
        while True:
            try:
                batch = await asyncio.wait_for(self.pending.get(), timeout=1.0)
            except TimeoutError:
                batch = []
            now = time.monotonic()
            if now - window >= 1.0:
                window, sent = now, 0
                if self.skipped:
                    count, self.skipped = self.skipped, 0
                    await self.send_json({"type": "skipped", "count": count, "max_per_second": MAX_PER_SECOND})
            for message in batch:
                if not self.query.filter(message):
                    continue
                if sent >= MAX_PER_SECOND:
                    self.skipped += 1
                    continue
                sent += 1
                await self.send_json({"type": "message", "message": message_as_dict(message, self.query.decode)})

    async def disconnect(self, code: int) -> None:
        stop = getattr(self, "stop", None)
        if stop is None:
            return
        stop.set()
        self.reauthorizer.cancel()
        self.sender.cancel()
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await self.sender
        # The thread notices the flag within one poll and closes its consumer.
        with contextlib.suppress(asyncio.CancelledError, Exception):
            await asyncio.wait_for(asyncio.shield(self.follower), timeout=5)

    async def receive_json(self, content: Any, **kwargs: Any) -> None:
        await self.send_json({"type": "error", "detail": "This socket only sends; close it to stop the tail."})
