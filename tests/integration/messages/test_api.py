"""Browse and produce over the API against the real broker."""

import json
import time

import pytest

from access.models import AuditEvent, Grant
from tests.grants import grant

pytestmark = pytest.mark.django_db


def _url(cluster, topic, suffix=""):
    return f"/api/v1/clusters/{cluster.pk}/topics/{topic}/messages/{suffix}"


def _browse(api, cluster, topic, **params):
    response = api.get(_url(cluster, topic), params)
    assert response.status_code == 200, response.content
    return response.json()


def _ids(body):
    return [(m["partition"], m["offset"]) for m in body["messages"]]


def test_produce_then_browse_finds_exactly_the_produced_messages(api, local_cluster, make_topic):
    topic = make_topic(partitions=3)
    sent = []
    for i in range(5):
        response = api.post(_url(local_cluster, topic), {"key": f"k{i}", "value": f"value {i}"}, format="json")
        assert response.status_code == 201, response.content
        sent.append((response.json()["partition"], response.json()["offset"], f"k{i}", f"value {i}"))
    body = _browse(api, local_cluster, topic, start="earliest")
    got = sorted((m["partition"], m["offset"], m["key"]["text"], m["value"]["text"]) for m in body["messages"])
    assert got == sorted(sent)
    assert body["stop_reason"] == "end" and body["done"] is True
    assert body["scanned"] == 5
    assert sorted(p["partition"] for p in body["partitions"]) == [0, 1, 2]
    event = AuditEvent.objects.filter(action="message.produce", target=topic).latest("id")
    assert event.result == "ok" and event.after["offset"] == sent[-1][1]
    assert "value 4" not in json.dumps(event.before)  # sizes only, never the payload


def test_filters_return_exactly_the_matching_messages(api, local_cluster, make_topic, producer):
    topic = make_topic(partitions=2)
    producer.send(topic, b'{"status":"paid"}', key=b"order-1", headers=[("source", b"web")])
    producer.send(topic, b'{"status":"open"}', key=b"order-2", headers=[("source", b"app")])
    producer.send(topic, b"paid", key=b"invoice-1", headers=[("source", b"web"), ("trace", b"x")])
    producer.send(topic, b"paid in full", key=None)

    def keys(**filters):
        body = _browse(api, local_cluster, topic, start="earliest", **filters)
        return sorted(m["key"]["text"] or "-" for m in body["messages"])

    assert keys(key="order") == ["order-1", "order-2"]
    assert keys(key="order-1", key_match="exact") == ["order-1"]
    assert keys(value="paid", value_match="exact") == ["invoice-1"]
    assert keys(value="paid") == ["-", "invoice-1", "order-1"]
    assert keys(header="source", header_value="web", header_match="exact") == ["invoice-1", "order-1"]
    assert keys(header="trace") == ["invoice-1"]
    assert keys(key="order", header="source", header_value="app") == ["order-2"]


def test_positions_offset_timestamp_latest_and_one_partition(api, local_cluster, make_topic, producer):
    topic = make_topic(partitions=2)
    base = int(time.time() * 1000) - 60_000
    for i in range(10):
        producer.send(topic, f"m{i}".encode(), partition=0, timestamp_ms=base + i * 1000)
    producer.send(topic, b"other", partition=1, timestamp_ms=base)

    body = _browse(api, local_cluster, topic, start="offset", offset=4, partition=0, limit=3)
    assert _ids(body) == [(0, 4), (0, 5), (0, 6)]
    assert body["stop_reason"] == "result_limit" and body["cursor"] == "0:7"

    body = _browse(api, local_cluster, topic, start="timestamp", timestamp=base + 5000, partition=0)
    assert _ids(body) == [(0, 5), (0, 6), (0, 7), (0, 8), (0, 9)]
    assert body["messages"][0]["timestamp_ms"] == base + 5000
    assert body["messages"][0]["timestamp_type"] == "CreateTime"

    body = _browse(api, local_cluster, topic, start="latest", limit=3, partition=0)
    assert _ids(body) == [(0, 7), (0, 8), (0, 9)]

    body = _browse(api, local_cluster, topic, start="latest", limit=3)
    assert _ids(body) == [(0, 7), (0, 8), (0, 9)]  # newest three over all partitions

    body = _browse(api, local_cluster, topic, start="earliest", partition=1)
    assert [m["value"]["text"] for m in body["messages"]] == ["other"]


