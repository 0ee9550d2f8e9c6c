"""Messages of a topic: browse with a bounded scan and filters evaluated in our code,
produce one message, and shape both for pages, API and the live tail.

Filters are plain substring or exact comparisons on bytes; nothing a user types is
ever evaluated as code or as an expression."""

from __future__ import annotations

import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.audit import audit
from access.permissions import Action, check_permission
from clusters.gateway import messages as gateway
from clusters.models import Cluster
from schemas import serde

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

DECODINGS = ("auto", "text", "json", "hex", "registry")
PRODUCE_FORMATS = ("text", "json", "hex")
MATCHES = ("contains", "exact")
DEFAULT_LIMIT = 50
MAX_LIMIT = 1000
DEFAULT_MAX_SCAN = 500
MAX_SCAN = 10_000
DEFAULT_MAX_SECONDS = 5.0
MAX_SECONDS = 30.0
MAX_FILTER_LENGTH = 1000
MAX_HEADERS = 50
# A timestamp this far ahead of our clock is still accepted (brokers' clocks drift a little).
FUTURE_SKEW_MS = 60_000


# ---------------------------------------------------------------- decoding


@dataclass(frozen=True)
class Decoded:
    """Bytes shown as `format` ("json", "text", "hex" or "null"); `text` is what to display."""

    format: str
    text: str | None
    size: int

    def as_dict(self) -> dict[str, Any]:
        return {"format": self.format, "text": self.text, "size": self.size}


def _as_json(data: bytes) -> str | None:
    try:
        parsed = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, ValueError):
        return None
    return json.dumps(parsed, indent=2, ensure_ascii=False, sort_keys=False)


_CONTROL = {chr(c) for c in range(32)} - {"\t", "\n", "\r"}


def _as_text(data: bytes) -> str | None:
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        return None
    # Valid UTF-8 full of control characters is binary data; hex shows it faithfully.
    return None if any(c in _CONTROL for c in text) else text


def decode_bytes(data: bytes | None, mode: str = "auto") -> Decoded:
    """Show bytes as pretty JSON, UTF-8 text or hex. `auto` (and `json`) pick JSON if it parses,
    text if it is UTF-8, hex otherwise; `text` picks text or hex; `hex` always hex."""
    if data is None:
        return Decoded(format="null", text=None, size=0)
    size = len(data)
    if mode in ("auto", "json") and data.strip():
        pretty = _as_json(data)
        if pretty is not None:
            return Decoded(format="json", text=pretty, size=size)
    if mode != "hex":
        text = _as_text(data)
        if text is not None:
            return Decoded(format="text", text=text, size=size)
    return Decoded(format="hex", text=data.hex(" "), size=size)


REGISTRY_FIELDS = ("schema_id", "schema_type", "subject", "decoded", "decode_error")


def _registry_payload(
    data: bytes | None, decode: str, registry: serde.RegistryDecoder | None
) -> tuple[Decoded | None, dict[str, Any]]:
    """`registry` decoding: asked for, or `auto` and the bytes look like the wire format with a
    registry configured. Returns the payload to show (None: show the bytes as usual) and the
    per-message registry fields."""
    empty: dict[str, Any] = dict.fromkeys(REGISTRY_FIELDS)
    if data is None or decode not in ("auto", "registry"):
        return None, empty
    if decode == "auto" and (registry is None or not registry.url or not serde.looks_registered(data)):
        return None, empty
    result = (
        registry.decode(data)
        if registry is not None
        else serde.Decoded(error="Registry decoding is not available here; browse the topic's messages page.")
    )
    fields = {
        "schema_id": result.schema_id,
        "schema_type": result.schema_type,
        "subject": result.subject,
        "decoded": result.value,
        "decode_error": result.error,
    }
    if result.value is None and result.error is not None:
        return None, fields
    return Decoded(format="registry", text=result.pretty(), size=len(data)), fields


def message_as_dict(
    message: gateway.RawMessage, decode: str = "auto", registry: serde.RegistryDecoder | None = None
) -> dict[str, Any]:
    """One message for the API, the download, the tail and the templates. With `registry` (the
    cluster's schema registry) wire-format keys and values are decoded through it."""
    when = (
        datetime.fromtimestamp(message.timestamp_ms / 1000, tz=UTC).isoformat(timespec="milliseconds")
        if message.timestamp_ms >= 0
        else None
    )
    plain = "auto" if decode == "registry" else decode
    body: dict[str, Any] = {
        "partition": message.partition,
        "offset": message.offset,
        "timestamp_ms": message.timestamp_ms,
        "timestamp": when,
        "timestamp_type": message.timestamp_type,
    }
    for part, data in (("key", message.key), ("value", message.value)):
        shown, fields = _registry_payload(data, decode, registry)
        body[part] = (shown or decode_bytes(data, "hex" if fields["schema_id"] is not None else plain)).as_dict()
        body.update({f"{part}_{name}": value for name, value in fields.items()})
    body["headers"] = [{"key": k, "value": decode_bytes(v, plain).as_dict()} for k, v in message.headers]
    return body


