"""Message parsing, decoding and filtering without a network."""

import pytest
from django.core.exceptions import ValidationError
from django.http import QueryDict

from clusters.gateway.messages import RawMessage
from topics.messages import (
    BrowseQuery,
    MessageFilter,
    ProduceInput,
    TextMatch,
    decode_bytes,
    format_cursor,
    message_as_dict,
    parse_cursor,
)

NOW_MS = 1_700_000_000_000


def _errors(params, **kwargs):
    with pytest.raises(ValidationError) as info:
        BrowseQuery.from_params(params, **kwargs)
    return info.value.message_dict


def _message(key=b"k", value=b"v", headers=()):
    return RawMessage(
        topic="t",
        partition=0,
        offset=1,
        timestamp_ms=NOW_MS,
        timestamp_type="CreateTime",
        key=key,
        value=value,
        headers=headers,
    )


@pytest.mark.parametrize(
    ("data", "mode", "fmt", "text"),
    [
        (b'{"a":1}', "auto", "json", '{\n  "a": 1\n}'),
        ("grüße".encode(), "auto", "text", "grüße"),
        (b"\x00\xff", "auto", "hex", "00 ff"),
        (b'{"a":1}', "text", "text", '{"a":1}'),
        (b'{"a":1}', "hex", "hex", "7b 22 61 22 3a 31 7d"),
        (b"plain", "json", "text", "plain"),
        (b"\xff", "text", "hex", "ff"),
        (b"\x00\x01", "auto", "hex", "00 01"),
        (b"a\tb\n", "auto", "text", "a\tb\n"),
        (None, "auto", "null", None),
        (b"", "auto", "text", ""),
    ],
)
def test_decode_bytes(data, mode, fmt, text):
    decoded = decode_bytes(data, mode)
    assert (decoded.format, decoded.text) == (fmt, text)
    assert decoded.size == (len(data) if data is not None else 0)


def test_message_as_dict_has_detail_fields():
    body = message_as_dict(_message(headers=(("trace", b"abc"), ("nul", None))))
    assert body["timestamp"] == "2023-11-14T22:13:20.000+00:00"
    assert body["timestamp_type"] == "CreateTime"
    assert body["headers"] == [
        {"key": "trace", "value": {"format": "text", "text": "abc", "size": 3}},
        {"key": "nul", "value": {"format": "null", "text": None, "size": 0}},
    ]


def test_filters_match_substring_exact_and_headers():
    m = _message(key=b"order-17", value=b'{"id": 17}', headers=(("source", b"web"), ("source", b"app")))
    assert MessageFilter(key=TextMatch("der-1"))(m)
    assert not MessageFilter(key=TextMatch("der-1", "exact"))(m)
    assert MessageFilter(value=TextMatch('{"id": 17}', "exact"))(m)
    assert MessageFilter(header="source")(m)
    assert MessageFilter(header="source", header_value=TextMatch("app", "exact"))(m)
    assert not MessageFilter(header="source", header_value=TextMatch("mobile"))(m)
    assert not MessageFilter(header="missing")(m)
    assert not MessageFilter(key=TextMatch("x"))(_message(key=None))
    assert MessageFilter()(m)  # no conditions: everything


def test_filter_text_is_never_evaluated():
    m = _message(value=b"__import__('os')")
    assert MessageFilter(value=TextMatch("__import__('os')", "exact"))(m)
    assert not MessageFilter(value=TextMatch("1 or True"))(m)


def test_browse_query_defaults_and_values():
    q = BrowseQuery.from_params({})
    assert (q.start, q.limit, q.max_scan, q.max_seconds, q.decode) == ("latest", 50, 500, 5.0, "auto")
    q = BrowseQuery.from_params(
        {"start": "timestamp", "timestamp": "2023-11-14T22:13:20Z", "partition": "2", "max_seconds": "0.5"},
        now_ms=NOW_MS,
    )
    assert (q.timestamp_ms, q.partition, q.max_seconds) == (NOW_MS, 2, 0.5)
    assert q.scan_start().mode == "timestamp"
    q = BrowseQuery.from_params({"cursor": "1:5,0:3", "start": "earliest"})
    assert q.scan_start().mode == "cursor" and q.scan_start().cursor == ((0, 3), (1, 5))


@pytest.mark.parametrize(
    ("params", "field"),
    [
        ({"start": "middle"}, "start"),
        ({"start": "offset"}, "offset"),
        ({"start": "offset", "offset": "-1"}, "offset"),
        ({"partition": "x"}, "partition"),
        ({"partition": "1.5"}, "partition"),
        ({"limit": "0"}, "limit"),
        ({"max_scan": "10001"}, "max_scan"),
        ({"max_seconds": "31"}, "max_seconds"),
        ({"start": "timestamp", "timestamp": "yesterday"}, "timestamp"),
        ({"start": "timestamp"}, "timestamp"),
        ({"cursor": "0-5"}, "cursor"),
        ({"cursor": "0:1,0:2"}, "cursor"),
        ({"decode": "base64"}, "decode"),
        ({"key": "a", "key_match": "regex"}, "key_match"),
        ({"header_value": "x"}, "header"),
    ],
)
def test_browse_query_errors_name_the_field(params, field):
    assert field in _errors(params, now_ms=NOW_MS)


def test_future_timestamp_is_refused():
    errors = _errors({"start": "timestamp", "timestamp": str(NOW_MS + 3_600_000)}, now_ms=NOW_MS)
    assert "future" in errors["timestamp"][0]


def test_cursor_round_trip():
    assert parse_cursor(format_cursor(((0, 10), (3, 7)))) == ((0, 10), (3, 7))


def test_produce_input_from_api_body():
    p = ProduceInput.parse(
        {"key": "k1", "value": "00ff", "value_format": "hex", "headers": [{"key": "h", "value": "v"}], "partition": 2}
    )
    assert (p.key, p.value, p.headers, p.partition) == (b"k1", b"\x00\xff", (("h", b"v"),), 2)
    tombstone = ProduceInput.parse({"key": "gone", "value": None})
    assert tombstone.value is None


def test_produce_input_from_form_treats_empty_as_none():
    form = QueryDict(mutable=True)
    form.update({"key": "", "value": "hello", "partition": ""})
    form.setlist("header_key", ["a", ""])
    form.setlist("header_value", ["1", ""])
    p = ProduceInput.parse(form)
    assert (p.key, p.value, p.headers, p.partition) == (None, b"hello", (("a", b"1"),), None)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"value": "{not json", "value_format": "json"}, "value"),
        ({"value": "zz", "value_format": "hex"}, "value"),
        ({"value": "x", "value_format": "yaml"}, "value_format"),
        ({"value": "x", "partition": -1}, "partition"),
        ({"value": "x", "partition": "two"}, "partition"),
        ({"value": "x", "headers": [{"value": "no name"}]}, "headers"),
        ({"value": "x", "headers": "a=b"}, "headers"),
        ({"value": 5}, "value"),
        ({}, "value"),
    ],
)
def test_produce_input_errors_name_the_field(body, field):
    with pytest.raises(ValidationError) as info:
        ProduceInput.parse(body)
    assert field in info.value.message_dict