def test_scan_limit_stops_and_continue_resumes_without_duplicates_or_gaps(api, local_cluster, make_topic, producer):
    topic = make_topic(partitions=3)
    for i in range(40):
        producer.send(topic, f"n{i}".encode(), key=f"k{i % 7}".encode())
    seen, rounds = [], 0
    params = {"start": "earliest", "max_scan": 9, "limit": 1000}
    while True:
        body = _browse(api, local_cluster, topic, **params)
        rounds += 1
        assert body["scanned"] <= 9
        seen += _ids(body)
        if body["done"]:
            assert body["stop_reason"] == "end"
            break
        assert body["stop_reason"] == "scan_limit"
        params["cursor"] = body["cursor"]
        assert rounds < 20
    assert len(seen) == 40 and len(set(seen)) == 40
    for p in range(3):
        offsets = sorted(o for part, o in seen if part == p)
        assert offsets == list(range(len(offsets)))  # no gap in any partition
    assert rounds == 5


def test_filtered_scan_with_limit_counts_scanned_and_continues(api, local_cluster, make_topic, producer):
    topic = make_topic(partitions=1)
    for i in range(30):
        producer.send(topic, b"hit" if i % 10 == 9 else b"miss")
    body = _browse(api, local_cluster, topic, start="earliest", value="hit", value_match="exact", max_scan=15)
    assert _ids(body) == [(0, 9)] and body["scanned"] == 15 and body["cursor"] == "0:15"
    body = _browse(api, local_cluster, topic, start="earliest", value="hit", value_match="exact", cursor=body["cursor"])
    assert _ids(body) == [(0, 19), (0, 29)] and body["done"]


def test_decoding_json_text_and_binary(api, local_cluster, make_topic, producer):
    topic = make_topic()
    producer.send(topic, b'{"a": [1, 2]}', key=b"\x00\x01")
    producer.send(topic, "héllo".encode())
    producer.send(topic, b"\xff\xfe\x00")
    body = _browse(api, local_cluster, topic, start="earliest")
    values = [m["value"] for m in body["messages"]]
    assert [v["format"] for v in values] == ["json", "text", "hex"]
    assert values[0]["text"] == '{\n  "a": [\n    1,\n    2\n  ]\n}'
    assert values[1]["text"] == "héllo" and values[2]["text"] == "ff fe 00"
    assert body["messages"][0]["key"] == {"format": "hex", "text": "00 01", "size": 2}
    forced = _browse(api, local_cluster, topic, start="earliest", decode="hex")
    assert forced["messages"][1]["value"]["text"] == "68 c3 a9 6c 6c 6f"
    as_text = _browse(api, local_cluster, topic, start="earliest", decode="text")
    assert as_text["messages"][0]["value"] == {"format": "text", "text": '{"a": [1, 2]}', "size": 13}


def test_produce_with_headers_and_partition_then_fetch_the_message(api, local_cluster, make_topic):
    topic = make_topic(partitions=3)
    body = {
        "key": "user-9",
        "value": '{"ok": true}',
        "value_format": "json",
        "headers": [{"key": "trace-id", "value": "abc"}, {"key": "source", "value": "signalbox"}],
        "partition": 2,
    }
    first = api.post(_url(local_cluster, topic), body, format="json")
    second = api.post(_url(local_cluster, topic), body, format="json")
    assert first.status_code == 201, first.content
    assert (first.json()["partition"], first.json()["offset"]) == (2, 0)
    assert (second.json()["partition"], second.json()["offset"]) == (2, 1)
    detail = api.get(_url(local_cluster, topic, "2/1/"))
    assert detail.status_code == 200, detail.content
    message = detail.json()
    assert message["headers"] == [
        {"key": "trace-id", "value": {"format": "text", "text": "abc", "size": 3}},
        {"key": "source", "value": {"format": "text", "text": "signalbox", "size": 9}},
    ]
    assert message["key"]["text"] == "user-9" and message["value"]["format"] == "json"
    assert message["timestamp_type"] == "CreateTime" and message["timestamp_ms"] == second.json()["timestamp_ms"]
    assert api.get(_url(local_cluster, topic, "2/5/")).status_code == 404


