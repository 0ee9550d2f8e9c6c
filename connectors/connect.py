"""The one module that talks HTTP to Kafka Connect workers (their REST API).

Functions take a `ConnectTarget` (which worker, how long to wait), return frozen dataclasses and
raise our own errors below, whose messages carry Connect's own words, the URL and how long we waited.
"""

from __future__ import annotations

import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any
from urllib.parse import quote, urljoin, urlsplit

import requests
from django.conf import settings

from clusters.gateway.errors import GatewayError

MAX_REDIRECTS = 3


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


# -- errors ---------------------------------------------------------------------------------------


class ConnectError(GatewayError):
    """Kafka Connect could not do what was asked (page: error box; API: 502)."""

    code = "connect_error"


class ConnectUnreachable(ConnectError):
    """Refused, DNS failure, TLS failure: the worker is not there (API 502)."""

    code = "connect_unreachable"


class ConnectTimeout(ConnectUnreachable):
    """The worker did not answer in time (API 504)."""

    code = "connect_timeout"


class ConnectRejected(ConnectError):
    """Connect refused the input as invalid (API 400 naming `field` when known)."""

    code = "connect_rejected"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class ConnectNotConfigured(ConnectRejected):
    """The cluster has no Connect URL, or not the one asked for (API 400 naming `connect`)."""

    code = "connect_not_configured"

    def __init__(self, message: str) -> None:
        super().__init__(message, field="connect")


class ConnectNotFound(ConnectError):
    """The connector, task or plugin does not exist (API 404)."""

    code = "connect_not_found"


class ConnectConflict(ConnectError):
    """A rebalance is in progress or the connector already exists (API 409); retry shortly."""

    code = "connect_conflict"


# -- what we return ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConnectTarget:
    """One Connect cluster of a Signalbox cluster: its base URL and a short name derived from it."""

    index: int
    name: str
    url: str
    connect_timeout_s: float = 3.0
    read_timeout_s: float = 10.0
    max_response_bytes: int = 5_000_000

    @classmethod
    def from_url(cls, index: int, url: str) -> ConnectTarget:
        return cls(
            index=index,
            name=target_name(url),
            url=url.rstrip("/"),
            connect_timeout_s=_setting("CONNECT_CONNECT_TIMEOUT_S", 3.0),
            read_timeout_s=_setting("CONNECT_READ_TIMEOUT_S", 10.0),
            max_response_bytes=int(_setting("CONNECT_MAX_RESPONSE_BYTES", 5_000_000)),
        )


def target_name(url: str) -> str:
    """A stable short name for a Connect URL: host-port plus path, e.g. "connect-a-8083"."""
    parts = urlsplit(url)
    raw = parts.netloc + parts.path.rstrip("/")
    return "".join(c if c.isalnum() or c in ".-_" else "-" for c in raw).strip("-") or "connect"


@dataclass(frozen=True)
class WorkerInfo:
    version: str
    commit: str
    kafka_cluster_id: str


@dataclass(frozen=True)
class PluginInfo:
    class_name: str
    type: str
    version: str

    @property
    def short_name(self) -> str:
        return self.class_name.rsplit(".", 1)[-1]


@dataclass(frozen=True)
class TaskState:
    id: int
    state: str
    worker_id: str
    trace: str = ""


@dataclass(frozen=True)
class ConnectorStatus:
    name: str
    state: str  # RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED, RESTARTING
    worker_id: str
    type: str
    trace: str = ""
    tasks: tuple[TaskState, ...] = ()

    @property
    def failed_tasks(self) -> tuple[TaskState, ...]:
        return tuple(t for t in self.tasks if t.state == "FAILED")

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class ConnectorInfo:
    name: str
    type: str
    config: dict[str, str] = field(default_factory=dict)
    task_ids: tuple[int, ...] = ()

    @property
    def class_name(self) -> str:
        return self.config.get("connector.class", "")


@dataclass(frozen=True)
class ConnectorSummary:
    """One row of the connector list: its config and its status together."""

    info: ConnectorInfo
    status: ConnectorStatus


