"""Registry wire format against the real registry and broker: messages written by another client
are decoded in the browser (API and page), and producing with a subject encodes them."""

from __future__ import annotations

import decimal
import io
import json
import socket
import struct
import time
import uuid

import fastavro
import pytest

from access.models import AuditEvent
from schemas import serde
from tests.grants import grant

pytestmark = pytest.mark.django_db

USER = {
    "type": "record",
    "name": "User",
    "namespace": "test.serde",
    "fields": [
        {"name": "name", "type": "string"},
        {"name": "age", "type": ["null", "int"], "default": None},
        {"name": "balance", "type": {"type": "bytes", "logicalType": "decimal", "precision": 9, "scale": 2}},
        {"name": "avatar", "type": "bytes"},
    ],
}
ADDRESS = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"street": {"type": "string"}, "number": {"type": "integer"}},
    "required": ["street"],
}


def _url(cluster, topic, suffix=""):
    return f"/api/v1/clusters/{cluster.pk}/topics/{topic}/messages/{suffix}"


def _browse(api, cluster, topic, **params):
    response = api.get(_url(cluster, topic), {"start": "earliest", **params})
    assert response.status_code == 200, response.content
    return response.json()


def _avro_bytes(schema_id: int, record: dict) -> bytes:
    """Wire format built independently of our encoder, as a Confluent client would write it."""
    out = io.BytesIO()
    fastavro.schemaless_writer(out, fastavro.parse_schema(USER), record)
    return b"\x00" + struct.pack(">I", schema_id) + out.getvalue()


def _subject(topic: str) -> str:
    return f"{topic}-value"  # TopicNameStrategy


@pytest.fixture(autouse=True)
def _fresh_cache():
    serde.SCHEMAS.clear()


def test_avro_message_written_by_another_client_is_decoded_in_the_browse_api(
    api, registry_cluster, make_topic, send, register
):
    topic = make_topic()
    schema_id = register(_subject(topic), json.dumps(USER))

    send(
        topic,
        _avro_bytes(schema_id, {"name": "Ada", "age": 36, "balance": decimal.Decimal("10.25"), "avatar": b"\x01\x02"}),
    )
    send(topic, b'{"plain": "json"}')
    body = _browse(api, registry_cluster, topic)
    first, second = body["messages"]
    assert first["value"]["format"] == "registry"
    assert first["value_schema_id"] == schema_id and first["value_schema_type"] == "AVRO"
    assert first["value_decoded"] == {"name": "Ada", "age": 36, "balance": "10.25", "avatar": "AQI="}
    assert json.loads(first["value"]["text"]) == first["value_decoded"]
    assert first["value_decode_error"] is None and first["key_schema_id"] is None
    # A plain JSON message in the same topic is still shown as JSON by `auto`.
    assert second["value"]["format"] == "json" and second["value_schema_id"] is None


def test_browse_page_shows_the_decoded_record_and_its_schema_id(page, registry_cluster, make_topic, send, register):
    topic = make_topic()
    schema_id = register(_subject(topic), json.dumps(USER))

    send(
        topic, _avro_bytes(schema_id, {"name": "Grace", "age": None, "balance": decimal.Decimal("1.50"), "avatar": b""})
    )
    response = page.get(f"/clusters/{registry_cluster.pk}/topics/{topic}/messages/", {"start": "earliest"})
    assert response.status_code == 200
    html = response.content.decode()
    assert f"Schema id {schema_id} · AVRO" in html
    assert "&quot;name&quot;: &quot;Grace&quot;" in html and "&quot;balance&quot;: &quot;1.50&quot;" in html
    assert f"avro · schema {schema_id}" in html


def test_produce_with_value_subject_encodes_with_the_latest_schema_and_reads_back(
    api, registry_cluster, make_topic, register
):
    topic = make_topic()
    schema_id = register(_subject(topic), json.dumps(USER))
    value = {"name": "Linus", "age": 54, "balance": "99.99", "avatar": "AAEC"}
    response = api.post(
        _url(registry_cluster, topic),
        {"key": "u1", "value": json.dumps(value), "value_subject": _subject(topic)},
        format="json",
    )
    assert response.status_code == 201, response.content
    [message] = _browse(api, registry_cluster, topic, decode="registry")["messages"]
    assert message["value_schema_id"] == schema_id and message["value_decoded"] == value
    assert message["key"]["text"] == "u1" and message["key_decode_error"]  # a plain key is not wire format
    event = AuditEvent.objects.filter(action="message.produce", target=topic).latest("id")
    assert event.before["value_subject"]["schema_id"] == schema_id
    assert "Linus" not in json.dumps(event.before)


def test_produce_with_json_schema_subject_round_trips(api, registry_cluster, make_topic, register):
    topic = make_topic()
    schema_id = register(_subject(topic), json.dumps(ADDRESS), "JSON")
    response = api.post(
        _url(registry_cluster, topic),
        {"value": '{"street": "Main", "number": 7}', "value_subject": _subject(topic)},
        format="json",
    )
    assert response.status_code == 201, response.content
    [message] = _browse(api, registry_cluster, topic)["messages"]
    assert message["value_schema_id"] == schema_id and message["value_schema_type"] == "JSON"
    assert message["value_decoded"] == {"street": "Main", "number": 7}
    refused = api.post(
        _url(registry_cluster, topic), {"value": '{"number": 7}', "value_subject": _subject(topic)}, format="json"
    )
    assert refused.status_code == 400 and "street" in refused.json()["errors"]["value"][0]