def test_produce_by_key_uses_one_partition(api, local_cluster, make_topic):
    topic = make_topic(partitions=4)
    partitions = {
        api.post(_url(local_cluster, topic), {"key": "same", "value": str(i)}, format="json").json()["partition"]
        for i in range(4)
    }
    assert len(partitions) == 1


def test_download_is_a_json_attachment_of_the_result(api, local_cluster, make_topic, producer):
    topic = make_topic()
    producer.send(topic, b"one")
    producer.send(topic, b"two")
    response = api.get(_url(local_cluster, topic, "download/"), {"start": "earliest"})
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith(f'attachment; filename="{topic}-messages-')
    body = json.loads(response.content)
    assert [m["value"]["text"] for m in body["messages"]] == ["one", "two"]


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "timestamp", "timestamp": str(int(time.time() * 1000) + 86_400_000)}, "timestamp"),
        ({"start": "offset", "offset": 50, "partition": 0}, "offset"),
        ({"start": "offset", "offset": 50}, "offset"),
        ({"partition": 7}, "partition"),
        ({"cursor": "9:0"}, "cursor"),
        ({"cursor": "0:99"}, "cursor"),
        ({"max_scan": 20000}, "max_scan"),
    ],
)
def test_bad_browse_inputs_are_400_naming_the_field(api, local_cluster, make_topic, producer, params, field):
    topic = make_topic(partitions=2)
    producer.send(topic, b"x", partition=0)
    response = api.get(_url(local_cluster, topic), params)
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"], response.json()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "x", "partition": 3}, "partition"),
        ({"value": "{oops", "value_format": "json"}, "value"),
        ({"value": "x", "partition": "first"}, "partition"),
        ({"key": None, "value": None}, "value"),
    ],
)
def test_bad_produce_inputs_are_400_naming_the_field(api, local_cluster, make_topic, body, field):
    topic = make_topic(partitions=2)
    response = api.post(_url(local_cluster, topic), body, format="json")
    assert response.status_code == 400, response.content
    assert field in response.json()["errors"]


def test_unknown_topic_is_404_for_browse_and_produce(api, local_cluster, stack_env):
    assert api.get(_url(local_cluster, "no-such-topic-here")).status_code == 404
    response = api.post(_url(local_cluster, "no-such-topic-here"), {"value": "x"}, format="json")
    assert response.status_code == 404
    assert "does not exist" in response.json()["detail"]


def test_viewer_may_browse_but_not_produce(viewer, viewer_api, local_cluster, make_topic, producer):
    topic = make_topic()
    producer.send(topic, b"visible")
    # Payloads need the grant's read-messages flag, whatever the role.
    grant(viewer, local_cluster, "viewer")
    refused = viewer_api.get(_url(local_cluster, topic), {"start": "earliest"})
    assert refused.status_code == 403 and "read messages" in refused.json()["detail"]
    assert "visible" not in refused.content.decode()
    Grant.objects.filter(user=viewer).update(read_messages=True)
    body = _browse(viewer_api, local_cluster, topic, start="earliest")
    assert [m["value"]["text"] for m in body["messages"]] == ["visible"]
    response = viewer_api.post(_url(local_cluster, topic), {"value": "nope"}, format="json")
    assert response.status_code == 403
    assert AuditEvent.objects.filter(action="message.produce", result="denied").exists()
    assert _browse(viewer_api, local_cluster, topic, start="earliest")["count"] == 1
    # Producing is for operators.
    Grant.objects.filter(user=viewer).update(role="operator")
    response = viewer_api.post(_url(local_cluster, topic), {"value": "by an operator"}, format="json")
    assert response.status_code == 201, response.content
    texts = [m["value"]["text"] for m in _browse(viewer_api, local_cluster, topic, start="earliest")["messages"]]
    assert texts == ["visible", "by an operator"]


def test_read_only_cluster_refuses_produce_but_allows_browse(api, local_cluster, make_topic, producer):
    topic = make_topic()
    producer.send(topic, b"kept")
    local_cluster.read_only = True
    local_cluster.save()
    response = api.post(_url(local_cluster, topic), {"value": "nope"}, format="json")
    assert response.status_code == 403
    assert "read-only" in response.json()["detail"]
    assert _browse(api, local_cluster, topic, start="earliest")["count"] == 1
