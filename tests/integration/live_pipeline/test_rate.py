"""A steady producer, measured end to end: real beat -> real worker -> real broker ->
Redis channel layer -> websocket. The topic's messages/s points match the produced rate.

When the rate is measurable: a rate is the end-offset delta between two polls. The
first poll that STARTS after the first acknowledged write (poll k, from the product's
poll journal) is the first whose snapshot sees production under way; the point of poll
k itself spans the time before production began and is partial. From poll k+1 on, both
ends of the interval lie inside steady production. So "the rate becomes measurable" at
the start of poll k, and the test asserts that the first in-tolerance point arrives at
most two poll intervals later (expected: one interval plus the dispatcher's 1 s tick
jitter plus the poll's own duration)."""

from __future__ import annotations

import uuid

import pytest
from kafka.admin import KafkaAdminClient, NewTopic

from tests.integration.live_pipeline.live import PacedProducer, journal_since, wait_until
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db(transaction=True)

POLL_S = 2
RATE = 50.0  # messages per second
TOLERANCE = 0.20
STEADY_POINTS = 3  # in-tolerance points in a row after the rate becomes measurable


def test_topic_rate_points_match_the_produced_rate(stack_env, make_cluster, start_pipeline, live_socket):
    bootstrap = stack_env["KAFKA_BOOTSTRAP"]
    cluster = make_cluster(bootstrap, POLL_S)
    topic = f"pipe-rate-{uuid.uuid4().hex[:8]}"
    procs = start_pipeline()
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()

    # The worker learns the topic at its next poll; then a socket may watch it.
    topic_pk = wait_until(
        lambda: TopicMeta.objects.filter(cluster=cluster, name=topic).values_list("pk", flat=True).first(),
        30,
        f"the worker never stored topic {topic}; logs:\n{procs.logs()}",
    )
    ws = live_socket()
    assert ws.subscribe(cluster.pk, topic=topic)["subscribed"] == f"topic.{topic_pk}"
    # Before any write: 0 messages/s once two polls saw the topic (null, "no rate yet", only
    # at the poll that first saw it), never a phantom rate.
    _, idle = ws.wait_for(
        lambda m: m.get("event") == "topic.points" and m["data"]["series"]["topic.messages_per_s"][topic] == 0,
        timeout=4 * POLL_S,
    )
    assert idle["group"] == f"topic.{topic_pk}"
    assert idle["data"]["topic"] == topic
    assert set(idle["data"]["series"]) == {"topic.messages_per_s", "topic.bytes_per_s"}
    before = [m["data"]["series"]["topic.messages_per_s"][topic] for _, m in ws.events("topic.points")]
    assert set(before) <= {None, 0}, before

    producer = PacedProducer(bootstrap, topic, RATE)
    producing_since = producer.start_and_wait()
    try:
        first_poll = wait_until(
            lambda: journal_since(cluster.pk, producing_since),
            4 * POLL_S,
            f"no poll started after production began; logs:\n{procs.logs()}",
        )[0]
        measurable_at = first_poll["started"]

        def rated_points() -> list[tuple[float, float, float]]:
            """(arrival, poll time, messages/s) of the points of polls after poll k."""
            out = []
            for arrived, message in ws.events("topic.points", since=first_poll["finished"]):
                value = message["data"]["series"]["topic.messages_per_s"][topic]
                out.append((arrived, message["data"]["at"], value))
            return out

        points = wait_until(
            lambda: (p := rated_points()) and len(p) >= STEADY_POINTS and p,
            (STEADY_POINTS + 3) * POLL_S,
            f"fewer than {STEADY_POINTS} rate points after {measurable_at}; logs:\n{procs.logs()}",
            every=0.05,
        )
    finally:
        producer.stop()

    produced = producer.measured_rate()
    assert abs(produced - RATE) / RATE < 0.05, f"the producer wrote {produced:.1f} msg/s, not {RATE}"
    values = [round(value, 2) for _, _, value in points]
    for _, _, value in points[:STEADY_POINTS]:
        assert value is not None and abs(value - RATE) <= TOLERANCE * RATE, f"rates {values} vs {RATE} msg/s"
    first_arrival = points[0][0]
    delay = first_arrival - measurable_at
    print(
        f"\nrate points {values} msg/s (produced {produced:.2f}); first poll after production started "
        f"{measurable_at - producing_since:.2f} s after the first write; first in-tolerance point arrived "
        f"{delay:.2f} s after that poll started (limit {2 * POLL_S} s)"
    )
    assert delay <= 2 * POLL_S, f"first in-tolerance point came {delay:.2f} s after the rate became measurable"
    assert procs.alive(), procs.logs()