# ---------------------------------------------------------------- filters


@dataclass(frozen=True)
class TextMatch:
    """Bytes contain (or equal) `needle`, compared on the raw bytes of the UTF-8 text typed."""

    needle: str
    mode: str = "contains"

    def matches(self, data: bytes | None) -> bool:
        if data is None:
            return False
        needle = self.needle.encode("utf-8")
        return data == needle if self.mode == "exact" else needle in data


@dataclass(frozen=True)
class MessageFilter:
    """All given conditions must hold. A header condition needs the header `header` to be
    present; with `header_value` one of its values must also match."""

    key: TextMatch | None = None
    value: TextMatch | None = None
    header: str = ""
    header_value: TextMatch | None = None

    @property
    def active(self) -> bool:
        return bool(self.key or self.value or self.header)

    def __call__(self, message: gateway.RawMessage) -> bool:
        if self.key is not None and not self.key.matches(message.key):
            return False
        if self.value is not None and not self.value.matches(message.value):
            return False
        if self.header:
            values = [v for k, v in message.headers if k == self.header]
            if not values:
                return False
            if self.header_value is not None and not any(self.header_value.matches(v) for v in values):
                return False
        return True


# ---------------------------------------------------------------- browse query


def _flag(params: Mapping[str, Any], key: str) -> str:
    value = params.get(key)
    return "" if value is None else str(value).strip()


def _number(params: Mapping[str, Any], key: str, errors: dict[str, str], low: float, high: float) -> float | None:
    raw = _flag(params, key)
    if raw == "":
        return None
    try:
        value = float(raw) if "." in raw else int(raw)
    except ValueError:
        errors[key] = f"'{raw}' is not a number."
        return None
    if not low <= value <= high:
        errors[key] = f"Must be between {low:g} and {high:g}."
    return value


def parse_timestamp(raw: str) -> int:
    """Milliseconds since the epoch from digits (ms) or an ISO 8601 time (UTC unless it says)."""
    if raw.isdigit():
        return int(raw)
    when = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    if when.tzinfo is None:
        when = when.replace(tzinfo=UTC)
    return int(when.timestamp() * 1000)


def parse_cursor(raw: str) -> tuple[tuple[int, int], ...]:
    """ "0:15,1:20" -> ((0, 15), (1, 20)); ValueError when malformed."""
    pairs = []
    for part in raw.split(","):
        p, _, o = part.strip().partition(":")
        partition, offset = int(p), int(o)
        if partition < 0 or offset < 0:
            raise ValueError(part)
        pairs.append((partition, offset))
    if len({p for p, _ in pairs}) != len(pairs):
        raise ValueError(raw)
    return tuple(sorted(pairs))


def format_cursor(cursor: tuple[tuple[int, int], ...]) -> str:
    return ",".join(f"{p}:{o}" for p, o in cursor)


def _match(params: Mapping[str, Any], key: str, errors: dict[str, str], mode_key: str) -> TextMatch | None:
    text = params.get(key)
    text = "" if text is None else str(text)
    mode = _flag(params, mode_key) or "contains"
    if mode not in MATCHES:
        errors[mode_key] = f"Unknown match '{mode}'; use {' or '.join(MATCHES)}."
    if len(text) > MAX_FILTER_LENGTH:
        errors[key] = f"At most {MAX_FILTER_LENGTH} characters."
    return TextMatch(needle=text, mode=mode) if text != "" else None


