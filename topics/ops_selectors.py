"""Live reads for topic operations: one topic's detail, its configs, the configs a
new topic can take, and the groups that still hold offsets on it. These ask Kafka
(with the cluster's request timeout); the detail falls back to the stored snapshot."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import TYPE_CHECKING

from access.permissions import Action, check_permission
from clusters import gateway
from clusters.gateway.topics import TopicConfig
from clusters.models import Cluster
from topics.models import TopicMeta
from topics.selectors import topic_meta_get

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

log = logging.getLogger(__name__)

# The topic configs people set most, with their type and a line on what they do.
# Names, defaults and types of all of them come from the broker; this adds the words.
COMMON_CONFIGS: dict[str, tuple[str, str]] = {
    "cleanup.policy": ("LIST", "delete (drop old segments), compact (keep the latest value per key), or both."),
    "retention.ms": ("LONG", "How long records are kept, in milliseconds; -1 keeps them forever."),
    "retention.bytes": ("LONG", "Largest size of each partition before old segments go; -1 means no limit."),
    "min.insync.replicas": ("INT", "Replicas that must have a write before acks=all producers hear success."),
    "max.message.bytes": ("INT", "Largest record batch the topic accepts, in bytes."),
    "compression.type": ("STRING", "Codec of stored batches: producer (keep as sent), gzip, snappy, lz4, zstd..."),
    "segment.bytes": ("INT", "Size of one log segment file; retention and compaction work per segment."),
    "segment.ms": ("LONG", "Roll a new segment after this long even if it is not full."),
    "delete.retention.ms": ("LONG", "How long deletion markers (tombstones) stay on a compacted topic."),
    "min.compaction.lag.ms": ("LONG", "A record stays uncompacted at least this long."),
    "min.cleanable.dirty.ratio": ("DOUBLE", "Share of the log not yet compacted before the cleaner starts."),
    "message.timestamp.type": ("STRING", "CreateTime (the producer's time) or LogAppendTime (the broker's)."),
    "unclean.leader.election.enable": ("BOOLEAN", "Let an out-of-sync replica lead (risks losing records)."),
}


@dataclass(frozen=True)
class KnownConfig:
    """A config a new topic can take, for the create form and the API."""

    name: str
    config_type: str
    default: str | None
    documentation: str
    common: bool


@dataclass(frozen=True)
class ConfigCatalogue:
    configs: tuple[KnownConfig, ...]
    # True when the broker answered; False means only the curated common configs are listed.
    from_broker: bool
    error: str = ""

    def names(self) -> set[str]:
        return {c.name for c in self.configs}


@dataclass(frozen=True)
class TopicDetail:
    """A topic's live description, or when Kafka failed, the stored snapshot row and why."""

    name: str
    live: gateway.TopicDescription | None
    snapshot: TopicMeta | None
    error: str = ""


def topic_config_catalogue(*, user: User, cluster: Cluster) -> ConfigCatalogue:
    """The configs a new topic of this cluster can take, with type and default as the
    broker reports them; the curated common configs when the broker cannot be asked."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    try:
        known = gateway.topics.topic_config_catalogue(cluster.connection())
    except gateway.GatewayError as exc:
        log.info("Topic config catalogue of %s from the curated list: %s", cluster.name, exc.message)
        return ConfigCatalogue(configs=_curated(), from_broker=False, error=exc.message)
    if not known:
        return ConfigCatalogue(configs=_curated(), from_broker=False)
    configs = tuple(
        KnownConfig(
            name=c.name,
            config_type=c.config_type if c.config_type != "STRING" else COMMON_CONFIGS.get(c.name, ("STRING", ""))[0],
            default=c.value,
            documentation=COMMON_CONFIGS.get(c.name, ("", ""))[1],
            common=c.name in COMMON_CONFIGS,
        )
        for c in known
        if not c.read_only
    )
    return ConfigCatalogue(configs=_sorted(configs), from_broker=True)


def _curated() -> tuple[KnownConfig, ...]:
    return _sorted(
        tuple(
            KnownConfig(name=name, config_type=kind, default=None, documentation=doc, common=True)
            for name, (kind, doc) in COMMON_CONFIGS.items()
        )
    )


def _sorted(configs: tuple[KnownConfig, ...]) -> tuple[KnownConfig, ...]:
    # The common ones first, then the rest by name.
    return tuple(sorted(configs, key=lambda c: (not c.common, c.name)))


def topic_detail(*, user: User, cluster: Cluster, name: str) -> TopicDetail:
    """One topic live from Kafka. When Kafka fails (timeout, unreachable...) the stored
    snapshot row comes back with the error instead; a topic Kafka does not know raises
    KafkaNotFound."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    try:
        live = gateway.topics.topic_describe(cluster.connection(), name)
    except gateway.KafkaNotFound:
        raise
    except gateway.GatewayError as exc:
        log.warning("Topic %s of %s from the snapshot: %s", name, cluster.name, exc.message)
        return TopicDetail(name=name, live=None, snapshot=topic_meta_get(cluster=cluster, name=name), error=exc.message)
    return TopicDetail(name=name, live=live, snapshot=topic_meta_get(cluster=cluster, name=name))


def topic_configs_get(*, user: User, cluster: Cluster, name: str) -> tuple[TopicConfig, ...]:
    """Every config of a topic with its value and source, live."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    return gateway.topics.topic_configs(cluster.connection(), name)


def topic_offsets_get(*, user: User, cluster: Cluster, name: str) -> dict[int, tuple[int, int]]:
    """(earliest, latest) offset of each partition, live."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    return gateway.topics.topic_offsets(cluster.connection(), name)


def topic_groups_get(*, user: User, cluster: Cluster, name: str, max_groups: int = 500) -> gateway.TopicGroups:
    """Consumer groups with committed offsets on the topic (looks at `max_groups` at most)."""
    check_permission(user=user, cluster=cluster, action=Action.TOPIC_VIEW)
    return gateway.topics.topic_groups(cluster.connection(), name, max_groups=max_groups)
