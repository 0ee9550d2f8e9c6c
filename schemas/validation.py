"""Checks of schema input made before anything is sent to the registry: subject names, schema types,
compatibility levels, and the schema text itself (Avro with fastavro, JSON Schema against its metaschema)."""

from __future__ import annotations

import json
from typing import Any

import fastavro
import jsonschema
from django.core.exceptions import ValidationError

from schemas.registry import SCHEMA_TYPES

SUBJECT_MAX_CHARS = 255
SCHEMA_MAX_BYTES = 1024 * 1024
# What each level promises, in words a person can check the failing change against.
LEVELS: dict[str, str] = {
    "BACKWARD": "consumers using the new schema can read data written with the latest version",
    "BACKWARD_TRANSITIVE": "consumers using the new schema can read data written with every earlier version",
    "FORWARD": "consumers using the latest version can read data written with the new schema",
    "FORWARD_TRANSITIVE": "consumers using any earlier version can read data written with the new schema",
    "FULL": "the new schema and the latest version can each read data written with the other",
    "FULL_TRANSITIVE": "the new schema and every earlier version can each read data written with the other",
    "NONE": "no compatibility check",
}
TYPE_LABELS = {"AVRO": "Avro", "JSON": "JSON Schema", "PROTOBUF": "Protobuf"}


def validate_subject(subject: Any) -> str:
    """A subject name: 1-255 printable characters without '/' (it is part of our URLs)."""
    text = str(subject or "").strip()
    if not text:
        raise ValidationError({"subject": "Name the subject, e.g. <topic>-value (TopicNameStrategy)."})
    if len(text) > SUBJECT_MAX_CHARS:
        raise ValidationError({"subject": f"At most {SUBJECT_MAX_CHARS} characters (this one has {len(text)})."})
    if "/" in text or not text.isprintable():
        raise ValidationError({"subject": "Use printable characters without '/'."})
    return text


def validate_schema_type(schema_type: Any) -> str:
    value = str(schema_type or "AVRO").strip().upper().replace(" ", "_")
    value = {"JSON_SCHEMA": "JSON", "JSONSCHEMA": "JSON", "PROTO": "PROTOBUF"}.get(value, value)
    if value not in SCHEMA_TYPES:
        raise ValidationError(
            {"schema_type": f"'{schema_type}' is not a schema type; use one of AVRO, JSON, PROTOBUF."}
        )
    return value


def validate_level(level: Any, field: str = "compatibility") -> str:
    value = str(level or "").strip().upper()
    if value not in LEVELS:
        raise ValidationError({field: f"'{level}' is not a compatibility level; use one of {', '.join(LEVELS)}."})
    return value


def validate_schema_text(schema: Any, schema_type: str) -> str:
    """The schema text, refused with the parser's own message when it does not parse. Protobuf is left to
    the registry (no local parser); its refusal names the `schema` field too."""
    text = str(schema or "")
    if not text.strip():
        raise ValidationError({"schema": "Paste the schema text."})
    if len(text.encode()) > SCHEMA_MAX_BYTES:
        raise ValidationError({"schema": f"At most {SCHEMA_MAX_BYTES // 1024} KiB of schema text."})
    if schema_type == "PROTOBUF":
        return text
    try:
        parsed = json.loads(text)
    except ValueError as exc:
        raise ValidationError({"schema": f"Not valid JSON: {exc}."}) from exc
    if schema_type == "AVRO":
        try:
            fastavro.parse_schema(parsed)
        except Exception as exc:  # fastavro raises several types (SchemaParseException, UnknownType, ValueError...)
            raise ValidationError({"schema": f"Not a valid Avro schema ({type(exc).__name__}: {exc})."}) from exc
    else:
        if not isinstance(parsed, dict | bool):
            raise ValidationError({"schema": "A JSON Schema is an object (or true/false)."})
        try:
            jsonschema.validators.validator_for(parsed).check_schema(parsed)
        except jsonschema.SchemaError as exc:
            where = "/".join(str(p) for p in exc.path)
            raise ValidationError(
                {"schema": f"Not a valid JSON Schema: {exc.message}" + (f" (at {where})." if where else ".")}
            ) from exc
    return text


def pretty(schema: str, schema_type: str) -> str:
    """Schema text indented for reading and diffing (JSON-based types); Protobuf as written."""
    if schema_type == "PROTOBUF":
        return schema.strip("\n")
    try:
        return json.dumps(json.loads(schema), indent=2, ensure_ascii=False)
    except ValueError:
        return schema