@dataclass(frozen=True)
class BrowseQuery:
    """What to read: where to start, which partition(s), filters, decoding and bounds."""

    start: str = "latest"
    partition: int | None = None
    offset: int | None = None
    timestamp_ms: int | None = None
    cursor: tuple[tuple[int, int], ...] = ()
    limit: int = DEFAULT_LIMIT
    max_scan: int = DEFAULT_MAX_SCAN
    max_seconds: float = DEFAULT_MAX_SECONDS
    decode: str = "auto"
    filter: MessageFilter = field(default_factory=MessageFilter)

    @classmethod
    def from_params(cls, params: Mapping[str, Any], *, now_ms: int | None = None) -> BrowseQuery:
        """Parse query parameters; raises ValidationError naming each bad parameter.

        start=earliest|latest|offset|timestamp, partition, offset, timestamp (ms or ISO 8601),
        cursor ("p:offset,..." from a previous result), limit, max_scan, max_seconds,
        decode=auto|text|json|hex|registry, key/key_match, value/value_match, header/header_value/header_match."""
        errors: dict[str, str] = {}
        start = _flag(params, "start") or "latest"
        if start not in ("earliest", "latest", "offset", "timestamp"):
            errors["start"] = f"Unknown start '{start}'; use earliest, latest, offset or timestamp."
        partition = _number(params, "partition", errors, 0, 1_000_000)
        offset = _number(params, "offset", errors, 0, 2**63 - 1)
        limit = _number(params, "limit", errors, 1, MAX_LIMIT)
        max_scan = _number(params, "max_scan", errors, 1, MAX_SCAN)
        max_seconds = _number(params, "max_seconds", errors, 0.1, MAX_SECONDS)
        for key, value in (("partition", partition), ("offset", offset), ("limit", limit), ("max_scan", max_scan)):
            if value is not None and key not in errors and not isinstance(value, int):
                errors[key] = "Must be a whole number."
        if start == "offset" and offset is None and "offset" not in errors:
            errors["offset"] = "Give the offset to start from (start=offset)."
        timestamp_ms = None
        raw_ts = _flag(params, "timestamp")
        if raw_ts:
            try:
                timestamp_ms = parse_timestamp(raw_ts)
            except (ValueError, OverflowError):
                errors["timestamp"] = f"'{raw_ts}' is neither milliseconds since 1970 nor an ISO 8601 time."
        if start == "timestamp" and "timestamp" not in errors:
            now = now_ms if now_ms is not None else int(datetime.now(tz=UTC).timestamp() * 1000)
            if timestamp_ms is None:
                errors["timestamp"] = "Give the time to start from (start=timestamp)."
            elif timestamp_ms > now + FUTURE_SKEW_MS:
                errors["timestamp"] = "This time is in the future; no message can have been written then."
        cursor: tuple[tuple[int, int], ...] = ()
        raw_cursor = _flag(params, "cursor")
        if raw_cursor:
            try:
                cursor = parse_cursor(raw_cursor)
            except ValueError:
                errors["cursor"] = "Malformed cursor; pass back the `cursor` of a previous result unchanged."
        decode = _flag(params, "decode") or "auto"
        if decode not in DECODINGS:
            errors["decode"] = f"Unknown decoding '{decode}'; use one of {', '.join(DECODINGS)}."
        key_match = _match(params, "key", errors, "key_match")
        value_match = _match(params, "value", errors, "value_match")
        header = _flag(params, "header")
        header_value = _match(params, "header_value", errors, "header_match")
        if header_value is not None and not header:
            errors["header"] = "Name the header whose value should match."
        if len(header) > MAX_FILTER_LENGTH:
            errors["header"] = f"At most {MAX_FILTER_LENGTH} characters."
        if errors:
            raise ValidationError(errors)
        return cls(
            start=start,
            partition=None if partition is None else int(partition),
            offset=None if offset is None else int(offset),
            timestamp_ms=timestamp_ms,
            cursor=cursor,
            limit=int(limit or DEFAULT_LIMIT),
            max_scan=int(max_scan or DEFAULT_MAX_SCAN),
            max_seconds=float(max_seconds or DEFAULT_MAX_SECONDS),
            decode=decode,
            filter=MessageFilter(key=key_match, value=value_match, header=header, header_value=header_value),
        )

    def scan_start(self) -> gateway.ScanStart:
        if self.cursor:
            return gateway.ScanStart(mode="cursor", cursor=self.cursor)
        return gateway.ScanStart(mode=self.start, offset=self.offset, timestamp_ms=self.timestamp_ms, count=self.limit)


@dataclass(frozen=True)
class BrowseResult:
    query: BrowseQuery
    scan: gateway.ScanResult
    registry_url: str = ""

    @property
    def cursor(self) -> str:
        return format_cursor(self.scan.cursor)

    def messages(self) -> list[dict[str, Any]]:
        registry = serde.RegistryDecoder(self.registry_url)  # one per call: an unreachable registry is tried once
        return [message_as_dict(m, self.query.decode, registry) for m in self.scan.messages]

    def as_dict(self) -> dict[str, Any]:
        scan = self.scan
        return {
            "topic": scan.topic,
            "count": len(scan.messages),
            "scanned": scan.scanned,
            "elapsed_ms": scan.elapsed_ms,
            "stop_reason": scan.stop_reason,
            "done": scan.done,
            "cursor": self.cursor,
            "partitions": [
                {"partition": p.partition, "start": p.start, "next": p.next, "end": p.end} for p in scan.partitions
            ],
            "messages": self.messages(),
        }


