"""A consumer that stops while its topic keeps receiving messages: the group's live
points (real worker, real beat, real broker, websocket) show the lag growing poll after
poll and the status turning from OK to ERR within the lag window, and the metric
history API returns the same growing values.

Lag window: the worker runs with LAG_WINDOW_POLLS=3. The status rules judge the last 3
commit points; the committed offset is frozen once the consumer is gone, so as soon as
the window holds only polls that saw some lag (every poll after the stop once a message
arrived), no point in it has lag 0 and the partition is STOP (no members) -> group ERR.
That is the W-th post-stop poll with a non-zero lag at the latest, which is asserted."""

from __future__ import annotations

import itertools
import uuid
from typing import Any

import pytest
from django.test import Client
from kafka.admin import KafkaAdminClient, NewTopic

from consumer_groups.models import GroupMeta
from tests.integration.live_pipeline.live import GroupReader, PacedProducer, journal_since, wait_until

pytestmark = pytest.mark.django_db(transaction=True)

POLL_S = 1
WINDOW = 3  # LAG_WINDOW_POLLS given to the worker
RATE = 10.0  # messages per second, during and after consumption
SMALL_LAG = RATE  # "small": at most one second of production behind
AFTER_STOP = WINDOW + 2  # post-stop points collected


def _lag(message: dict[str, Any], group: str) -> Any:
    return message["data"]["series"]["group.lag"][group]


def test_stopped_consumer_lag_grows_and_status_turns_err(
    stack_env, make_cluster, start_pipeline, live_socket, admin_user
):
    bootstrap = stack_env["KAFKA_BOOTSTRAP"]
    cluster = make_cluster(bootstrap, POLL_S)
    topic, group = f"pipe-lag-{uuid.uuid4().hex[:8]}", f"pipe-reader-{uuid.uuid4().hex[:8]}"
    procs = start_pipeline(LAG_WINDOW_POLLS=str(WINDOW))
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    admin.create_topics([NewTopic(topic, 1, 1)])
    admin.close()

    producer = PacedProducer(bootstrap, topic, RATE)
    producer.start_and_wait()
    reader = GroupReader(bootstrap, topic, group)
    reader.start()
    try:
        assert reader.committed_once.wait(30), "the consumer never committed"
        group_pk = wait_until(
            lambda: GroupMeta.objects.filter(cluster=cluster, group_id=group).values_list("pk", flat=True).first(),
            30,
            f"the worker never stored group {group}; logs:\n{procs.logs()}",
        )
        ws = live_socket()
        assert ws.subscribe(cluster.pk, group=group)["subscribed"] == f"group.{group_pk}"

        # While the consumer keeps up: OK, and the lag stays small.
        ws.wait_for(lambda m: m.get("event") == "group.points" and m["data"]["status"] == "OK", timeout=10 * POLL_S)
        wait_until(lambda: len(ws.events("group.points")) >= 4, 10 * POLL_S, "group points while consuming")
        consuming = [m for _, m in ws.events("group.points")]
        assert consuming[-1]["data"]["status"] == "OK", consuming[-1]["data"]
        assert all(0 <= _lag(m, group) <= SMALL_LAG for m in consuming[-3:]), [_lag(m, group) for m in consuming]
        assert consuming[-1]["data"]["members"] == 1

        stopped_at = reader.stop()  # the consumer leaves the group; production goes on

        def after_stop() -> list[dict[str, Any]]:
            """Points of the polls that started after the stop, oldest first."""
            polls = journal_since(cluster.pk, stopped_at)
            out = []
            for _, message in ws.events("group.points", since=stopped_at):
                at = message["data"]["at"]
                if any(p["started"] <= at <= p["finished"] + 0.001 for p in polls):
                    out.append(message["data"])
            return out

        points = wait_until(
            lambda: (p := after_stop()) and len(p) >= AFTER_STOP and p,
            (AFTER_STOP + 4) * POLL_S,
            f"fewer than {AFTER_STOP} group points after the stop; logs:\n{procs.logs()}",
            every=0.05,
        )
    finally:
        if reader.is_alive():
            reader.stop()
        producer.stop()

    lags = [p["series"]["group.lag"][group] for p in points]
    statuses = [p["status"] for p in points]
    print(f"\nafter the stop: lag {lags}, status {statuses}, members {[p['members'] for p in points]}")
    assert all(b > a for a, b in itertools.pairwise(lags)), f"lag does not grow strictly: {lags}"
    assert all(p["total_lag"] == lag for p, lag in zip(points, lags, strict=True))
    # Within the window: by the WINDOW-th post-stop poll that saw a lag, the group is ERR.
    lagging = [p for p in points if p["series"]["group.lag"][group] > 0]
    assert len(lagging) >= WINDOW, lags
    assert lagging[WINDOW - 1]["status"] == "ERR", statuses
    turned = statuses.index("ERR")
    assert all(s == "ERR" for s in statuses[turned:]), statuses  # and it stays ERR while nobody reads
    last = points[-1]
    assert last["members"] == 0, last
    assert "no active members" in last["status_reason"], last["status_reason"]

    # The metric history API serves the same growing values, at the same poll times.
    client = Client()
    client.force_login(admin_user)
    response = client.get(
        f"/api/v1/clusters/{cluster.pk}/metrics/history/", {"kind": "group.lag", "key": group, "range": "15m"}
    )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["kind"] == "group.lag" and body["unit"] == "messages" and body["resolution"] == "raw"
    history = [(t, v) for t, v in body["series"][group] if v is not None]
    for point, lag in zip(points, lags, strict=True):
        matches = [v for t, v in history if abs(t - point["at"]) < 0.001]
        assert matches == [lag], f"history has {matches} at {point['at']}, the live point said {lag}"
    tail = [v for t, v in history if t > stopped_at]
    assert len(tail) >= AFTER_STOP and all(b > a for a, b in itertools.pairwise(tail)), tail
    assert procs.alive(), procs.logs()
