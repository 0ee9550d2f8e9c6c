"""The only module that talks HTTP to a schema registry (the Confluent-compatible REST API; Apicurio's
/apis/ccompat/v7 included). Functions take the registry's base URL, return frozen dataclasses and raise
our own RegistryError subclasses with the server's message, the URL and how long we waited.

Timeouts come from settings SCHEMA_REGISTRY_CONNECT_TIMEOUT_S (3) and SCHEMA_REGISTRY_READ_TIMEOUT_S (10);
answers larger than SCHEMA_REGISTRY_MAX_RESPONSE_BYTES (8 MiB) are refused; redirects are followed only
on the same scheme, host and port."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from django.conf import settings

CONTENT_TYPE = "application/vnd.schemaregistry.v1+json"
SCHEMA_TYPES = ("AVRO", "JSON", "PROTOBUF")
MAX_REDIRECTS = 3
# Confluent error codes that name the input at fault (422 answers).
FIELD_BY_ERROR_CODE = {42201: "schema", 42202: "version", 42203: "compatibility"}
# "must be soft deleted first" / "already soft deleted": the subject's state, not a missing thing.
CONFLICT_ERROR_CODES = {40405, 40406, 40407}


class RegistryError(Exception):
    """Base class: the registry could not do what was asked. `code` is a stable machine key."""

    code = "registry_error"

    def __init__(self, message: str, url: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.url = url


class RegistryUnreachable(RegistryError):
    """Connection refused, DNS failure, or a timeout (-> API 502/504)."""

    code = "unreachable"


class RegistryTimeout(RegistryUnreachable):
    code = "timeout"


class RegistryRequestFailed(RegistryError):
    """The registry answered with a server error or something that is not its API (-> 502)."""

    code = "registry_error"


class RegistryRejected(RegistryError):
    """The registry refused the input as invalid (-> 400 naming `field`)."""

    code = "rejected"

    def __init__(self, message: str, url: str = "", field: str | None = None) -> None:
        super().__init__(message, url)
        self.field = field


class RegistryNotFound(RegistryError):
    code = "not_found"


class RegistryConflict(RegistryError):
    """An incompatible schema, or a delete in the wrong order (-> 409)."""

    code = "conflict"


@dataclass(frozen=True)
class SchemaReference:
    name: str
    subject: str
    version: int


@dataclass(frozen=True)
class RegistrySchema:
    id: int
    schema_type: str  # AVRO, JSON or PROTOBUF
    schema: str
    references: tuple[SchemaReference, ...] = ()
    subject: str | None = None
    version: int | None = None


@dataclass(frozen=True)
class CompatibilityResult:
    is_compatible: bool
    messages: tuple[str, ...]  # reasons, when the registry gives them (Confluent with verbose; Apicurio never)


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def _timeouts() -> tuple[float, float]:
    return _setting("SCHEMA_REGISTRY_CONNECT_TIMEOUT_S", 3), _setting("SCHEMA_REGISTRY_READ_TIMEOUT_S", 10)


def _same_origin(a: str, b: str) -> bool:
    sa, sb = urlsplit(a), urlsplit(b)
    return (sa.scheme, sa.hostname, sa.port) == (sb.scheme, sb.hostname, sb.port)


def _read_bounded(response: requests.Response, url: str) -> bytes:
    limit = int(_setting("SCHEMA_REGISTRY_MAX_RESPONSE_BYTES", 8 * 1024 * 1024))
    body = b""
    for chunk in response.iter_content(65536):
        body += chunk
        if len(body) > limit:
            response.close()
            raise RegistryRequestFailed(f"The schema registry at {url} sent more than {limit} bytes; refused.", url)
    return body


def _server_message(body: bytes) -> tuple[str, int | None]:
    """The registry's own error message and error code, from its JSON error body."""
    try:
        data = json.loads(body or b"null")
    except ValueError:
        return body[:300].decode(errors="replace").strip(), None
    if isinstance(data, dict):
        code = data.get("error_code")
        return str(data.get("message") or data.get("detail") or "").strip(), code if isinstance(code, int) else None
    return "", None


