"""Kafka fixtures written straight to the broker (bypassing Signalbox), shared by tests."""

from __future__ import annotations

import time
import uuid

from kafka import KafkaConsumer, KafkaProducer
from kafka.admin import KafkaAdminClient, NewTopic


def caught_up_group(bootstrap: str, prefix: str, messages: int = 5) -> tuple[str, str]:
    """A fresh one-partition topic with `messages` records and a group that read them all
    and committed: (topic, group), with lag 0 and no active member."""
    topic = f"{prefix}-{uuid.uuid4().hex[:8]}"
    group = f"{prefix}-reader-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(messages):
        producer.send(topic, f"m{i}".encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, group_id=group, auto_offset_reset="earliest", enable_auto_commit=False
    )
    read, deadline = 0, time.monotonic() + 30
    while read < messages and time.monotonic() < deadline:
        read += sum(len(v) for v in consumer.poll(timeout_ms=500).values())
    consumer.commit()
    consumer.close()
    return topic, group
