"""Producers and consumers that generate demo traffic, so every chart has something
real to show. Used by `manage.py demo_traffic`; not by the product itself."""

from __future__ import annotations

import contextlib
import json
import logging
import random
import threading
import time
from dataclasses import dataclass

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import NewTopic
from kafka.errors import TopicAlreadyExistsError

from clusters.gateway.connection import admins, client_config
from clusters.gateway.types import ConnectionSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class DemoTopic:
    name: str
    partitions: int
    messages_per_s: float


@dataclass(frozen=True)
class DemoGroup:
    """A consumer group reading one topic. `max_per_s` caps its speed (None = keep up);
    `stop_after_s` makes it stop consuming (and committing) after that long."""

    group_id: str
    topic: str
    max_per_s: float | None = None
    stop_after_s: float | None = None


def topics_ensure(settings: ConnectionSettings, topics: list[DemoTopic]) -> list[str]:
    """Create the topics that do not exist yet; returns the names created."""
    with admins.admin(settings, "creating demo topics") as admin:
        existing = set(admin.list_topics())
        missing = [NewTopic(t.name, t.partitions, 1) for t in topics if t.name not in existing]
        if missing:
            with contextlib.suppress(TopicAlreadyExistsError):  # created meanwhile by another run
                admin.create_topics(missing)
    return [t.name for t in missing]


def _value(topic: str, n: int) -> bytes:
    return json.dumps({"id": n, "topic": topic, "amount": round(random.uniform(1, 500), 2), "at": time.time()}).encode()


def produce_forever(settings: ConnectionSettings, topic: DemoTopic, stop: threading.Event) -> None:
    """Produce to `topic` at its rate until `stop` is set, reconnecting after errors."""
    n = 0
    while not stop.is_set():
        try:
            producer = KafkaProducer(**client_config(settings), linger_ms=20, acks=1)
        except Exception as exc:
            log.warning("demo producer for %s cannot connect (%s); retrying in 5 s", topic.name, exc)
            stop.wait(5)
            continue
        try:
            tick = 0.1
            per_tick = topic.messages_per_s * tick
            carry = 0.0
            while not stop.is_set():
                started = time.monotonic()
                # Vary the rate a little so the charts are not flat lines.
                carry += per_tick * random.uniform(0.6, 1.4)
                count, carry = int(carry), carry - int(carry)
                for _ in range(count):
                    n += 1
                    producer.send(topic.name, key=f"key-{n % 97}".encode(), value=_value(topic.name, n))
                stop.wait(max(0.0, tick - (time.monotonic() - started)))
        except Exception as exc:
            log.warning("demo producer for %s failed (%s); reconnecting", topic.name, exc)
        finally:
            producer.close(timeout=2)


def consume_forever(settings: ConnectionSettings, group: DemoGroup, stop: threading.Event) -> None:
    """Consume as `group` (at most `max_per_s`), committing every few seconds."""
    started = time.monotonic()
    while not stop.is_set():
        try:
            consumer = KafkaConsumer(
                group.topic,
                **client_config(settings),
                group_id=group.group_id,
                auto_offset_reset="earliest",
                enable_auto_commit=True,
                auto_commit_interval_ms=2000,
                max_poll_records=50 if group.max_per_s else 500,
            )
        except Exception as exc:
            log.warning("demo consumer %s cannot connect (%s); retrying in 5 s", group.group_id, exc)
            stop.wait(5)
            continue
        try:
            while not stop.is_set():
                if group.stop_after_s is not None and time.monotonic() - started > group.stop_after_s:
                    log.info("demo consumer %s stops consuming now (by design)", group.group_id)
                    consumer.close()
                    stop.wait()
                    return
                batch = consumer.poll(timeout_ms=500)
                count = sum(len(records) for records in batch.values())
                if group.max_per_s and count:
                    stop.wait(count / group.max_per_s)
        except Exception as exc:
            log.warning("demo consumer %s failed (%s); reconnecting", group.group_id, exc)
        finally:
            try:
                consumer.close()
            except Exception as exc:
                log.debug("closing demo consumer %s: %s", group.group_id, exc)