@dataclass(frozen=True)
class ValidationResult:
    """Connect's verdict on a config: every field with its errors (errors keyed by config name)."""

    plugin: str
    error_count: int
    errors: dict[str, tuple[str, ...]]
    fields: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        return self.error_count == 0 and not self.errors


@dataclass(frozen=True)
class OffsetEntry:
    partition: dict[str, Any]
    offset: dict[str, Any] | None


@dataclass(frozen=True)
class ConnectorOffsets:
    entries: tuple[OffsetEntry, ...]

    def as_dict(self) -> dict[str, Any]:
        return {"offsets": [asdict(e) for e in self.entries]}


# -- HTTP --------------------------------------------------------------------------------------------


def _connect_message(body: bytes) -> str:
    try:
        data = json.loads(body)
    except ValueError:
        return body[:300].decode(errors="replace").strip()
    if isinstance(data, dict) and data.get("message"):
        return str(data["message"])
    return json.dumps(data)[:300]


def _read_bounded(response: requests.Response, target: ConnectTarget, url: str) -> bytes:
    chunks, size = [], 0
    for chunk in response.iter_content(65536):
        size += len(chunk)
        if size > target.max_response_bytes:
            raise ConnectError(
                f"Kafka Connect at {url} answered with more than {target.max_response_bytes} bytes; "
                "Signalbox stops reading there. Check that the URL points at a Connect worker."
            )
        chunks.append(chunk)
    return b"".join(chunks)


def _send(target: ConnectTarget, method: str, url: str, what: str, body: Any) -> tuple[int, bytes, str]:
    """Send one request, following at most MAX_REDIRECTS redirects on the same host only."""
    started = time.monotonic()
    origin = urlsplit(target.url)[:2]
    for _ in range(MAX_REDIRECTS + 1):
        try:
            with requests.request(
                method,
                url,
                json=body,
                timeout=(target.connect_timeout_s, target.read_timeout_s),
                allow_redirects=False,
                stream=True,
                headers={"Accept": "application/json"},
            ) as response:
                if response.is_redirect and response.headers.get("Location"):
                    location = urljoin(url, response.headers["Location"])
                    if urlsplit(location)[:2] != origin:
                        raise ConnectError(
                            f"Kafka Connect at {target.url} redirected {what} to another host ({location}); "
                            "Signalbox does not follow that. Put the final URL in the cluster's settings."
                        )
                    url = location
                    continue
                return response.status_code, _read_bounded(response, target, url), url
        except requests.Timeout as exc:
            waited = time.monotonic() - started
            phase = "connect" if isinstance(exc, requests.ConnectTimeout) else "answer"
            raise ConnectTimeout(
                f"Kafka Connect at {url} did not {phase} within {waited:.1f} s while {what} "
                f"(limits: connect {target.connect_timeout_s:g} s, read {target.read_timeout_s:g} s). "
                "Check that the worker is running and not overloaded."
            )
        except requests.ConnectionError as exc:
            waited = time.monotonic() - started
            reason = str(exc.args[0] if exc.args else exc)
            if "refused" in reason.lower():
                reason = "connection refused"
            raise ConnectUnreachable(
                f"Could not reach Kafka Connect at {url} while {what} ({reason[:200]}; after {waited:.1f} s). "
                "Check the Connect URL in the cluster's settings and that the worker is running."
            )
        except requests.RequestException as exc:
            raise ConnectUnreachable(f"Request to Kafka Connect at {url} failed while {what}: {exc}")
    raise ConnectError(f"Kafka Connect at {target.url} redirected {what} more than {MAX_REDIRECTS} times.")


def _request(
    target: ConnectTarget,
    method: str,
    path: str,
    what: str,
    *,
    body: Any = None,
    field_hint: str | None = None,
) -> Any:
    """One call to Connect: JSON in and out, Connect's errors turned into ours."""
    url = target.url + path
    status, raw, url = _send(target, method, url, what, body)
    if status < 300:
        if not raw.strip():
            return None
        try:
            return json.loads(raw)
        except ValueError:
            raise ConnectError(f"Kafka Connect at {url} answered {what} with something that is not JSON.")
    message = _connect_message(raw)
    said = f"Kafka Connect at {target.url} refused {what}: {message}"
    if status == 404:
        raise ConnectNotFound(said)
    if status == 409:
        raise ConnectConflict(f"{said} (a rebalance may be in progress; try again in a few seconds)")
    if 400 <= status < 500:
        raise ConnectRejected(said, field=field_hint)
    raise ConnectError(f"Kafka Connect at {target.url} failed {what} (HTTP {status}): {message}")