def message_browse(*, user: User, cluster: Cluster, topic: str, query: BrowseQuery) -> BrowseResult:
    """Read messages of `topic` with a bounded scan (query.max_scan messages, query.max_seconds)
    and keep those matching the filters. Pass the result's cursor back to continue."""
    check_permission(user=user, cluster=cluster, action=Action.MESSAGE_READ, topic=topic)
    scan = gateway.messages_scan(
        cluster.connection(),
        topic,
        partition=query.partition,
        start=query.scan_start(),
        keep=query.filter,
        max_results=query.limit,
        max_scanned=query.max_scan,
        max_seconds=query.max_seconds,
    )
    return BrowseResult(query=query, scan=scan, registry_url=cluster.schema_registry_url or "")


def message_get(
    *, user: User, cluster: Cluster, topic: str, partition: int, offset: int, decode: str = "auto"
) -> dict[str, Any] | None:
    """One message by partition and offset (None when that offset holds no message)."""
    query = BrowseQuery(start="offset", partition=partition, offset=offset, limit=1, max_scan=1, decode=decode)
    try:
        result = message_browse(user=user, cluster=cluster, topic=topic, query=query)
    except gateway.KafkaRejected as exc:
        if exc.field == "offset":  # past the end: simply no such message (yet)
            return None
        raise
    found = [m for m in result.scan.messages if m.offset == offset]
    if not found:
        return None
    return message_as_dict(found[0], decode, serde.RegistryDecoder(result.registry_url))


# ---------------------------------------------------------------- produce


def _encode(text: str | None, fmt: str, key: str, errors: dict[str, str]) -> bytes | None:
    if text is None:
        return None
    if fmt == "hex":
        try:
            return binascii.unhexlify("".join(text.split()))
        except (binascii.Error, ValueError):
            errors[key] = "Not hex: use pairs of 0-9a-f digits (spaces allowed)."
            return None
    if fmt == "json":
        try:
            json.loads(text)
        except ValueError as exc:
            errors[key] = f"Not valid JSON: {exc}."
            return None
    return text.encode("utf-8")


MAX_SUBJECT_LENGTH = 255


def _subject(data: Mapping[str, Any], name: str, errors: dict[str, str]) -> str:
    raw = data.get(name)
    if raw is None:
        return ""
    if not isinstance(raw, str):
        errors[name] = "Must be a subject name (a string)."
        return ""
    if len(raw.strip()) > MAX_SUBJECT_LENGTH:
        errors[name] = f"At most {MAX_SUBJECT_LENGTH} characters."
    return raw.strip()


def _registry_encode(cluster: Cluster, message: ProduceInput) -> tuple[ProduceInput, dict[str, Any]]:
    """Encode key and/or value with the latest schema of their subjects (wire format).
    Returns the message with encoded bytes and what the audit trail notes (subject, schema id)."""
    if not (message.key_subject or message.value_subject):
        return message, {}
    url = cluster.schema_registry_url or ""
    from schemas import registry  # lazily: only producing with a subject needs the registry

    encoded: dict[str, bytes | None] = {"key": message.key, "value": message.value}
    noted: dict[str, Any] = {}
    for part, subject in (("key", message.key_subject), ("value", message.value_subject)):
        if not subject:
            continue
        field_name = f"{part}_subject"
        if not url:
            raise ValidationError(
                {field_name: "This cluster has no schema registry URL; set one on the cluster's edit page."}
            )
        try:
            schema = registry.subject_version(url, subject, "latest")
        except registry.RegistryNotFound as exc:
            raise ValidationError({field_name: f"No subject '{subject}' in the registry: {exc}"}) from exc
        except registry.RegistryRejected as exc:
            raise ValidationError({field_name: str(exc)}) from exc
        noted[field_name] = {"subject": subject, "schema_id": schema.id, "version": schema.version}
        data = encoded[part]
        if data is not None:  # a null value stays a tombstone
            encoded[part] = serde.encode(data.decode("utf-8"), schema, field=part)
    return replace(message, key=encoded["key"], value=encoded["value"]), noted


