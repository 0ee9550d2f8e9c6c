"""REST API for topic operations: thin, the same services and selectors as the pages.
Bad input is a 400 naming the field ({"detail", "errors": {field: [reason]}})."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from topics import ops_selectors, services

# -- request bodies ----------------------------------------------------------------


class TopicCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(trim_whitespace=True, help_text="Kafka's rules: [a-zA-Z0-9._-], at most 249.")
    partitions = serializers.IntegerField()
    replication_factor = serializers.IntegerField(help_text="At most the number of brokers.")
    configs = serializers.DictField(
        child=serializers.CharField(allow_blank=True), required=False, default=dict, help_text="Config name to value."
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Ask the broker to validate only (create_topics validate_only)."
    )


class ConfigsUpdateSerializer(serializers.Serializer[Any]):
    configs = serializers.DictField(
        child=serializers.CharField(allow_blank=True, allow_null=True),
        help_text="Config name to new value; null removes the topic's override (back to the default).",
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Validate only; change nothing.")


class PartitionsAddSerializer(serializers.Serializer[Any]):
    partitions = serializers.IntegerField(help_text="The new total partition count (higher than now).")
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Validate only; change nothing.")


class RecordsDeleteSerializer(serializers.Serializer[Any]):
    offsets = serializers.DictField(
        child=serializers.IntegerField(),
        required=False,
        help_text='Partition to offset: records below it are deleted, e.g. {"0": 120}.',
    )
    purge = serializers.BooleanField(
        required=False, default=False, help_text="Delete every record of every partition (up to the high watermark)."
    )


# -- responses ------------------------------------------------------------------------

CONFIG_FIELDS: dict[str, Any] = {
    "name": serializers.CharField(),
    "value": serializers.CharField(allow_null=True, help_text="Sensitive values are masked."),
    "source": serializers.CharField(),
    "source_label": serializers.CharField(),
    "sensitive": serializers.BooleanField(),
    "read_only": serializers.BooleanField(),
    "type": serializers.CharField(),
}


_TopicConfigSchema = inline_serializer("TopicConfig", fields=CONFIG_FIELDS)


def _configs_schema() -> Any:
    # One shared component: a new inline serializer per use makes duplicate schema names.
    return _TopicConfigSchema.__class__(many=True)


CreateResponse = inline_serializer(
    "TopicCreated",
    fields={
        "name": serializers.CharField(),
        "partitions": serializers.IntegerField(),
        "replication_factor": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(help_text="True: validated by the broker, nothing was created."),
        "configs": _configs_schema(),
        "warnings": serializers.ListField(child=serializers.CharField()),
    },
)
PARTITION_FIELDS: dict[str, Any] = {
    "partition": serializers.IntegerField(),
    "leader": serializers.IntegerField(allow_null=True),
    "replicas": serializers.ListField(child=serializers.IntegerField()),
    "isr": serializers.ListField(child=serializers.IntegerField()),
    "offline_replicas": serializers.ListField(child=serializers.IntegerField()),
    "earliest_offset": serializers.IntegerField(allow_null=True),
    "latest_offset": serializers.IntegerField(allow_null=True),
    "size_bytes": serializers.IntegerField(allow_null=True),
}
DetailResponse = inline_serializer(
    "TopicDetail",
    fields={
        "name": serializers.CharField(),
        "live": serializers.BooleanField(help_text="False when Kafka failed; then `snapshot` and `error` are set."),
        "error": serializers.CharField(),
        "internal": serializers.BooleanField(),
        "topic_id": serializers.CharField(),
        "replication_factor": serializers.IntegerField(),
        "size_bytes": serializers.IntegerField(allow_null=True),
        "partitions": inline_serializer("TopicPartition", fields=PARTITION_FIELDS, many=True),
        "configs": _configs_schema(),
        "errors": serializers.ListField(child=serializers.CharField(), help_text="Parts that could not be read."),
        "snapshot": serializers.DictField(allow_null=True, help_text="The stored row, as the topic list shows it."),
    },
)
ConfigChangeResponse = inline_serializer(
    "TopicConfigChange",
    fields={
        "dry_run": serializers.BooleanField(),
        "changes": serializers.ListField(child=serializers.DictField(), help_text="name, before, after"),
    },
)
PartitionsResponse = inline_serializer(
    "TopicPartitionsAdded",
    fields={
        "before": serializers.IntegerField(),
        "after": serializers.IntegerField(),
        "dry_run": serializers.BooleanField(),
    },
)
RecordsResponse = inline_serializer(
    "TopicRecordsDeleted",
    fields={
        "records_deleted": serializers.IntegerField(),
        "partitions": serializers.ListField(
            child=serializers.DictField(), help_text="partition, earliest_before, earliest_after"
        ),
    },
)
GroupsResponse = inline_serializer(
    "TopicGroups",
    fields={
        "groups": serializers.ListField(child=serializers.DictField(), help_text="group_id, state, offsets"),
        "groups_checked": serializers.IntegerField(),
        "groups_total": serializers.IntegerField(),
        "truncated": serializers.BooleanField(),
        "errors": serializers.ListField(child=serializers.CharField()),
    },
)
CatalogueResponse = inline_serializer(
    "TopicConfigCatalogue",
    fields={
        "from_broker": serializers.BooleanField(help_text="False: the broker could not be asked; curated list."),
        "error": serializers.CharField(),
        "configs": serializers.ListField(child=serializers.DictField()),
    },
)


def _snapshot_dict(detail: ops_selectors.TopicDetail) -> dict[str, Any] | None:
    row = detail.snapshot
    if row is None:
        return None
    return {
        "partitions": row.partition_count,
        "replication_factor": row.replication_factor,
        "size_bytes": row.size_bytes,
        "under_replicated": row.under_replicated,
        "offline": row.offline,
        "changed_at": row.changed_at,
    }


def detail_body(detail: ops_selectors.TopicDetail) -> dict[str, Any]:
    """The API shape of a topic's detail (live, or the snapshot with the error)."""
    body: dict[str, Any] = {"name": detail.name, "live": detail.live is not None, "error": detail.error}
    if detail.live is not None:
        body.update(detail.live.as_dict())
    else:
        body.update({"partitions": [], "configs": [], "errors": []})
    body["snapshot"] = _snapshot_dict(detail)
    return body


