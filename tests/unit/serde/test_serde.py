"""The registry wire format without a network: the fetcher is a plain function by design."""

from __future__ import annotations

import base64
import json
import struct
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.exceptions import ValidationError

from schemas import serde


@dataclass(frozen=True)
class Schema:
    id: int
    schema_type: str
    schema: str
    references: list[Any] = field(default_factory=list)
    subject: str | None = None


ORDER = {
    "type": "record",
    "name": "Order",
    "namespace": "shop",
    "fields": [
        {"name": "id", "type": "long"},
        {"name": "customer", "type": ["null", "string"], "default": None},
        {"name": "status", "type": {"type": "enum", "name": "Status", "symbols": ["OPEN", "PAID"]}},
        {"name": "amount", "type": {"type": "bytes", "logicalType": "decimal", "precision": 10, "scale": 2}},
        {"name": "placed", "type": {"type": "long", "logicalType": "timestamp-millis"}},
        {"name": "day", "type": {"type": "int", "logicalType": "date"}},
        {"name": "token", "type": "bytes"},
        {"name": "ref", "type": {"type": "string", "logicalType": "uuid"}},
        {
            "name": "lines",
            "type": {
                "type": "array",
                "items": {
                    "type": "record",
                    "name": "Line",
                    "fields": [{"name": "sku", "type": "string"}, {"name": "qty", "type": "int", "default": 1}],
                },
            },
        },
        {"name": "first", "type": ["null", "Line"], "default": None},
        {"name": "tags", "type": {"type": "map", "values": "double"}},
    ],
}
AVRO = Schema(id=7, schema_type="AVRO", schema=json.dumps(ORDER), subject="orders-value")
PERSON = {
    "$schema": "http://json-schema.org/draft-07/schema#",
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0}},
    "required": ["name"],
}
JSON_SCHEMA = Schema(id=9, schema_type="JSON", schema=json.dumps(PERSON))
PROTO = Schema(id=11, schema_type="PROTOBUF", schema='syntax = "proto3"; message M { string a = 1; }')

ORDER_JSON = {
    "id": 42,
    "customer": "ada",
    "status": "PAID",
    "amount": "12.50",
    "placed": "2025-01-31T12:00:00.123000+00:00",
    "day": "2025-01-31",
    "token": base64.b64encode(b"\x00\xffsecret").decode(),
    "ref": "0b6e0a9e-3d2f-4a43-9f0e-4b7f2f1f2a11",
    "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2"}],
    "first": {"sku": "A-1", "qty": 2},
    "tags": {"weight": 1.5},
}


def fetcher(*schemas):
    calls = []
    by_id = {s.id: s for s in schemas}

    def fetch(schema_id):
        calls.append(schema_id)
        if schema_id not in by_id:
            raise LookupError(f"schema {schema_id} not found in the registry")
        return by_id[schema_id]

    fetch.calls = calls  # type: ignore[attr-defined]
    return fetch


def test_avro_round_trip_records_unions_bytes_and_logical_types():
    raw = serde.encode(json.dumps(ORDER_JSON), AVRO)
    assert raw[:5] == b"\x00\x00\x00\x00\x07"
    decoded = serde.decode(raw, fetcher(AVRO))
    assert decoded.ok, decoded.error
    assert (decoded.schema_id, decoded.schema_type, decoded.subject) == (7, "AVRO", "orders-value")
    expected = {**ORDER_JSON, "lines": [{"sku": "A-1", "qty": 2}, {"sku": "B-2", "qty": 1}]}
    assert decoded.value == expected
    assert json.loads(decoded.pretty()) == expected


def test_avro_union_null_branch_and_missing_default_field():
    value = {**ORDER_JSON, "customer": None}
    del value["first"]
    decoded = serde.decode(serde.encode(json.dumps(value), AVRO), fetcher(AVRO))
    assert decoded.ok, decoded.error
    assert decoded.value["customer"] is None and decoded.value["first"] is None


def test_avro_bytes_written_by_another_client_are_shown_as_base64():
    schema = Schema(id=3, schema_type="AVRO", schema='{"type": "bytes"}')
    raw = b"\x00" + struct.pack(">I", 3) + b"\x06\x01\x02\xff"  # zig-zag length 3, then the bytes
    assert serde.decode(raw, fetcher(schema)).value == base64.b64encode(b"\x01\x02\xff").decode()