@dataclass(frozen=True)
class ProduceInput:
    """One message to produce, validated: bytes ready for Kafka."""

    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes], ...]
    partition: int | None
    # With a subject, key/value hold JSON text that the service encodes with its latest schema.
    key_subject: str = ""
    value_subject: str = ""

    @classmethod
    def parse(cls, data: Mapping[str, Any]) -> ProduceInput:
        """From an API body ({"key", "value", "key_format", "value_format", "key_subject",
        "value_subject", "partition", "headers": [{"key", "value"}]}; with a subject the text must be
        JSON, encoded later by the service) or a form (header_key/header_value lists; empty
        key or value means none). Raises ValidationError naming each bad field."""
        errors: dict[str, str] = {}
        is_form = hasattr(data, "getlist")
        key_format = str(data.get("key_format") or "text")
        value_format = str(data.get("value_format") or "text")
        for name, fmt in (("key_format", key_format), ("value_format", value_format)):
            if fmt not in PRODUCE_FORMATS:
                errors[name] = f"Unknown format '{fmt}'; use one of {', '.join(PRODUCE_FORMATS)}."

        def text(name: str) -> str | None:
            raw = data.get(name)
            if raw is None or (is_form and raw == ""):
                return None
            if not isinstance(raw, str):
                errors[name] = "Must be a string (or null for none)."
                return None
            return raw

        subjects = {name: _subject(data, name, errors) for name in ("key_subject", "value_subject")}
        key_fmt = "json" if subjects["key_subject"] else key_format
        value_fmt = "json" if subjects["value_subject"] else value_format
        key = _encode(text("key"), key_fmt, "key", errors)
        value = _encode(text("value"), value_fmt, "value", errors)
        if key is None and value is None and "key" not in errors and "value" not in errors:
            errors["value"] = "Give a value, or a key for a tombstone (a message with a null value)."

        partition: int | None = None
        raw_partition = data.get("partition")
        if raw_partition not in (None, ""):
            if isinstance(raw_partition, bool):
                errors["partition"] = "Must be a partition number."
            else:
                try:
                    partition = int(str(raw_partition).strip())
                except ValueError:
                    errors["partition"] = f"'{raw_partition}' is not a partition number."
                else:
                    if partition < 0:
                        errors["partition"] = "Must be 0 or more (or empty for the partitioner)."

        pairs: list[tuple[Any, Any]] = []
        if is_form:
            pairs = list(zip(data.getlist("header_key"), data.getlist("header_value"), strict=False))  # type: ignore[attr-defined]
            pairs = [(k, v) for k, v in pairs if k or v]
        else:
            raw_headers = data.get("headers") or []
            if not isinstance(raw_headers, list):
                errors["headers"] = 'Must be a list of {"key": ..., "value": ...}.'
                raw_headers = []
            for item in raw_headers:
                if not isinstance(item, dict):
                    errors["headers"] = 'Each header must be {"key": ..., "value": ...}.'
                    break
                pairs.append((item.get("key"), item.get("value", "")))
        headers: list[tuple[str, bytes]] = []
        for k, v in pairs:
            if not isinstance(k, str) or not k.strip():
                errors["headers"] = "Every header needs a name."
                break
            if v is not None and not isinstance(v, str):
                errors["headers"] = f"The value of header '{k}' must be a string."
                break
            headers.append((k.strip(), (v or "").encode("utf-8")))
        if len(headers) > MAX_HEADERS:
            errors["headers"] = f"At most {MAX_HEADERS} headers."
        if errors:
            raise ValidationError(errors)
        return cls(
            key=key,
            value=value,
            headers=tuple(headers),
            partition=partition,
            key_subject=subjects["key_subject"],
            value_subject=subjects["value_subject"],
        )


def message_produce(*, user: User, cluster: Cluster, topic: str, message: ProduceInput) -> gateway.ProducedRecord:
    """Produce one message to `topic` and return where it landed (partition, offset). A key or value
    with a subject is first encoded with that subject's latest schema from the cluster's registry
    (ValidationError naming the field when it does not fit). The audit trail records sizes, header
    names and schema ids, never the payload."""
    check_permission(user=user, cluster=cluster, action=Action.MESSAGE_PRODUCE, topic=topic)
    message, schemas_used = _registry_encode(cluster, message)
    summary = {
        "key_bytes": None if message.key is None else len(message.key),
        "value_bytes": None if message.value is None else len(message.value),
        "headers": [k for k, _ in message.headers],
        "partition_requested": message.partition,
        **schemas_used,
    }
    with audit(user=user, cluster=cluster, action="message.produce", target=topic, before=summary) as event:
        produced = gateway.message_produce(
            cluster.connection(),
            topic,
            key=message.key,
            value=message.value,
            headers=message.headers,
            partition=message.partition,
        )
        event.after = {"partition": produced.partition, "offset": produced.offset}
    return produced
