"""Reads of Kafka Connect clusters: overview, connector list and detail, with secrets masked."""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from access.permissions import Action, check_permission
from connectors import connect
from connectors.connect import ConnectError, ConnectNotConfigured, ConnectTarget

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    AnyUser = AbstractBaseUser | AnonymousUser

MASK = "********"
# Config keys whose values are never shown back: Connect returns them in clear.
SECRET_KEY = re.compile(r"password|secret|token|credentials|key$", re.IGNORECASE)


def is_secret_key(key: str) -> bool:
    return bool(SECRET_KEY.search(key))


def mask_config(config: dict[str, str]) -> dict[str, str]:
    """A copy of a connector config with secret-looking values replaced by a mask."""
    return {k: (MASK if is_secret_key(k) and v else v) for k, v in config.items()}


def connect_targets(*, cluster: Cluster) -> list[ConnectTarget]:
    """The Connect clusters configured for a cluster, in the order of its settings."""
    urls = cluster.connect_urls if isinstance(cluster.connect_urls, list) else []
    return [ConnectTarget.from_url(i, str(u)) for i, u in enumerate(urls) if str(u).strip()]


def connect_target(*, cluster: Cluster, ref: str | int | None) -> ConnectTarget:
    """One Connect cluster by index ("0") or name ("127.0.0.1-8083"); the first when `ref` is empty."""
    targets = connect_targets(cluster=cluster)
    if not targets:
        raise ConnectNotConfigured(
            f"Cluster '{cluster.name}' has no Kafka Connect URL; add one in the cluster's settings."
        )
    if ref is None or str(ref).strip() == "":
        return targets[0]
    text = str(ref).strip()
    for t in targets:
        if text == t.name or (text.isdigit() and int(text) == t.index):
            return t
    known = ", ".join(f"{t.index} ({t.name})" for t in targets)
    raise ConnectNotConfigured(f"Cluster '{cluster.name}' has no Kafka Connect cluster '{text}'; known: {known}.")


@dataclass(frozen=True)
class ConnectOverview:
    """One Connect cluster as the list page shows it; `error` set when it could not be read."""

    target: ConnectTarget
    reachable: bool
    error: str = ""
    worker: connect.WorkerInfo | None = None
    plugins: tuple[connect.PluginInfo, ...] = ()
    connectors: tuple[connect.ConnectorSummary, ...] = ()
    states: dict[str, int] = field(default_factory=dict)

    def as_dict(self) -> dict[str, Any]:
        return {
            "index": self.target.index,
            "name": self.target.name,
            "url": self.target.url,
            "reachable": self.reachable,
            "error": self.error,
            "version": self.worker.version if self.worker else None,
            "commit": self.worker.commit if self.worker else None,
            "kafka_cluster_id": self.worker.kafka_cluster_id if self.worker else None,
            "plugin_count": len(self.plugins),
            "plugins": [{"class": p.class_name, "type": p.type, "version": p.version} for p in self.plugins],
            "states": self.states,
            "connectors": [summary_dict(c) for c in self.connectors],
        }


def summary_dict(row: connect.ConnectorSummary) -> dict[str, Any]:
    return {
        "name": row.info.name,
        "type": row.info.type or row.status.type,
        "class": row.info.class_name,
        "state": row.status.state,
        "worker_id": row.status.worker_id,
        "trace": row.status.trace,
        "tasks": [{"id": t.id, "state": t.state, "worker_id": t.worker_id, "trace": t.trace} for t in row.status.tasks],
    }


def _overview_one(target: ConnectTarget, *, with_connectors: bool) -> ConnectOverview:
    try:
        worker = connect.worker_info(target)
        plugins = connect.plugins(target)
        rows = connect.connectors(target) if with_connectors else ()
    except ConnectError as exc:
        return ConnectOverview(target=target, reachable=False, error=exc.message)
    states = dict(Counter(r.status.state for r in rows))
    return ConnectOverview(
        target=target, reachable=True, worker=worker, plugins=plugins, connectors=rows, states=states
    )


def connect_overview(*, user: AnyUser, cluster: Cluster, with_connectors: bool = True) -> list[ConnectOverview]:
    """Every Connect cluster of `cluster`: reachable?, version, plugins, connectors by state.
    One unreachable worker gives an error entry; the others are still read."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    return [_overview_one(t, with_connectors=with_connectors) for t in connect_targets(cluster=cluster)]


def connector_list(*, user: AnyUser, cluster: Cluster, connect_ref: str | None) -> list[connect.ConnectorSummary]:
    """Connectors of one Connect cluster with their state and per-task state."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    return list(connect.connectors(connect_target(cluster=cluster, ref=connect_ref)))


def plugin_list(*, user: AnyUser, cluster: Cluster, connect_ref: str | None) -> tuple[connect.PluginInfo, ...]:
    """The connector plugins one Connect cluster has installed."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    return connect.plugins(connect_target(cluster=cluster, ref=connect_ref))


@dataclass(frozen=True)
class ConnectorDetail:
    target: ConnectTarget
    name: str
    type: str
    config: dict[str, str]  # masked
    status: connect.ConnectorStatus
    offsets: connect.ConnectorOffsets | None
    offsets_error: str = ""

    def as_dict(self) -> dict[str, Any]:
        return {
            "connect": self.target.name,
            "name": self.name,
            "type": self.type,
            "config": self.config,
            "status": self.status.as_dict(),
            "offsets": self.offsets.as_dict()["offsets"] if self.offsets else None,
            "offsets_error": self.offsets_error,
        }


def connector_detail(*, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str) -> ConnectorDetail:
    """A connector's config (secrets masked), state, tasks with failure traces, and offsets when supported."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    target = connect_target(cluster=cluster, ref=connect_ref)
    info = connect.connector_info(target, name)
    status = connect.connector_status(target, name)
    offsets, offsets_error = None, ""
    try:
        offsets = connect.offsets_get(target, name)
    except ConnectError as exc:  # older workers (before 3.5) have no offsets endpoint
        offsets_error = exc.message
    return ConnectorDetail(
        target=target,
        name=info.name or name,
        type=info.type or status.type,
        config=mask_config(info.config),
        status=status,
        offsets=offsets,
        offsets_error=offsets_error,
    )


def connector_status_get(
    *, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str
) -> connect.ConnectorStatus:
    """The live state of one connector and its tasks (polled by the detail page)."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    return connect.connector_status(connect_target(cluster=cluster, ref=connect_ref), name)


def connector_config_get(*, user: AnyUser, cluster: Cluster, connect_ref: str | None, name: str) -> dict[str, str]:
    """A connector's config with secret-looking values masked."""
    check_permission(user=user, cluster=cluster, action=Action.CONNECTOR_VIEW)
    return mask_config(connect.connector_info(connect_target(cluster=cluster, ref=connect_ref), name).config)