def _seg(name: str) -> str:
    return quote(name, safe="")


def _task(raw: dict[str, Any]) -> TaskState:
    return TaskState(
        id=int(raw.get("id", 0)),
        state=str(raw.get("state", "UNKNOWN")),
        worker_id=str(raw.get("worker_id", "")),
        trace=str(raw.get("trace", "") or ""),
    )


def _status(raw: dict[str, Any]) -> ConnectorStatus:
    conn = raw.get("connector") or {}
    tasks = sorted((_task(t) for t in raw.get("tasks") or []), key=lambda t: t.id)
    return ConnectorStatus(
        name=str(raw.get("name", "")),
        state=str(conn.get("state", "UNKNOWN")),
        worker_id=str(conn.get("worker_id", "")),
        type=str(raw.get("type", "")),
        trace=str(conn.get("trace", "") or ""),
        tasks=tuple(tasks),
    )


def _info(raw: dict[str, Any]) -> ConnectorInfo:
    return ConnectorInfo(
        name=str(raw.get("name", "")),
        type=str(raw.get("type", "")),
        config={str(k): str(v) for k, v in (raw.get("config") or {}).items()},
        task_ids=tuple(int(t.get("task", 0)) for t in raw.get("tasks") or []),
    )


# -- the worker ---------------------------------------------------------------------------------------


def worker_info(target: ConnectTarget) -> WorkerInfo:
    """Version, commit and the Kafka cluster id the worker belongs to."""
    raw = _request(target, "GET", "/", "reading the worker's version") or {}
    return WorkerInfo(
        version=str(raw.get("version", "")),
        commit=str(raw.get("commit", "")),
        kafka_cluster_id=str(raw.get("kafka_cluster_id", "")),
    )


def plugins(target: ConnectTarget) -> tuple[PluginInfo, ...]:
    """Connector plugins installed on the worker."""
    raw = _request(target, "GET", "/connector-plugins", "listing the connector plugins") or []
    return tuple(
        sorted(
            (PluginInfo(class_name=p["class"], type=p.get("type", ""), version=p.get("version", "")) for p in raw),
            key=lambda p: p.class_name,
        )
    )


# -- connectors -----------------------------------------------------------------------------------------


def connectors(target: ConnectTarget) -> tuple[ConnectorSummary, ...]:
    """Every connector with its config and status (one call: expand=status&expand=info)."""
    raw = _request(target, "GET", "/connectors?expand=status&expand=info", "listing the connectors") or {}
    rows = []
    for name, parts in sorted(raw.items()):
        info = _info(parts.get("info") or {"name": name})
        status = _status(parts.get("status") or {"name": name})
        rows.append(ConnectorSummary(info=info, status=status))
    return tuple(rows)


def connector_info(target: ConnectTarget, name: str) -> ConnectorInfo:
    """A connector's config and task ids."""
    return _info(_request(target, "GET", f"/connectors/{_seg(name)}", f"reading connector '{name}'") or {})


def connector_status(target: ConnectTarget, name: str) -> ConnectorStatus:
    """A connector's state and its tasks' states (a failed task carries its `trace`)."""
    raw = _request(target, "GET", f"/connectors/{_seg(name)}/status", f"reading the status of connector '{name}'")
    return _status(raw or {})


