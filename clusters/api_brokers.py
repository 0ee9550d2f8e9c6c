"""REST API for the cluster overview and broker configs (the same selectors and
services as the pages)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import broker_selectors, broker_services
from clusters import selectors as cluster_selectors
from clusters.gateway.brokers import CONFIG_OPS, BrokerConfigEntry


class LogDirSerializer(serializers.Serializer[Any]):
    path = serializers.CharField()
    size_bytes = serializers.IntegerField()
    partition_count = serializers.IntegerField()
    total_bytes = serializers.IntegerField(allow_null=True)
    usable_bytes = serializers.IntegerField(allow_null=True)
    error = serializers.CharField()


class BrokerOverviewSerializer(serializers.Serializer[Any]):
    node_id = serializers.IntegerField()
    host = serializers.CharField()
    port = serializers.IntegerField()
    rack = serializers.CharField(allow_null=True)
    is_controller = serializers.BooleanField()
    fenced = serializers.BooleanField()
    leader_count = serializers.IntegerField(help_text="Partitions this broker leads (from Metadata).")
    size_bytes = serializers.IntegerField(allow_null=True, help_text="Sum over its log dirs; null when unknown.")
    partition_count = serializers.IntegerField(allow_null=True, help_text="Replicas in its log dirs.")
    log_dirs = LogDirSerializer(many=True)
    log_dirs_error = serializers.CharField(help_text="Why DescribeLogDirs failed for this broker (sizes unknown).")


class QuorumReplicaSerializer(serializers.Serializer[Any]):
    node_id = serializers.IntegerField()
    log_end_offset = serializers.IntegerField()
    lag = serializers.IntegerField(allow_null=True, help_text="Records behind the leader's log end offset.")
    last_fetch_ms = serializers.IntegerField(allow_null=True)
    last_caught_up_ms = serializers.IntegerField(allow_null=True)
    caught_up_ago_ms = serializers.IntegerField(allow_null=True)
    is_leader = serializers.BooleanField()


class QuorumSerializer(serializers.Serializer[Any]):
    leader_id = serializers.IntegerField()
    leader_epoch = serializers.IntegerField()
    high_watermark = serializers.IntegerField()
    voters = QuorumReplicaSerializer(many=True)
    observers = QuorumReplicaSerializer(many=True)


class FeatureSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    supported_min = serializers.IntegerField(allow_null=True)
    supported_max = serializers.IntegerField(allow_null=True)
    finalized_min = serializers.IntegerField(allow_null=True)
    finalized_max = serializers.IntegerField(allow_null=True)


ClusterOverviewResponse = inline_serializer(
    "ClusterOverview",
    fields={
        "cluster_id": serializers.CharField(),
        "controller_id": serializers.IntegerField(allow_null=True),
        "brokers": BrokerOverviewSerializer(many=True),
        "quorum": QuorumSerializer(allow_null=True),
        "quorum_error": serializers.CharField(),
        "features": FeatureSerializer(many=True),
        "features_error": serializers.CharField(),
        "leaders_error": serializers.CharField(),
        "round_trip_ms": serializers.FloatField(),
    },
)


ConfigSynonymSchema = inline_serializer(
    "BrokerConfigSynonym",
    fields={
        "name": serializers.CharField(),
        "source": serializers.CharField(),
        "value": serializers.CharField(allow_null=True),
    },
    many=True,
    help_text="Where the value could come from, most specific first.",
)


# Fields named `source` and `read_only` clash with Field attributes, so the schema is
# declared inline and rows are shaped by `_config_row`.
BrokerConfigSchema = inline_serializer(
    "BrokerConfig",
    fields={
        "name": serializers.CharField(),
        "value": serializers.CharField(allow_null=True, help_text="Sensitive values are always masked."),
        "source": serializers.CharField(help_text=f"One of {', '.join(broker_selectors.SOURCES)}."),
        "source_label": serializers.CharField(),
        "read_only": serializers.BooleanField(help_text="True: only server.properties and a restart can change it."),
        "sensitive": serializers.BooleanField(),
        "config_type": serializers.CharField(),
        "synonyms": ConfigSynonymSchema,
    },
    many=True,
)


def _config_row(entry: BrokerConfigEntry) -> dict[str, Any]:
    return {
        "name": entry.name,
        "value": entry.shown_value,
        "source": entry.source,
        "source_label": broker_selectors.SOURCES.get(entry.source, entry.source),
        "read_only": entry.read_only,
        "sensitive": entry.sensitive,
        "config_type": entry.config_type,
        # Values of sensitive configs are already dropped by the gateway.
        "synonyms": [{"name": s.name, "source": s.source, "value": s.value} for s in entry.synonyms],
    }


BrokerConfigListResponse = inline_serializer(
    "BrokerConfigList",
    fields={
        "broker_id": serializers.IntegerField(allow_null=True, help_text="null: the cluster-wide dynamic default."),
        "count": serializers.IntegerField(help_text="Configs matching the filters."),
        "total": serializers.IntegerField(help_text="Configs the broker reported."),
        "results": BrokerConfigSchema,
    },
)


class ConfigChangeRequestSerializer(serializers.Serializer[Any]):
    name = serializers.CharField()
    op = serializers.ChoiceField(choices=CONFIG_OPS, default="SET")
    value = serializers.CharField(required=False, allow_null=True, help_text="Required for SET.")


BrokerConfigAlterRequest = inline_serializer(
    "BrokerConfigAlter",
    fields={
        "configs": ConfigChangeRequestSerializer(many=True),
        "validate_only": serializers.BooleanField(
            default=False, help_text="Ask the broker for its verdict; change nothing."
        ),
    },
)

BrokerConfigAlterResponse = inline_serializer(
    "BrokerConfigAlterResult",
    fields={
        "broker_id": serializers.IntegerField(allow_null=True),
        "validate_only": serializers.BooleanField(),
        "changes": serializers.ListField(
            child=inline_serializer(
                "BrokerConfigChangeResult",
                fields={
                    "name": serializers.CharField(),
                    "op": serializers.CharField(),
                    "before": serializers.CharField(allow_null=True),
                    "before_source": serializers.CharField(),
                    "after": serializers.CharField(
                        allow_null=True, help_text="Expected (validate_only) or read back after applying."
                    ),
                    "after_source": serializers.CharField(),
                    "sensitive": serializers.BooleanField(),
                },
            )
        ),
    },
)


class ClusterOverviewApi(APIView):
    """Brokers with log-dir sizes and leader counts, the KRaft quorum and feature levels,
    read live from Kafka (504 naming the wait when the cluster does not answer)."""

    @extend_schema(operation_id="brokers_overview", responses={200: ClusterOverviewResponse})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        overview = broker_selectors.cluster_overview_get(user=request.user, cluster=cluster)
        return Response(overview.as_dict())


def _truthy(value: Any) -> bool:
    return value is True or str(value).lower() in ("1", "true", "yes", "on")


_LIST_SCHEMA: dict[str, Any] = {
    "parameters": [
        OpenApiParameter("search", OpenApiTypes.STR, description="Substring of the config name (any case)."),
        OpenApiParameter("source", OpenApiTypes.STR, description=f"One of {', '.join(broker_selectors.SOURCES)}."),
        OpenApiParameter("editable", OpenApiTypes.BOOL, description="Only dynamically updatable configs."),
        OpenApiParameter("modified", OpenApiTypes.BOOL, description="Only configs not at the Kafka default."),
    ],
    "responses": {200: BrokerConfigListResponse},
}
_ALTER_SCHEMA: dict[str, Any] = {"request": BrokerConfigAlterRequest, "responses": {200: BrokerConfigAlterResponse}}


class BrokerConfigsApi(APIView):
    """All configs of one broker (or, under brokers/default/, the cluster-wide dynamic
    defaults that are set), and incremental changes to its dynamic configs."""

    @extend_schema(operation_id="broker_configs_list", **_LIST_SCHEMA)
    def get(self, request: Request, cluster_id: int, broker_id: int | None = None) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        query = broker_selectors.BrokerConfigQuery.from_params(request.query_params)
        listing = broker_selectors.broker_config_list(
            user=request.user, cluster=cluster, broker_id=broker_id, query=query
        )
        return Response(
            {
                "broker_id": listing.broker_id,
                "count": len(listing.rows),
                "total": listing.total,
                "results": [_config_row(e) for e in listing.rows],
            }
        )

    @extend_schema(operation_id="broker_configs_alter", **_ALTER_SCHEMA)
    def patch(self, request: Request, cluster_id: int, broker_id: int | None = None) -> Response:
        """SET or DELETE dynamic configs (incremental alter). With validate_only the broker
        checks the change and nothing is applied. 400 names the config for unknown or
        read-only configs and for values the broker refuses (with its message)."""
        # Permission before parsing: a viewer gets 403, not a lesson in the body format.
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.BROKER_CONFIG_EDIT)
        data = request.data if isinstance(request.data, dict) else {}
        changes = broker_services.broker_config_changes_parse(data.get("configs"))
        result = broker_services.broker_configs_alter(
            user=request.user,
            cluster=cluster,
            broker_id=broker_id,
            changes=changes,
            validate_only=_truthy(data.get("validate_only", False)),
        )
        return Response(result.as_dict())


class BrokerDefaultConfigsApi(BrokerConfigsApi):
    """The cluster-wide dynamic broker defaults (the broker resource with an empty name):
    lists those that are set; changes apply to every broker without its own value."""

    @extend_schema(operation_id="broker_default_configs_list", **_LIST_SCHEMA)
    def get(self, request: Request, cluster_id: int, broker_id: int | None = None) -> Response:
        return super().get(request, cluster_id, None)

    @extend_schema(operation_id="broker_default_configs_alter", **_ALTER_SCHEMA)
    def patch(self, request: Request, cluster_id: int, broker_id: int | None = None) -> Response:
        """SET or DELETE cluster-wide dynamic defaults (same body and errors as for one broker)."""
        return super().patch(request, cluster_id, None)