def test_json_schema_round_trip():
    raw = serde.encode('{"name": "Ada", "age": 36}', JSON_SCHEMA)
    assert raw[:5] == b"\x00\x00\x00\x00\x09"
    assert json.loads(raw[5:]) == {"name": "Ada", "age": 36}
    decoded = serde.decode(raw, fetcher(JSON_SCHEMA))
    assert decoded.ok and decoded.value == {"name": "Ada", "age": 36}
    assert decoded.schema_type == "JSON"


def test_json_payload_not_matching_its_schema_is_shown_with_the_reason():
    raw = serde.header(9) + b'{"age": -1}'
    decoded = serde.decode(raw, fetcher(JSON_SCHEMA))
    assert decoded.value == {"age": -1}
    assert "id 9" in decoded.error and ("name" in decoded.error or "minimum" in decoded.error)


def test_wrong_magic_byte_is_an_error_not_an_exception():
    decoded = serde.decode(b"\x01\x00\x00\x00\x07abc", fetcher(AVRO))
    assert decoded.schema_id is None and "0x01" in decoded.error
    assert "header alone" in serde.decode(b"\x00\x01", fetcher(AVRO)).error


def test_unknown_schema_id_names_the_id_and_the_fetchers_reason():
    decoded = serde.decode(serde.header(99) + b"\x02", fetcher(AVRO))
    assert decoded.schema_id == 99 and decoded.value is None
    assert "Schema id 99" in decoded.error and "not found" in decoded.error


def test_truncated_avro_payload_says_it_does_not_match():
    raw = serde.encode(json.dumps(ORDER_JSON), AVRO)
    decoded = serde.decode(raw[:12], fetcher(AVRO))
    assert decoded.schema_id == 7 and decoded.value is None
    assert "does not match Avro schema id 7" in decoded.error


def test_trailing_bytes_after_an_avro_record_are_reported():
    decoded = serde.decode(serde.encode(json.dumps(ORDER_JSON), AVRO) + b"\x00\x00", fetcher(AVRO))
    assert "2 byte(s) left over" in decoded.error


def test_protobuf_is_shown_as_hex_with_its_id():
    decoded = serde.decode(serde.header(11) + b"\x00\x0a\x01a", fetcher(PROTO))
    assert decoded.schema_id == 11 and decoded.schema_type == "PROTOBUF"
    assert decoded.error.startswith("protobuf: shown as hex")


@pytest.mark.parametrize(
    ("value", "needle"),
    [
        ({**ORDER_JSON, "id": "forty-two"}, "Order.id"),
        ({**ORDER_JSON, "status": "LOST"}, "LOST"),
        ({**ORDER_JSON, "colour": "red"}, "colour: not a field"),
        ({k: v for k, v in ORDER_JSON.items() if k != "id"}, "Order.id"),
    ],
)
def test_encode_value_not_fitting_the_avro_schema_names_the_value_field(value, needle):
    with pytest.raises(ValidationError) as info:
        serde.encode(json.dumps(value), AVRO)
    message = " ".join(info.value.message_dict["value"])
    assert needle in message and "schema id 7" in message


def test_encode_rejects_text_that_is_not_json_naming_the_given_field():
    with pytest.raises(ValidationError) as info:
        serde.encode("{nope", AVRO, field="key")
    assert "Not valid JSON" in info.value.message_dict["key"][0]


def test_encode_json_schema_mismatch_names_the_path():
    with pytest.raises(ValidationError) as info:
        serde.encode('{"name": "Ada", "age": -3}', JSON_SCHEMA)
    assert "at age" in info.value.message_dict["value"][0]


def test_encode_protobuf_is_refused_clearly():
    with pytest.raises(ValidationError) as info:
        serde.encode("{}", PROTO)
    assert "PROTOBUF" in info.value.message_dict["value"][0]


def test_looks_registered():
    assert serde.looks_registered(serde.header(5) + b"x")
    assert not serde.looks_registered(b"\x00\x00\x00\x00\x00x")  # id 0 is not plausible
    assert not serde.looks_registered(b"\x00\x80\x00\x00\x01x")  # negative as a signed id
    assert not serde.looks_registered(b'{"a": 1}')
    assert not serde.looks_registered(None)