def test_produce_value_not_fitting_the_schema_is_a_400_naming_value_and_writes_nothing(
    api, registry_cluster, make_topic, register
):
    topic = make_topic()
    register(_subject(topic), json.dumps(USER))
    response = api.post(
        _url(registry_cluster, topic),
        {"value": '{"name": 5, "balance": "1.00", "avatar": ""}', "value_subject": _subject(topic)},
        format="json",
    )
    assert response.status_code == 400
    assert "User.name is 5, expected string" in response.json()["errors"]["value"][0]
    assert _browse(api, registry_cluster, topic)["count"] == 0


def test_unknown_subject_and_missing_registry_are_400s_naming_value_subject(
    api, local_cluster, make_topic, registry_url
):
    topic = make_topic()
    no_registry = api.post(_url(local_cluster, topic), {"value": "{}", "value_subject": "x-value"}, format="json")
    assert no_registry.status_code == 400
    assert "no schema registry URL" in no_registry.json()["errors"]["value_subject"][0]
    local_cluster.schema_registry_url = registry_url
    local_cluster.save()
    missing = f"missing-{uuid.uuid4().hex[:8]}"
    unknown = api.post(_url(local_cluster, topic), {"value": "{}", "value_subject": missing}, format="json")
    assert unknown.status_code == 400 and missing in unknown.json()["errors"]["value_subject"][0]


def test_unknown_schema_id_is_a_per_message_error_not_a_failed_page(page, api, registry_cluster, make_topic, send):
    topic = make_topic()
    send(topic, serde.header(987654) + b"\x02\x04")
    [message] = _browse(api, registry_cluster, topic)["messages"]
    assert message["value_schema_id"] == 987654 and message["value_decoded"] is None
    assert "987654" in message["value_decode_error"] and message["value"]["format"] == "hex"
    response = page.get(f"/clusters/{registry_cluster.pk}/topics/{topic}/messages/", {"start": "earliest"})
    assert response.status_code == 200 and "messages-decode-error" in response.content.decode()


def test_registry_down_gives_per_message_errors_fast(api, local_cluster, make_topic, send):
    with socket.socket() as s:  # a port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    local_cluster.schema_registry_url = f"http://127.0.0.1:{port}/apis/ccompat/v7"
    local_cluster.save()
    topic = make_topic()
    for i in range(20):
        send(topic, serde.header(1000 + i) + b"\x02")
    started = time.monotonic()
    body = _browse(api, local_cluster, topic)
    assert time.monotonic() - started < 10
    assert body["count"] == 20
    assert all(m["value_decode_error"] and str(port) in m["value_decode_error"] for m in body["messages"])


def test_viewer_cannot_produce_with_a_subject_and_read_only_cluster_refuses(
    viewer, viewer_api, api, registry_cluster, make_topic, register
):
    topic = make_topic()
    register(_subject(topic), json.dumps(USER))
    body = {"value": '{"name": "x", "balance": "1.00", "avatar": ""}', "value_subject": _subject(topic)}
    grant(viewer, registry_cluster, "viewer", read_messages=True)
    assert viewer_api.post(_url(registry_cluster, topic), body, format="json").status_code == 403
    # A viewer with read-messages browses decoded records.
    assert _browse(viewer_api, registry_cluster, topic)["count"] == 0
    registry_cluster.read_only = True
    registry_cluster.save()
    assert api.post(_url(registry_cluster, topic), body, format="json").status_code == 403
    assert _browse(api, registry_cluster, topic)["count"] == 0


def test_produce_page_encodes_key_and_value_with_subjects_and_shows_errors_by_the_field(
    page, api, registry_cluster, make_topic, register
):
    topic = make_topic()
    key_id = register(f"{topic}-key", '{"type": "record", "name": "Key", "fields": [{"name": "id", "type": "long"}]}')
    value_id = register(_subject(topic), json.dumps(USER))
    url = f"/clusters/{registry_cluster.pk}/topics/{topic}/produce/"
    form = page.get(url).content.decode()
    assert (
        'name="value_subject"' in form
        and 'name="key_subject"' in form
        and "disabled" not in form.split("id_value_subject")[1][:200]
    )
    bad = page.post(
        url,
        {"key": '{"id": 1}', "key_subject": f"{topic}-key", "value": '{"name": "x"}', "value_subject": _subject(topic)},
    )
    assert bad.status_code == 400
    assert '<div class="field invalid" id="field-value">' in bad.content.decode()
    assert "User.balance is None, expected decimal" in bad.content.decode()
    good = page.post(
        url,
        {
            "key": '{"id": 1}',
            "key_subject": f"{topic}-key",
            "value": '{"name": "x", "balance": "3.10", "avatar": ""}',
            "value_subject": _subject(topic),
        },
    )
    assert good.status_code == 200 and 'id="produced"' in good.content.decode()
    [message] = _browse(api, registry_cluster, topic)["messages"]
    assert (message["key_schema_id"], message["key_decoded"]) == (key_id, {"id": 1})
    assert (message["value_schema_id"], message["value_decoded"]["balance"]) == (value_id, "3.10")