# -- views -------------------------------------------------------------------------------


class TopicCreateApi(APIView):
    """Create a topic, or validate it with the broker first ("dry_run": true)."""

    @extend_schema(
        operation_id="topics_create",
        request=TopicCreateSerializer,
        responses={201: CreateResponse, 200: CreateResponse},
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.TOPIC_CREATE, any_topic=True
        )
        data = TopicCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.topic_create(user=request.user, cluster=cluster, **data.validated_data)
        created = result.topic
        body = {
            "name": created.name,
            "partitions": created.partitions,
            "replication_factor": created.replication_factor,
            "dry_run": result.dry_run,
            "configs": [c.as_dict() for c in created.configs],
            "warnings": list(result.warnings),
        }
        return Response(body, status=status.HTTP_200_OK if result.dry_run else status.HTTP_201_CREATED)


class TopicDetailApi(APIView):
    """One topic, live from Kafka; DELETE deletes it (confirm with its name)."""

    @extend_schema(operation_id="topics_detail", responses={200: DetailResponse})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        detail = ops_selectors.topic_detail(user=request.user, cluster=cluster, name=name)
        return Response(detail_body(detail))

    @extend_schema(
        operation_id="topics_delete",
        parameters=[
            OpenApiParameter("confirm", OpenApiTypes.STR, required=True, description="The topic name, repeated.")
        ],
        request=None,
        responses={204: None},
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.TOPIC_DELETE, topic=name
        )
        body = request.data if isinstance(request.data, dict) else {}
        confirm = str(request.query_params.get("confirm") or body.get("confirm") or "")
        services.topic_delete(user=request.user, cluster=cluster, name=name, confirm=confirm)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TopicConfigsApi(APIView):
    """A topic's configs with their source; PATCH changes some (incremental alter)."""

    @extend_schema(operation_id="topics_configs_list", responses={200: _configs_schema()})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        configs = ops_selectors.topic_configs_get(user=request.user, cluster=cluster, name=name)
        return Response([c.as_dict() for c in configs])

    @extend_schema(
        operation_id="topics_configs_update", request=ConfigsUpdateSerializer, responses={200: ConfigChangeResponse}
    )
    def patch(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.TOPIC_EDIT, topic=name)
        data = ConfigsUpdateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.topic_configs_update(
            user=request.user,
            cluster=cluster,
            name=name,
            changes=data.validated_data["configs"],
            dry_run=data.validated_data["dry_run"],
        )
        return Response({"dry_run": result.dry_run, "changes": [asdict(c) for c in result.changes]})


class TopicPartitionsApi(APIView):
    """Add partitions to a topic (the count can only grow)."""

    @extend_schema(
        operation_id="topics_partitions_add", request=PartitionsAddSerializer, responses={200: PartitionsResponse}
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.TOPIC_EDIT, topic=name)
        data = PartitionsAddSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.topic_partitions_add(user=request.user, cluster=cluster, name=name, **data.validated_data)
        return Response(asdict(result))


class TopicRecordsDeleteApi(APIView):
    """Delete records below an offset per partition, or purge the whole topic."""

    @extend_schema(
        operation_id="topics_records_delete", request=RecordsDeleteSerializer, responses={200: RecordsResponse}
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.RECORDS_DELETE, topic=name
        )
        data = RecordsDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.topic_records_delete(
            user=request.user,
            cluster=cluster,
            name=name,
            offsets=data.validated_data.get("offsets"),
            purge=data.validated_data["purge"],
        )
        return Response(
            {
                "records_deleted": result.records_deleted,
                "partitions": [
                    {"partition": p, "earliest_before": b, "earliest_after": a}
                    for p, (b, a) in result.partitions.items()
                ],
            }
        )


class TopicGroupsApi(APIView):
    """Consumer groups that still have committed offsets on the topic."""

    @extend_schema(operation_id="topics_consumer_groups", responses={200: GroupsResponse})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        found = ops_selectors.topic_groups_get(user=request.user, cluster=cluster, name=name)
        return Response(
            {
                "groups": [
                    {"group_id": g.group_id, "state": g.state, "offsets": {str(p): o for p, o in g.offsets.items()}}
                    for g in found.groups
                ],
                "groups_checked": found.groups_checked,
                "groups_total": found.groups_total,
                "truncated": found.truncated,
                "errors": list(found.errors),
            }
        )


class TopicConfigCatalogueApi(APIView):
    """The configs a new topic can take, with type and default from the broker."""

    @extend_schema(operation_id="topics_config_catalogue", responses={200: CatalogueResponse})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        catalogue = ops_selectors.topic_config_catalogue(user=request.user, cluster=cluster)
        return Response(
            {
                "from_broker": catalogue.from_broker,
                "error": catalogue.error,
                "configs": [asdict(c) for c in catalogue.configs],
            }
        )