def _request(method: str, base_url: str, path: str, *, params: dict[str, Any] | None = None, body: Any = None) -> Any:
    """One call; returns the parsed JSON answer or raises a RegistryError subclass."""
    url = base_url.rstrip("/") + path
    connect_s, read_s = _timeouts()
    data = json.dumps(body) if body is not None else None
    headers = {"Accept": f"{CONTENT_TYPE}, application/json"}
    if data is not None:
        headers["Content-Type"] = CONTENT_TYPE
    target = url
    for _ in range(MAX_REDIRECTS + 1):
        try:
            response = requests.request(
                method,
                target,
                params=params,
                data=data,
                headers=headers,
                timeout=(connect_s, read_s),
                allow_redirects=False,
                stream=True,
            )
        except requests.exceptions.ConnectTimeout as exc:
            raise RegistryTimeout(
                f"The schema registry at {url} did not accept a connection within {connect_s:g} s: "
                f"check it runs and the cluster's schema registry URL. ({exc.__class__.__name__})",
                url,
            ) from exc
        except requests.exceptions.ReadTimeout as exc:
            raise RegistryTimeout(
                f"The schema registry at {url} did not answer within {read_s:g} s: it may be overloaded; try again.",
                url,
            ) from exc
        except requests.exceptions.ConnectionError as exc:
            raise RegistryUnreachable(
                f"Cannot reach the schema registry at {url}: {_reason(exc)}. Check it runs and the cluster's "
                "schema registry URL (edit the cluster).",
                url,
            ) from exc
        except requests.exceptions.RequestException as exc:
            raise RegistryRequestFailed(f"Request to the schema registry at {url} failed: {exc}", url) from exc
        if response.is_redirect:
            location = urljoin(target, response.headers.get("Location", ""))
            response.close()
            if not _same_origin(location, url):
                raise RegistryRequestFailed(
                    f"The schema registry at {url} redirected to another host ({location}); not followed. "
                    "Set the cluster's schema registry URL to the final address.",
                    url,
                )
            target = location
            continue
        raw = _read_bounded(response, url)
        if response.status_code < 300:
            try:
                return json.loads(raw) if raw.strip() else None
            except ValueError as exc:
                raise RegistryRequestFailed(
                    f"The schema registry at {url} answered with something that is not JSON "
                    f"(HTTP {response.status_code}): is the URL the registry's API base?",
                    url,
                ) from exc
        _raise_for(response.status_code, raw, url, method)
    raise RegistryRequestFailed(f"The schema registry at {url} redirected more than {MAX_REDIRECTS} times.", url)


def _reason(exc: Exception) -> str:
    text = str(exc)
    for hint in ("Connection refused", "Name or service not known", "No route to host", "Temporary failure"):
        if hint in text:
            return hint.lower()
    return exc.__class__.__name__


def _raise_for(status: int, raw: bytes, url: str, method: str) -> None:
    message, code = _server_message(raw)
    said = f"Schema registry ({method} {url}) answered HTTP {status}: {message or 'no message'}"
    if status == 404 and code in CONFLICT_ERROR_CODES:
        raise RegistryConflict(said, url)
    if status == 404:
        raise RegistryNotFound(said, url)
    if status == 409:
        raise RegistryConflict(said, url)
    if status in (400, 415, 422):
        raise RegistryRejected(said, url, field=FIELD_BY_ERROR_CODE.get(code or 0))
    if status in (401, 403):
        raise RegistryRequestFailed(f"{said}. Signalbox sends no registry credentials; allow it access.", url)
    raise RegistryRequestFailed(said, url)


def _subject(subject: str) -> str:
    return quote(subject, safe="")


def _schema_from(data: Any, *, schema_id: int | None = None) -> RegistrySchema:
    if not isinstance(data, dict) or "schema" not in data:
        raise RegistryRequestFailed("The schema registry answered without a schema: is the URL the registry's API?")
    refs = tuple(
        SchemaReference(
            name=str(r.get("name", "")), subject=str(r.get("subject", "")), version=int(r.get("version", 0))
        )
        for r in data.get("references") or []
        if isinstance(r, dict)
    )
    version = data.get("version")
    return RegistrySchema(
        id=int(data.get("id", schema_id or 0)),
        schema_type=str(data.get("schemaType") or "AVRO").upper(),  # Confluent omits it for Avro
        schema=str(data["schema"]),
        references=refs,
        subject=data.get("subject"),
        version=int(version) if version is not None else None,
    )


# ---------------------------------------------------------------------------------------------- reads


def subjects(url: str, *, deleted: bool = False) -> list[str]:
    """Subject names (with soft-deleted ones when `deleted`)."""
    data = _request("GET", url, "/subjects", params={"deleted": "true"} if deleted else None)
    return sorted(str(s) for s in data or [])