def config_validate(target: ConnectTarget, plugin: str, config: dict[str, str]) -> ValidationResult:
    """Ask the worker to validate a config for `plugin`; errors come back per config name."""
    raw = (
        _request(
            target,
            "PUT",
            f"/connector-plugins/{_seg(plugin)}/config/validate",
            f"validating a config for plugin '{plugin}'",
            body=config,
            field_hint="connector.class",
        )
        or {}
    )
    errors: dict[str, tuple[str, ...]] = {}
    names = []
    for entry in raw.get("configs") or []:
        value = entry.get("value") or {}
        key = str(value.get("name") or (entry.get("definition") or {}).get("name") or "")
        names.append(key)
        found = tuple(str(e) for e in value.get("errors") or [])
        if found:
            errors[key] = found
    return ValidationResult(
        plugin=str(raw.get("name", plugin)),
        error_count=int(raw.get("error_count", len(errors))),
        errors=errors,
        fields=tuple(names),
    )


def connector_create(target: ConnectTarget, name: str, config: dict[str, str]) -> ConnectorInfo:
    """Create a connector (409 from Connect when the name is taken)."""
    raw = _request(
        target,
        "POST",
        "/connectors",
        f"creating connector '{name}'",
        body={"name": name, "config": config},
        field_hint="config",
    )
    return _info(raw or {})


def connector_config_put(target: ConnectTarget, name: str, config: dict[str, str]) -> ConnectorInfo:
    """Replace a connector's config."""
    raw = _request(
        target,
        "PUT",
        f"/connectors/{_seg(name)}/config",
        f"changing the config of connector '{name}'",
        body=config,
        field_hint="config",
    )
    return _info(raw or {})


def connector_pause(target: ConnectTarget, name: str) -> None:
    """Pause the connector and its tasks (asynchronous on the worker)."""
    _request(target, "PUT", f"/connectors/{_seg(name)}/pause", f"pausing connector '{name}'")


def connector_resume(target: ConnectTarget, name: str) -> None:
    """Resume a paused or stopped connector."""
    _request(target, "PUT", f"/connectors/{_seg(name)}/resume", f"resuming connector '{name}'")


def connector_stop(target: ConnectTarget, name: str) -> None:
    """Stop the connector and shut down its tasks (Kafka 3.5+); offsets can then be reset."""
    _request(target, "PUT", f"/connectors/{_seg(name)}/stop", f"stopping connector '{name}'")


def connector_restart(
    target: ConnectTarget, name: str, *, include_tasks: bool = False, only_failed: bool = False
) -> ConnectorStatus | None:
    """Restart the connector (and its tasks, or only the failed ones). Returns the status when Connect gives one."""
    query = f"?includeTasks={str(include_tasks).lower()}&onlyFailed={str(only_failed).lower()}"
    raw = _request(target, "POST", f"/connectors/{_seg(name)}/restart{query}", f"restarting connector '{name}'")
    return _status(raw) if isinstance(raw, dict) and raw.get("connector") else None


def task_restart(target: ConnectTarget, name: str, task_id: int) -> None:
    """Restart one task of a connector."""
    _request(
        target,
        "POST",
        f"/connectors/{_seg(name)}/tasks/{int(task_id)}/restart",
        f"restarting task {task_id} of connector '{name}'",
        field_hint="task",
    )


def connector_delete(target: ConnectTarget, name: str) -> None:
    """Delete the connector (its tasks stop; its offsets stay in the offsets topic)."""
    _request(target, "DELETE", f"/connectors/{_seg(name)}", f"deleting connector '{name}'")


def offsets_get(target: ConnectTarget, name: str) -> ConnectorOffsets:
    """The connector's committed offsets (KIP-875, Kafka 3.5+)."""
    raw = _request(target, "GET", f"/connectors/{_seg(name)}/offsets", f"reading the offsets of connector '{name}'")
    entries = tuple(
        OffsetEntry(partition=dict(e.get("partition") or {}), offset=e.get("offset"))
        for e in (raw or {}).get("offsets") or []
    )
    return ConnectorOffsets(entries=entries)


def offsets_reset(target: ConnectTarget, name: str) -> str:
    """Reset (delete) every committed offset; Connect allows it only while the connector is STOPPED."""
    raw = _request(
        target, "DELETE", f"/connectors/{_seg(name)}/offsets", f"resetting the offsets of connector '{name}'"
    )
    return str((raw or {}).get("message", "")) if isinstance(raw, dict) else ""
