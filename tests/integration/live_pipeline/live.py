"""Helpers of the live-pipeline tests: a websocket client that records when each event
arrived, a producer paced at a steady rate, a consumer that can be stopped, and the
poll journal. Everything talks to the real services; nothing is mocked."""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Callable
from typing import Any

from channels.testing import WebsocketCommunicator
from django.conf import settings as django_settings
from django.test import Client
from kafka import KafkaConsumer, KafkaProducer

from monitoring.services import poll_journal

Received = tuple[float, dict[str, Any]]  # (time.time() at arrival, message)


def _cookie_for(user: Any) -> bytes:
    client = Client()
    client.force_login(user)
    name = django_settings.SESSION_COOKIE_NAME
    return f"{name}={client.cookies[name].value}".encode()


class LiveSocket:
    """An authenticated /ws/live/ client whose event loop runs in a thread of its own, so
    tests stay synchronous and every message is stamped the moment it arrives. The
    consumer runs in this process (channels' WebsocketCommunicator); the points come from
    the worker subprocesses through the real Redis channel layer."""

    def __init__(self, user: Any) -> None:
        from controlplane.asgi import application

        headers = [(b"origin", b"http://localhost"), (b"host", b"localhost"), (b"cookie", _cookie_for(user))]
        self.messages: list[Received] = []
        self.failure: BaseException | None = None  # why the consumer stopped, if it did
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="live-socket", daemon=True)
        self._thread.start()
        self._ws = WebsocketCommunicator(application, "/ws/live/", headers=headers)
        connected, _ = self._call(self._ws.connect(timeout=10))
        assert connected, "the websocket was refused"
        self._loop.call_soon_threadsafe(self._ws.future.add_done_callback, self._consumer_ended)
        self._reader = asyncio.run_coroutine_threadsafe(self._read(), self._loop)

    def _consumer_ended(self, future: Any) -> None:
        failure = future.exception() if not future.cancelled() else None
        with self._cond:
            self.failure = failure or RuntimeError("the consumer ended")
            self._cond.notify_all()

    def _call(self, coro: Any, timeout: float = 15) -> Any:
        return asyncio.run_coroutine_threadsafe(coro, self._loop).result(timeout)

    async def _read(self) -> None:
        while True:
            try:
                # A receive that times out cancels the consumer: wait long, cancel on close.
                message = await self._ws.receive_json_from(timeout=24 * 3600)
            except asyncio.CancelledError:
                raise
            except BaseException as exc:  # the consumer crashed or closed the socket
                with self._cond:
                    self.failure = exc
                    self._cond.notify_all()
                return
            with self._cond:
                self.messages.append((time.time(), message))
                self._cond.notify_all()

    def subscribe(self, cluster_id: int, **what: str) -> dict[str, Any]:
        """Subscribe (to the cluster, or a topic= / group= of it) and return the reply."""
        start = len(self.messages)
        self._call(self._ws.send_json_to({"action": "subscribe", "cluster": cluster_id, **what}))
        _, reply = self.wait_for(lambda m: "subscribed" in m or "error" in m, timeout=10, start=start)
        return reply

    def wait_for(self, match: Callable[[dict[str, Any]], bool], timeout: float, start: int = 0) -> Received:
        """The first message from index `start` on that matches; AssertionError after `timeout` s."""
        deadline = time.monotonic() + timeout
        index = start
        with self._cond:
            while True:
                while index < len(self.messages):
                    if match(self.messages[index][1]):
                        return self.messages[index]
                    index += 1
                if self.failure is not None:
                    raise AssertionError(f"the websocket consumer stopped: {self.failure!r}")
                left = deadline - time.monotonic()
                if left <= 0:
                    seen = [m.get("event", m) for _, m in self.messages[start:]][-20:]
                    raise AssertionError(f"no matching message within {timeout} s; the last ones: {seen}")
                self._cond.wait(left)

    def events(self, event: str, since: float = 0.0) -> list[Received]:
        """The `event` messages received so far whose poll happened after `since` (data["at"],
        or the arrival time for events without one)."""
        with self._cond:
            return [(t, m) for t, m in self.messages if m.get("event") == event and m["data"].get("at", t) > since]

    def close(self) -> None:
        self._reader.cancel()
        try:
            if self.failure is None:  # a crashed consumer has nothing left to disconnect
                self._call(self._ws.disconnect(), timeout=10)
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)