def subject_versions(url: str, subject: str, *, deleted: bool = False) -> list[int]:
    """Version numbers of a subject, oldest first (with soft-deleted ones when `deleted`)."""
    path = f"/subjects/{_subject(subject)}/versions"
    data = _request("GET", url, path, params={"deleted": "true"} if deleted else None)
    return sorted(int(v) for v in data or [])


def subject_version(url: str, subject: str, version: int | str = "latest", *, deleted: bool = False) -> RegistrySchema:
    """One version of a subject ("latest" or a number), with subject and version filled in."""
    path = f"/subjects/{_subject(subject)}/versions/{quote(str(version), safe='')}"
    return _schema_from(_request("GET", url, path, params={"deleted": "true"} if deleted else None))


def schema_by_id(url: str, schema_id: int) -> RegistrySchema:
    """The schema a wire-format message names by its id (subject and version are None)."""
    return _schema_from(_request("GET", url, f"/schemas/ids/{int(schema_id)}"), schema_id=schema_id)


def compatibility_get(url: str, subject: str | None = None) -> str | None:
    """The compatibility level, global or of one subject; None when the subject has none of its own."""
    path = f"/config/{_subject(subject)}" if subject else "/config"
    try:
        data = _request("GET", url, path)
    except RegistryNotFound:
        if subject:
            return None
        raise
    if not isinstance(data, dict):
        return None
    level = data.get("compatibilityLevel") or data.get("compatibility")
    return str(level) if level else None


def compatibility_check(
    url: str,
    subject: str,
    schema: str,
    schema_type: str,
    *,
    references: tuple[SchemaReference, ...] = (),
    version: int | str = "latest",
) -> CompatibilityResult:
    """Whether `schema` may become the next version of `subject` under its compatibility level."""
    path = f"/compatibility/subjects/{_subject(subject)}/versions/{quote(str(version), safe='')}"
    data = _request("POST", url, path, params={"verbose": "true"}, body=_schema_body(schema, schema_type, references))
    if not isinstance(data, dict) or "is_compatible" not in data:
        raise RegistryRequestFailed(f"The schema registry at {url} answered the compatibility check without a verdict.")
    return CompatibilityResult(
        is_compatible=bool(data["is_compatible"]),
        messages=tuple(str(m) for m in data.get("messages") or []),
    )


# ---------------------------------------------------------------------------------------------- changes


def _schema_body(schema: str, schema_type: str, references: tuple[SchemaReference, ...]) -> dict[str, Any]:
    body: dict[str, Any] = {"schema": schema, "schemaType": schema_type}
    if references:
        body["references"] = [{"name": r.name, "subject": r.subject, "version": r.version} for r in references]
    return body


def register(
    url: str, subject: str, schema: str, schema_type: str, *, references: tuple[SchemaReference, ...] = ()
) -> int:
    """Register `schema` under `subject`; returns its schema id (the same id when it already exists)."""
    path = f"/subjects/{_subject(subject)}/versions"
    data = _request("POST", url, path, body=_schema_body(schema, schema_type, references))
    if not isinstance(data, dict) or "id" not in data:
        raise RegistryRequestFailed(f"The schema registry at {url} registered the schema but sent no id.")
    return int(data["id"])


def compatibility_set(url: str, level: str, subject: str | None = None) -> str:
    """Set the compatibility level, global or of one subject; returns the level now in force."""
    path = f"/config/{_subject(subject)}" if subject else "/config"
    data = _request("PUT", url, path, body={"compatibility": level})
    return str((data or {}).get("compatibility") or (data or {}).get("compatibilityLevel") or level)


def compatibility_delete(url: str, subject: str) -> None:
    """Drop a subject's own level, so the global one applies again."""
    _request("DELETE", url, f"/config/{_subject(subject)}")


def version_delete(url: str, subject: str, version: int, *, permanent: bool = False) -> int:
    """Soft delete one version, or (permanent, after a soft delete) remove it for good; returns the version."""
    path = f"/subjects/{_subject(subject)}/versions/{int(version)}"
    data = _request("DELETE", url, path, params={"permanent": "true"} if permanent else None)
    return int(data) if isinstance(data, int | str) and str(data).isdigit() else version


def subject_delete(url: str, subject: str, *, permanent: bool = False) -> list[int]:
    """Soft delete a subject, or (permanent, after a soft delete) remove it for good; returns its versions."""
    data = _request(
        "DELETE", url, f"/subjects/{_subject(subject)}", params={"permanent": "true"} if permanent else None
    )
    return sorted(int(v) for v in data or [])