def test_schema_cache_is_a_bounded_lru():
    cache = serde.SchemaCache(size=2)
    cache.put(("u", 1), AVRO)
    cache.put(("u", 2), JSON_SCHEMA)
    assert cache.get(("u", 1)) is AVRO  # 1 is now the most recent
    cache.put(("u", 3), PROTO)
    assert cache.get(("u", 2)) is None and cache.get(("u", 1)) is AVRO and len(cache) == 2


def test_registry_fetcher_caches_by_url_and_id_and_gives_up_once_the_registry_is_down():
    from schemas.registry import RegistryNotFound, RegistryUnreachable

    calls = []

    def lookup(url, schema_id):
        calls.append((url, schema_id))
        if url == "http://down":
            raise RegistryUnreachable("http://down refused the connection")
        if schema_id != 7:
            raise RegistryNotFound(f"schema {schema_id} not found")
        return AVRO

    cache = serde.SchemaCache()
    raw = serde.encode(json.dumps(ORDER_JSON), AVRO)
    for _ in range(3):  # three browses of 100 messages: one lookup in all
        fetch = serde.RegistryFetcher("http://up", cache=cache, lookup=lookup)
        assert all(serde.decode(raw, fetch).ok for _ in range(100))
    assert calls == [("http://up", 7)]
    fetch = serde.RegistryFetcher("http://up", cache=cache, lookup=lookup)
    assert [serde.decode(serde.header(8) + b"x", fetch).error for _ in range(5)][-1].startswith("Schema id 8:")
    assert calls.count(("http://up", 8)) == 1  # a missing id is asked once per browse
    assert serde.decode(raw, fetch).ok  # and other ids still work
    down = serde.RegistryFetcher("http://down", cache=cache, lookup=lookup)
    errors = [serde.decode(serde.header(i) + b"x", down).error for i in range(1, 50)]
    assert all("refused" in e for e in errors)
    assert len([c for c in calls if c[0] == "http://down"]) == 1  # an unreachable registry is tried once


def test_message_as_dict_decodes_wire_format_in_auto_and_registry_modes():
    from clusters.gateway.messages import RawMessage
    from topics.messages import message_as_dict

    raw = serde.encode('{"name": "Ada"}', JSON_SCHEMA)
    message = RawMessage(
        topic="t", partition=0, offset=3, timestamp_ms=0, timestamp_type="CreateTime", key=b"k1", value=raw, headers=()
    )
    registry = serde.RegistryDecoder("http://registry", fetch=fetcher(JSON_SCHEMA))
    auto = message_as_dict(message, "auto", registry)
    assert auto["value"]["format"] == "registry" and json.loads(auto["value"]["text"]) == {"name": "Ada"}
    assert auto["value_schema_id"] == 9 and auto["value_decoded"] == {"name": "Ada"}
    assert auto["key"] == {"format": "text", "text": "k1", "size": 2} and auto["key_decode_error"] is None
    forced = message_as_dict(message, "registry", registry)
    assert forced["key"]["format"] == "text" and "Not in registry wire format" in forced["key_decode_error"]
    assert message_as_dict(message, "hex", registry)["value"]["format"] == "hex"
    without = message_as_dict(message, "auto", serde.RegistryDecoder(""))
    assert without["value"]["format"] == "hex" and without["value_schema_id"] is None
    assert (
        "no schema registry URL"
        in message_as_dict(message, "registry", serde.RegistryDecoder(""))["value_decode_error"]
    )


def test_produce_input_with_a_subject_needs_json_text_and_keeps_the_subject():
    from topics.messages import ProduceInput

    parsed = ProduceInput.parse({"value": '{"a": 1}', "value_format": "text", "value_subject": " orders-value "})
    assert parsed.value_subject == "orders-value" and parsed.key_subject == ""
    assert parsed.value == b'{"a": 1}'  # JSON text; the service encodes it with the subject's schema
    with pytest.raises(ValidationError) as info:
        ProduceInput.parse({"value": "not json", "value_subject": "orders-value", "key_subject": 5})
    errors = info.value.message_dict
    assert "Not valid JSON" in errors["value"][0] and "subject name" in errors["key_subject"][0]
