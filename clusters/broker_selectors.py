"""Live reads of the cluster overview and of broker configs (pages and API share them)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.core.exceptions import ValidationError

from access.permissions import Action, check_permission
from clusters.gateway import brokers as gateway_brokers
from clusters.gateway.brokers import BrokerConfigEntry, ClusterOverview

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    from clusters.models import Cluster

    User = AbstractBaseUser | AnonymousUser

# Where a config's value comes from, most specific first, with the words the pages use.
SOURCES = {
    "DYNAMIC_BROKER_CONFIG": "dynamic (this broker)",
    "DYNAMIC_DEFAULT_BROKER_CONFIG": "dynamic (cluster default)",
    "STATIC_BROKER_CONFIG": "static (server.properties)",
    "DEFAULT_CONFIG": "Kafka default",
    "DYNAMIC_BROKER_LOGGER_CONFIG": "dynamic (broker logger)",
    "UNKNOWN": "unknown",
}


def _flag(params: Any, key: str) -> bool:
    return str(params.get(key) or "").lower() in ("1", "true", "yes", "on")


@dataclass(frozen=True)
class BrokerConfigQuery:
    """Filters of the config list: name substring, source, only editable, only changed."""

    search: str = ""
    source: str = ""
    editable: bool = False
    modified: bool = False

    @classmethod
    def from_params(cls, params: Any) -> BrokerConfigQuery:
        """Parse ?search=&source=&editable=true&modified=true; raises ValidationError
        naming the parameter."""
        search = str(params.get("search") or "").strip()
        source = str(params.get("source") or "").strip().upper()
        errors: dict[str, str] = {}
        if len(search) > 255:
            errors["search"] = "At most 255 characters."
        if source and source not in SOURCES:
            errors["source"] = f"Unknown source '{source}'; use one of {', '.join(SOURCES)}."
        if errors:
            raise ValidationError(errors)
        return cls(search=search, source=source, editable=_flag(params, "editable"), modified=_flag(params, "modified"))

    def matches(self, entry: BrokerConfigEntry) -> bool:
        if self.search and self.search.lower() not in entry.name.lower():
            return False
        if self.source and entry.source != self.source:
            return False
        if self.editable and entry.read_only:
            return False
        return not (self.modified and entry.is_default)


@dataclass(frozen=True)
class BrokerConfigList:
    """Configs of one broker (`broker_id=None`: the cluster-wide dynamic defaults)."""

    broker_id: int | None
    rows: list[BrokerConfigEntry]
    total: int
    query: BrokerConfigQuery


def cluster_overview_get(*, user: User, cluster: Cluster) -> ClusterOverview:
    """Brokers, log-dir sizes, leader counts, KRaft quorum and feature levels, read
    live from Kafka with the cluster's request timeout."""
    check_permission(user=user, cluster=cluster, action=Action.BROKER_VIEW)
    return gateway_brokers.cluster_overview(cluster.connection())


def broker_config_list(
    *, user: User, cluster: Cluster, broker_id: int | None, query: BrokerConfigQuery
) -> BrokerConfigList:
    """Every config of one broker with source and read-only flag (sensitive values are
    never included), filtered by `query`. Raises KafkaNotFound for an unknown broker."""
    check_permission(user=user, cluster=cluster, action=Action.BROKER_VIEW)
    entries = gateway_brokers.broker_configs_describe(cluster.connection(), broker_id)
    rows = [e for e in entries if query.matches(e)]
    return BrokerConfigList(broker_id=broker_id, rows=rows, total=len(entries), query=query)
