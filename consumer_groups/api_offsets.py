"""REST API for offset reset (with a preview), group delete and group-offsets delete:
thin, the same services as the pages. Bad input is a 400 naming the field, an
unknown group a 404, a group in use a 409 listing its members."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from clusters.gateway import KafkaGroupActive
from consumer_groups import services

# -- request bodies ----------------------------------------------------------------------------


class OffsetResetSerializer(serializers.Serializer[Any]):
    scope = serializers.ChoiceField(
        choices=list(services.SCOPES),
        help_text="all: every partition the group committed on; topic: every partition of `topic`; "
        "partitions: the `partitions` of `topic`.",
    )
    strategy = serializers.ChoiceField(
        choices=list(services.STRATEGIES),
        help_text="earliest, latest, timestamp (needs `timestamp`), offset (needs `offset`), shift (needs `shift`).",
    )
    topic = serializers.CharField(required=False, allow_blank=True, default="")
    partitions = serializers.ListField(child=serializers.IntegerField(min_value=0), required=False, default=list)
    timestamp = serializers.CharField(
        required=False,
        allow_null=True,
        default=None,
        help_text="ISO 8601 date-time (no zone: the server's time zone) or milliseconds since the epoch. "
        "Before the earliest record: resolves to the earliest offset (said per partition). "
        "In the future: 400.",
    )
    offset = serializers.IntegerField(
        required=False, allow_null=True, default=None, help_text="Exact offset; 400 when outside a partition's range."
    )
    shift = serializers.IntegerField(
        required=False,
        allow_null=True,
        default=None,
        help_text="Added to the committed offset; clamped to [earliest, latest] and said per partition.",
    )
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Preview: return old -> new per partition, change nothing."
    )


class GroupDeleteSerializer(serializers.Serializer[Any]):
    confirm = serializers.CharField(help_text="The group id, repeated.", allow_blank=True)


class GroupOffsetsDeleteSerializer(serializers.Serializer[Any]):
    topic = serializers.CharField(help_text="The topic whose committed offsets are deleted.")


# -- responses --------------------------------------------------------------------------------

_Member = inline_serializer(
    "GroupActiveMember",
    fields={
        "member_id": serializers.CharField(),
        "client_id": serializers.CharField(),
        "host": serializers.CharField(),
        "group_instance_id": serializers.CharField(allow_null=True),
        "assignment": serializers.ListField(child=serializers.CharField(), help_text="topic/partition"),
    },
)
ConflictResponse = inline_serializer(
    "GroupActive",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(help_text="group_active"),
        "group_id": serializers.CharField(),
        "members": _Member.__class__(many=True),
    },
)
ResetResponse = inline_serializer(
    "GroupOffsetsReset",
    fields={
        "group_id": serializers.CharField(),
        "dry_run": serializers.BooleanField(help_text="True: a preview, nothing was changed."),
        "scope": serializers.CharField(),
        "strategy": serializers.CharField(),
        "changed": serializers.IntegerField(help_text="Partitions whose offset changes (or changed)."),
        "partitions": inline_serializer(
            "GroupOffsetChange",
            fields={
                "topic": serializers.CharField(),
                "partition": serializers.IntegerField(),
                "before": serializers.IntegerField(allow_null=True, help_text="null: no committed offset."),
                "after": serializers.IntegerField(allow_null=True, help_text="null: left as it is."),
                "earliest": serializers.IntegerField(),
                "latest": serializers.IntegerField(),
                "changes": serializers.BooleanField(),
                "note": serializers.CharField(help_text="Why the target was resolved or clamped."),
            },
            many=True,
        ),
        "warnings": serializers.ListField(child=serializers.CharField()),
    },
)
OffsetsDeletedResponse = inline_serializer(
    "GroupOffsetsDeleted",
    fields={
        "group_id": serializers.CharField(),
        "topic": serializers.CharField(),
        "offsets": serializers.DictField(child=serializers.IntegerField(), help_text="partition -> offset removed"),
    },
)


def conflict_body(exc: KafkaGroupActive) -> dict[str, Any]:
    """The 409 body: the reason and the members that hold the group."""
    return {
        "detail": exc.message,
        "code": exc.code,
        "group_id": exc.group_id,
        "members": [
            {
                "member_id": m.member_id,
                "client_id": m.client_id,
                "host": m.host,
                "group_instance_id": m.group_instance_id,
                "assignment": [f"{t}/{p}" for t, p in m.assignment],
            }
            for m in exc.members
        ],
    }


def plan_body(plan: services.ResetPlan) -> dict[str, Any]:
    return {
        "group_id": plan.group_id,
        "dry_run": plan.dry_run,
        "scope": plan.request.scope,
        "strategy": plan.request.strategy,
        "changed": plan.changed_count,
        "partitions": [r.as_dict() for r in plan.rows],
        "warnings": list(plan.warnings),
    }


class _GroupChangeApi(APIView):
    """Answers a group in use with 409 and its members (the shared handler knows no 409)."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, KafkaGroupActive):
            return Response(conflict_body(exc), status=status.HTTP_409_CONFLICT)
        return super().handle_exception(exc)


