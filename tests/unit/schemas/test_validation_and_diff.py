"""Schema input checks, the side-by-side diff and TopicNameStrategy, without a registry."""

from __future__ import annotations

import json

import pytest
from django.core.exceptions import ValidationError

from schemas.selectors import diff_rows, subject_topic
from schemas.validation import pretty, validate_level, validate_schema_text, validate_schema_type, validate_subject

AVRO = json.dumps({"type": "record", "name": "Order", "fields": [{"name": "id", "type": "string"}]})


def field_error(exc: pytest.ExceptionInfo[ValidationError]) -> tuple[str, str]:
    (field, messages), *_ = exc.value.message_dict.items()
    return field, messages[0]


def test_valid_avro_and_json_schema_pass_as_written():
    assert validate_schema_text(AVRO, "AVRO") == AVRO
    js = '{"type": "object", "properties": {"id": {"type": "string"}}}'
    assert validate_schema_text(js, "JSON") == js
    assert validate_schema_text("syntax = 'proto3';", "PROTOBUF") == "syntax = 'proto3';"  # left to the registry


@pytest.mark.parametrize(
    ("text", "schema_type", "said"),
    [
        ("", "AVRO", "Paste the schema"),
        ("{nope", "AVRO", "Not valid JSON"),
        ('{"type": "recrd", "name": "X"}', "AVRO", "Not a valid Avro schema"),
        ('{"type": "record", "name": "X", "fields": [{"name": "a"}]}', "AVRO", "Not a valid Avro schema"),
        ('{"type": "objectx"}', "JSON", "Not a valid JSON Schema"),
        ("[1, 2]", "JSON", "is an object"),
    ],
)
def test_schema_that_does_not_parse_names_the_schema_field(text, schema_type, said):
    with pytest.raises(ValidationError) as exc:
        validate_schema_text(text, schema_type)
    field, message = field_error(exc)
    assert field == "schema" and said in message


def test_schema_types_levels_and_subjects():
    assert validate_schema_type("json schema") == "JSON"
    assert validate_schema_type(None) == "AVRO"
    assert validate_level("backward_transitive") == "BACKWARD_TRANSITIVE"
    assert validate_subject("  orders-value ") == "orders-value"
    for call, field in (
        (lambda: validate_schema_type("xml"), "schema_type"),
        (lambda: validate_level("SIDEWAYS"), "compatibility"),
        (lambda: validate_subject(""), "subject"),
        (lambda: validate_subject("a/b"), "subject"),
        (lambda: validate_subject("x" * 256), "subject"),
    ):
        with pytest.raises(ValidationError) as exc:
            call()
        assert field_error(exc)[0] == field


def test_topic_name_strategy_mapping():
    assert subject_topic("orders-value") == ("orders", "value")
    assert subject_topic("orders-key") == ("orders", "key")
    assert subject_topic("my-topic-value") == ("my-topic", "value")
    assert subject_topic("-value") is None
    assert subject_topic("demo.Order") is None


def test_diff_marks_changed_added_and_removed_lines_in_two_columns():
    rows = diff_rows("a\nb\nc\nd", "a\nB\nc\ne\nf")
    assert [(r.kind, r.left, r.right) for r in rows] == [
        ("same", "a", "a"),
        ("changed", "b", "B"),
        ("same", "c", "c"),
        ("changed", "d", "e"),
        ("added", "", "f"),
    ]
    assert [r.left_no for r in rows] == [1, 2, 3, 4, None]
    assert [r.right_no for r in rows] == [1, 2, 3, 4, 5]
    assert [r.kind for r in diff_rows("x\ny", "x")] == ["same", "removed"]


def test_pretty_indents_json_types_and_keeps_protobuf():
    assert pretty(AVRO, "AVRO").splitlines()[1] == '  "type": "record",'
    assert pretty("message A {}\n", "PROTOBUF") == "message A {}"
