"""The schema registry wire format: decode messages for the topic browser, encode them for produce.

A registered message is magic byte 0x00, a 4-byte big-endian schema id, then the payload
(Avro binary, JSON text, or Protobuf message indexes + binary). Schemas come from a fetcher
(`schema_id -> schema`); `registry_fetcher(url)` is the real one, cached per process by
(registry url, id) because a schema id never changes its schema."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import decimal
import io
import json
import math
import struct
import threading
import uuid
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, replace
from functools import lru_cache
from typing import Any, Protocol

import fastavro
import fastavro.validation
import jsonschema
from django.core.exceptions import ValidationError

MAGIC = 0
HEADER_SIZE = 5
MAX_SCHEMA_ID = 2**31 - 1
CACHE_SIZE = 256
AVRO, JSON, PROTOBUF = "AVRO", "JSON", "PROTOBUF"


class SchemaLike(Protocol):
    """What serde needs of a registry schema (schemas.registry.RegistrySchema has it)."""

    @property
    def id(self) -> int: ...
    @property
    def schema_type(self) -> str: ...
    @property
    def schema(self) -> str: ...


Fetch = Callable[[int], SchemaLike]


class DecodeError(Exception):
    """A message could not be decoded; the text says why and is shown next to the message."""


@dataclass(frozen=True)
class Decoded:
    """One key or value read through the registry. `value` is JSON-able; `error` is set when it
    could not be decoded (the raw bytes are then shown as they are)."""

    schema_id: int | None = None
    schema_type: str | None = None
    subject: str | None = None
    value: Any = None
    error: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None

    def pretty(self) -> str:
        return json.dumps(self.value, indent=2, ensure_ascii=False)


# ---------------------------------------------------------------- wire format


def split_header(raw: bytes) -> tuple[int, bytes]:
    """(schema id, payload) of a wire-format message; DecodeError when it is not one."""
    if len(raw) < HEADER_SIZE:
        raise DecodeError(
            f"Not in registry wire format: {len(raw)} byte(s), the header alone is {HEADER_SIZE} "
            "(magic byte 0x00 + 4-byte schema id)."
        )
    if raw[0] != MAGIC:
        raise DecodeError(f"Not in registry wire format: the first byte is 0x{raw[0]:02x}, not the magic byte 0x00.")
    (schema_id,) = struct.unpack(">I", raw[1:HEADER_SIZE])
    return schema_id, raw[HEADER_SIZE:]


def looks_registered(raw: bytes | None) -> bool:
    """Starts with the magic byte and a plausible schema id: worth asking the registry about."""
    if raw is None or len(raw) < HEADER_SIZE or raw[0] != MAGIC:
        return False
    (schema_id,) = struct.unpack(">I", raw[1:HEADER_SIZE])
    return 0 < schema_id <= MAX_SCHEMA_ID


def header(schema_id: int) -> bytes:
    if not 0 <= schema_id <= MAX_SCHEMA_ID:
        raise ValueError(f"schema id {schema_id} does not fit the wire format")
    return struct.pack(">bI", MAGIC, schema_id)


# ---------------------------------------------------------------- Avro <-> JSON


@lru_cache(maxsize=CACHE_SIZE)
def _parsed_avro(text: str) -> Any:
    """The fastavro schema for a schema text (cached: parsing costs more than decoding)."""
    return fastavro.parse_schema(json.loads(text))


def _avro_schema(schema: SchemaLike) -> Any:
    try:
        return _parsed_avro(schema.schema)
    except (ValueError, TypeError, KeyError, fastavro.schema.SchemaParseException) as exc:
        raise DecodeError(f"Schema id {schema.id} is not a valid Avro schema here: {exc}") from exc


def jsonable(value: Any) -> Any:
    """Avro values as JSON: bytes -> base64, decimals -> string, times -> ISO 8601, UUID -> string."""
    if isinstance(value, dict):
        return {str(k): jsonable(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(v) for v in value]
    if isinstance(value, bytes | bytearray):
        return base64.b64encode(bytes(value)).decode("ascii")
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, dt.datetime | dt.date | dt.time):
        return value.isoformat()
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)  # JSON has no NaN/Infinity
    return value


def _decode_avro(schema: SchemaLike, payload: bytes) -> Any:
    parsed = _avro_schema(schema)
    stream = io.BytesIO(payload)
    try:
        value = fastavro.schemaless_reader(stream, parsed, None)
    except Exception as exc:  # fastavro raises EOFError, IndexError, UnicodeDecodeError... on bad input
        raise DecodeError(
            f"The payload does not match Avro schema id {schema.id} "
            f"({type(exc).__name__}: {exc or 'ran out of bytes'})."
        ) from exc
    left = len(payload) - stream.tell()
    if left:
        raise DecodeError(f"The payload does not match Avro schema id {schema.id}: {left} byte(s) left over.")
    return jsonable(value)


_TIMESTAMPS = ("timestamp-millis", "timestamp-micros", "local-timestamp-millis", "local-timestamp-micros")
_TIMES = ("time-millis", "time-micros")


def _from_json_leaf(value: Any, kind: str, logical: str | None) -> Any:
    """A JSON leaf as fastavro wants it; the reverse of `jsonable` (left unchanged when it does not fit)."""
    if not isinstance(value, str):
        return value
    try:
        if logical == "decimal":
            return decimal.Decimal(value)
        if logical in _TIMESTAMPS:
            return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        if logical == "date":
            return dt.date.fromisoformat(value)
        if logical in _TIMES:
            return dt.time.fromisoformat(value)
        if kind in ("bytes", "fixed"):
            return base64.b64decode(value, validate=True)
    except (ValueError, decimal.InvalidOperation, binascii.Error):
        return value
    return value


def _from_json(value: Any, schema: Any, names: dict[str, Any]) -> Any:
    """A parsed JSON value shaped for fastavro by walking the (parsed) schema."""
    if isinstance(schema, str):
        if schema in names:
            return _from_json(value, names[schema], names)
        return _from_json_leaf(value, schema, None)
    if isinstance(schema, list):
        if value is None:
            return None
        for branch in schema:
            try:
                candidate = _from_json(value, branch, names)
            except ValidationError:
                continue  # e.g. a record branch without this field: try the next branch
            if _fits(candidate, branch, names):
                return candidate
        return value
    kind = schema.get("type")
    if kind == "record" and isinstance(value, dict):
        fields = {f["name"]: f for f in schema["fields"]}
        unknown = sorted(set(value) - set(fields))
        if unknown:
            raise ValidationError(f"{', '.join(unknown)}: not a field of record {schema.get('name')}")
        shaped = {}
        for name, f in fields.items():
            if name in value:
                shaped[name] = _from_json(value[name], f["type"], names)
            elif "default" in f:
                shaped[name] = f["default"]
        return shaped
    if kind == "array" and isinstance(value, list):
        return [_from_json(v, schema["items"], names) for v in value]
    if kind == "map" and isinstance(value, dict):
        return {k: _from_json(v, schema["values"], names) for k, v in value.items()}
    if isinstance(kind, (dict, list)):
        return _from_json(value, kind, names)
    return _from_json_leaf(value, str(kind), schema.get("logicalType"))


_PYTHON_TYPES: dict[str, tuple[type, ...]] = {
    "null": (type(None),),
    "boolean": (bool,),
    "int": (int,),
    "long": (int,),
    "float": (int, float),
    "double": (int, float),
    "string": (str,),
    "bytes": (bytes,),
    "fixed": (bytes,),
    "record": (dict,),
    "map": (dict,),
    "array": (list,),
}
_LOGICAL_TYPES: dict[str, tuple[type, ...]] = {
    "decimal": (decimal.Decimal,),
    "date": (dt.date, int),
    **{name: (dt.datetime, int) for name in _TIMESTAMPS},
    **{name: (dt.time, int) for name in _TIMES},
}


def _fits(value: Any, schema: Any, names: dict[str, Any]) -> bool:
    """Whether a union branch can take this value (a shallow check; fastavro validates fully)."""
    if isinstance(schema, str) and schema in names:
        schema = names[schema]
    if isinstance(schema, str):
        kind, logical, symbols = schema, None, None
    else:
        kind, logical, symbols = schema.get("type"), schema.get("logicalType"), schema.get("symbols")
    if kind == "enum":
        return value in (symbols or [])
    if isinstance(value, bool) and kind != "boolean":
        return False
    allowed = _LOGICAL_TYPES.get(logical or "") or _PYTHON_TYPES.get(str(kind), ())
    return isinstance(value, allowed)


def _short(value: Any, limit: int = 60) -> str:
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _kind(schema: Any) -> str:
    """A schema as a person names it: `int`, `record Order`, `one of null, string`."""
    if isinstance(schema, list):
        return "one of " + ", ".join(_kind(b) for b in schema)
    if isinstance(schema, dict):
        name = schema.get("name")
        kind = schema.get("logicalType") or schema.get("type")
        return f"{kind} {name}" if name else str(_kind(kind) if not isinstance(kind, str) else kind)
    return str(schema)


def _encode_avro(value: Any, schema: SchemaLike, field: str) -> bytes:
    try:
        parsed = _avro_schema(schema)
    except DecodeError as exc:
        raise ValidationError({field: str(exc)}) from exc
    names = parsed.get("__named_schemas", {}) if isinstance(parsed, dict) else {}
    try:
        datum = _from_json(value, parsed, names)
    except ValidationError as exc:
        raise ValidationError({field: f"Does not fit Avro schema id {schema.id}: {' '.join(exc.messages)}."}) from exc
    try:
        fastavro.validation.validate(datum, parsed, raise_errors=True)
    except fastavro.validation.ValidationError as exc:
        problems = "; ".join(
            f"{e.field or 'value'} is {_short(e.datum)}, expected {_kind(e.schema)}" for e in exc.errors
        )
        raise ValidationError({field: f"Does not fit Avro schema id {schema.id}: {problems}."}) from exc
    out = io.BytesIO()
    try:
        fastavro.schemaless_writer(out, parsed, datum)
    except (ValueError, TypeError, AttributeError, OverflowError) as exc:
        raise ValidationError({field: f"Does not fit Avro schema id {schema.id}: {exc}."}) from exc
    return header(schema.id) + out.getvalue()


# ---------------------------------------------------------------- JSON Schema


@lru_cache(maxsize=CACHE_SIZE)
def _json_validator(text: str) -> Any:
    document = json.loads(text)
    cls = jsonschema.validators.validator_for(document)
    cls.check_schema(document)
    return cls(document)


def _json_problem(schema: SchemaLike, value: Any) -> str | None:
    """Why `value` does not fit the JSON Schema (None when it does)."""
    try:
        validator = _json_validator(schema.schema)
    except (ValueError, jsonschema.SchemaError) as exc:
        return f"Schema id {schema.id} is not a valid JSON Schema: {getattr(exc, 'message', exc)}"
    error = jsonschema.exceptions.best_match(validator.iter_errors(value))
    if error is None:
        return None
    where = "/".join(str(p) for p in error.absolute_path) or "(root)"
    return f"at {where}: {error.message}"


def _decode_json(schema: SchemaLike, payload: bytes) -> tuple[Any, str | None]:
    try:
        value = json.loads(payload.decode("utf-8"))
    except (UnicodeDecodeError, ValueError) as exc:
        raise DecodeError(f"The payload after the header is not JSON text (schema id {schema.id}): {exc}.") from exc
    problem = _json_problem(schema, value)
    return value, (f"Does not match JSON Schema id {schema.id} {problem}." if problem else None)


# ---------------------------------------------------------------- public API


def decode(raw: bytes, fetch: Fetch) -> Decoded:
    """Decode a wire-format message with the schema `fetch(schema_id)` returns. Never raises:
    an unknown id, an unreachable registry or a payload that does not fit comes back as `error`."""
    try:
        schema_id, payload = split_header(raw)
    except DecodeError as exc:
        return Decoded(error=str(exc))
    try:
        schema = fetch(schema_id)
    except Exception as exc:  # the fetcher's own errors carry the registry's message and URL
        return Decoded(schema_id=schema_id, error=f"Schema id {schema_id}: {exc}")
    kind = (schema.schema_type or AVRO).upper()
    subject = getattr(schema, "subject", None)
    base = Decoded(schema_id=schema_id, schema_type=kind, subject=subject if isinstance(subject, str) else None)
    try:
        if kind == AVRO:
            return replace(base, value=_decode_avro(schema, payload))
        if kind == JSON:
            value, problem = _decode_json(schema, payload)
            return replace(base, value=value, error=problem)
        if kind == PROTOBUF:
            return replace(base, error="protobuf: shown as hex (message indexes follow the id; not decoded).")
        return replace(base, error=f"Schema type {kind} is not decoded here; shown as hex.")
    except DecodeError as exc:
        return replace(base, error=str(exc))


def encode(value_json_text: str, schema: SchemaLike, *, field: str = "value") -> bytes:
    """Wire-format bytes of a JSON text encoded with `schema` (Avro or JSON Schema).
    Raises ValidationError naming `field` when the text is not JSON or does not fit the schema."""
    try:
        value = json.loads(value_json_text)
    except ValueError as exc:
        raise ValidationError({field: f"Not valid JSON: {exc}."}) from exc
    kind = (schema.schema_type or AVRO).upper()
    if kind == AVRO:
        return _encode_avro(value, schema, field)
    if kind == JSON:
        problem = _json_problem(schema, value)
        if problem:
            raise ValidationError({field: f"Does not fit JSON Schema id {schema.id} {problem}."})
        return header(schema.id) + json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
    raise ValidationError(
        {field: f"Encoding {kind} schemas is not supported here; use an Avro or JSON Schema subject."}
    )


# ---------------------------------------------------------------- registry fetcher with cache


class SchemaCache:
    """A bounded LRU of schemas by (registry url, id), shared by the process (ids are immutable)."""

    def __init__(self, size: int = CACHE_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[tuple[str, int], SchemaLike] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> SchemaLike | None:
        with self._lock:
            found = self._items.get(key)
            if found is not None:
                self._items.move_to_end(key)
            return found

    def put(self, key: tuple[str, int], schema: SchemaLike) -> None:
        with self._lock:
            self._items[key] = schema
            self._items.move_to_end(key)
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def clear(self) -> None:
        with self._lock:
            self._items.clear()

    def __len__(self) -> int:
        return len(self._items)


SCHEMAS = SchemaCache()


class RegistryFetcher:
    """`fetch(schema_id)` against one registry for one browse: successes are cached for the
    process; failures are remembered for this call only, and once the registry is unreachable
    every further id fails at once (500 messages never wait 500 timeouts)."""

    def __init__(
        self, url: str, cache: SchemaCache = SCHEMAS, lookup: Callable[[str, int], SchemaLike] | None = None
    ) -> None:
        self.url = url
        self.cache = cache
        self.lookup = lookup  # None: schemas.registry.schema_by_id
        self.failures: dict[int, Exception] = {}
        self.down: Exception | None = None

    def __call__(self, schema_id: int) -> SchemaLike:
        found = self.cache.get((self.url, schema_id))
        if found is not None:
            return found
        if schema_id in self.failures:
            raise self.failures[schema_id]
        if self.down is not None:
            raise self.down
        from schemas import registry  # lazily: the registry client is optional for decoding

        lookup = self.lookup or registry.schema_by_id
        try:
            schema = lookup(self.url, schema_id)
        except Exception as exc:
            self.failures[schema_id] = exc
            if not _is_not_found(exc):
                self.down = exc
            raise
        self.cache.put((self.url, schema_id), schema)
        return schema


def _is_not_found(exc: Exception) -> bool:
    from schemas import registry

    return isinstance(exc, registry.RegistryNotFound)


class RegistryDecoder:
    """Decodes keys and values of one browse through the cluster's registry (or says it has none)."""

    def __init__(self, url: str, fetch: Fetch | None = None) -> None:
        self.url = url
        self.fetch: Fetch | None = fetch or (RegistryFetcher(url) if url else None)

    def decode(self, raw: bytes) -> Decoded:
        if self.fetch is None:
            return Decoded(error="This cluster has no schema registry URL; set one on the cluster's edit page.")
        return decode(raw, self.fetch)