# -- views --------------------------------------------------------------------------------------


class GroupOffsetsResetApi(_GroupChangeApi):
    """Reset a group's committed offsets, or preview it ("dry_run": true)."""

    @extend_schema(
        operation_id="groups_offsets_reset",
        request=OffsetResetSerializer,
        responses={200: ResetResponse, 409: ConflictResponse},
        description="Refused with 409 (listing the members) while the group has active members. "
        "Changes are audited with before/after offsets; previews are not.",
    )
    def post(self, request: Request, cluster_id: int, group_id: str) -> Response:
        # The permission first: a refused caller gets 403 whatever the body holds.
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.GROUP_OFFSETS_RESET, any_topic=True
        )
        data = OffsetResetSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        plan = services.group_offsets_reset(
            user=request.user, cluster=cluster, group_id=group_id, **data.validated_data
        )
        return Response(plan_body(plan))


class GroupDeleteApi(_GroupChangeApi):
    """Delete a consumer group and its committed offsets. POST {"confirm": id} here, or
    DELETE ?confirm=id (the same method, ready to be merged into the group detail view)."""

    @extend_schema(
        operation_id="groups_delete",
        request=GroupDeleteSerializer,
        responses={204: None, 409: ConflictResponse},
    )
    def post(self, request: Request, cluster_id: int, group_id: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.GROUP_DELETE)
        data = GroupDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.group_delete(
            user=request.user, cluster=cluster, group_id=group_id, confirm=data.validated_data["confirm"]
        )
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(
        operation_id="groups_delete_by_method",
        parameters=[
            OpenApiParameter("confirm", OpenApiTypes.STR, required=True, description="The group id, repeated.")
        ],
        request=None,
        responses={204: None, 409: ConflictResponse},
    )
    def delete(self, request: Request, cluster_id: int, group_id: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.GROUP_DELETE)
        body = request.data if isinstance(request.data, dict) else {}
        confirm = str(request.query_params.get("confirm") or body.get("confirm") or "")
        services.group_delete(user=request.user, cluster=cluster, group_id=group_id, confirm=confirm)
        return Response(status=status.HTTP_204_NO_CONTENT)


class GroupOffsetsDeleteApi(_GroupChangeApi):
    """Delete a group's committed offsets of one topic (OffsetDelete)."""

    @extend_schema(
        operation_id="groups_offsets_delete",
        request=GroupOffsetsDeleteSerializer,
        responses={200: OffsetsDeletedResponse, 409: ConflictResponse},
        description="Refused with 409 while a member of the group reads the topic.",
    )
    def post(self, request: Request, cluster_id: int, group_id: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.GROUP_DELETE)
        data = GroupOffsetsDeleteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        result = services.group_offsets_delete(
            user=request.user, cluster=cluster, group_id=group_id, topic=data.validated_data["topic"]
        )
        return Response(
            {
                "group_id": result.group_id,
                "topic": result.topic,
                "offsets": {str(p): o for p, o in result.offsets.items()},
            }
        )