class PacedProducer(threading.Thread):
    """Writes `rate` messages per second to a topic, each send scheduled on a monotonic
    clock (no drift), until stopped. `started_at` is the wall time of the first
    acknowledged write; `acked` counts acknowledged writes."""

    def __init__(self, bootstrap: str, topic: str, rate: float) -> None:
        super().__init__(name=f"producer-{topic}", daemon=True)
        self.topic, self.rate = topic, rate
        self.producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
        self.stopping = threading.Event()
        self.first_ack = threading.Event()
        self.began_at: float | None = None  # wall time of the first send
        self.started_at: float | None = None
        self.stopped_at: float | None = None
        self.acked = 0
        self.errors: list[BaseException] = []
        self._lock = threading.Lock()

    def _ack(self, _metadata: Any) -> None:
        with self._lock:
            self.acked += 1
            if self.started_at is None:
                self.started_at = time.time()
                self.first_ack.set()

    def run(self) -> None:
        t0, self.began_at = time.monotonic(), time.time()
        i = 0
        try:
            while not self.stopping.is_set():
                due = t0 + i / self.rate
                now = time.monotonic()
                if due > now:
                    self.stopping.wait(due - now)
                    continue
                future = self.producer.send(self.topic, f"m{i}".encode())
                future.add_callback(self._ack)
                future.add_errback(self.errors.append)
                i += 1
            self.producer.flush(timeout=10)
            self.stopped_at = time.time()
        finally:
            self.producer.close(timeout=10)

    def start_and_wait(self, timeout: float = 15) -> float:
        """Start writing; return the wall time of the first acknowledged write."""
        self.start()
        assert self.first_ack.wait(timeout), f"no write to {self.topic} acknowledged within {timeout} s"
        assert self.started_at is not None
        return self.started_at

    def stop(self) -> None:
        self.stopping.set()
        self.join(timeout=20)
        assert not self.errors, f"writes to {self.topic} failed: {self.errors[:3]}"

    def measured_rate(self) -> float:
        """Acknowledged writes per second from the first send to the final flush."""
        assert self.began_at is not None and self.stopped_at is not None
        return self.acked / (self.stopped_at - self.began_at)


class GroupReader(threading.Thread):
    """A consumer group member that reads a topic and commits after every batch, until
    stopped; stopping closes the consumer, which leaves the group."""

    def __init__(self, bootstrap: str, topic: str, group: str) -> None:
        super().__init__(name=f"reader-{group}", daemon=True)
        self.consumer = KafkaConsumer(
            topic,
            bootstrap_servers=bootstrap,
            group_id=group,
            auto_offset_reset="earliest",
            enable_auto_commit=False,
        )
        self.stopping = threading.Event()
        self.committed_once = threading.Event()
        self.read = 0
        self.errors: list[BaseException] = []

    def run(self) -> None:
        try:
            while not self.stopping.is_set():
                batch = self.consumer.poll(timeout_ms=100)
                if batch:
                    self.read += sum(len(records) for records in batch.values())
                    self.consumer.commit()
                    self.committed_once.set()
        except BaseException as exc:  # reported by stop()
            self.errors.append(exc)
        finally:
            self.consumer.close()  # sends LeaveGroup: the group has no member from here on

    def stop(self) -> float:
        """Stop reading and leave the group; return the wall time when it is done."""
        self.stopping.set()
        self.join(timeout=20)
        assert not self.is_alive(), "the consumer did not stop"
        assert not self.errors, f"the consumer failed: {self.errors[:3]}"
        return time.time()


def journal_since(cluster_id: int, since: float) -> list[dict[str, Any]]:
    """Polls of the cluster (from the product's poll journal) that started after `since`,
    oldest first."""
    return sorted((e for e in poll_journal(cluster_id=cluster_id) if e["started"] > since), key=lambda e: e["started"])


def wait_until(check: Callable[[], Any], timeout: float, what: str, every: float = 0.1) -> Any:
    """Call `check` until it returns something truthy; return that, or fail naming `what`."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"{what}: not within {timeout} s")
        time.sleep(every)
