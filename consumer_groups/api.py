"""REST API for consumer groups (the same selectors as the pages)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from clusters import selectors as cluster_selectors
from consumer_groups import selectors
from consumer_groups.models import GroupMeta


class GroupSummarySerializer(serializers.ModelSerializer[GroupMeta]):
    class Meta:
        model = GroupMeta
        fields = [
            "group_id",
            "group_type",
            "state",
            "members",
            "topics",
            "coordinator_id",
            "partitions_committed",
            "partitions_no_commit",
            "total_lag",
            "max_lag_seconds",
            "status",
            "status_reason",
            "error",
            "changed_at",
        ]


PARTITION_FIELDS: dict[str, Any] = {
    "topic": serializers.CharField(),
    "partition": serializers.IntegerField(),
    "committed": serializers.IntegerField(allow_null=True, help_text="null: no commit (never shown as lag 0)"),
    "end": serializers.IntegerField(allow_null=True),
    "lag": serializers.IntegerField(allow_null=True),
    "lag_seconds": serializers.FloatField(allow_null=True, help_text="null: unknown (history too short)"),
    "status": serializers.CharField(),
    "owner": serializers.CharField(help_text="client id@host of the member that owns it, if any"),
}

GroupListResponse = inline_serializer(
    "GroupList",
    fields={
        "count": serializers.IntegerField(),
        "offset": serializers.IntegerField(),
        "limit": serializers.IntegerField(),
        "as_of": serializers.DateTimeField(allow_null=True),
        "stale": serializers.BooleanField(),
        "error": serializers.CharField(),
        "status_counts": serializers.DictField(child=serializers.IntegerField()),
        "results": GroupSummarySerializer(many=True),
    },
)


class GroupListApi(APIView):
    """Consumer groups of a cluster from the stored snapshot: search, filter, sort, page."""

    @extend_schema(
        operation_id="groups_list",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Substring of the group id (any case)."),
            OpenApiParameter("state", OpenApiTypes.STR, description="e.g. Stable, Empty, PreparingRebalance."),
            OpenApiParameter("status", OpenApiTypes.STR, description=f"One of {', '.join(selectors.STATUSES)}."),
            OpenApiParameter(
                "sort", OpenApiTypes.STR, description=f"One of {', '.join(selectors.SORTS)}; '-' for desc."
            ),
            OpenApiParameter("offset", OpenApiTypes.INT),
            OpenApiParameter("limit", OpenApiTypes.INT),
        ],
        responses={200: GroupListResponse},
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        query = selectors.GroupListQuery.from_params(request.query_params)
        page = selectors.group_list(user=request.user, cluster=cluster, query=query)
        return Response(
            {
                "count": page.total,
                "offset": query.offset,
                "limit": query.limit,
                "as_of": page.as_of,
                "stale": page.stale,
                "error": page.error,
                "status_counts": page.status_counts,
                "results": GroupSummarySerializer(page.rows, many=True).data,
            }
        )


GroupDetailResponse = inline_serializer(
    "GroupDetail",
    fields={
        "group": GroupSummarySerializer(),
        "partitions": inline_serializer("GroupPartitionLag", fields=PARTITION_FIELDS, many=True),
        "members": serializers.ListField(child=serializers.DictField(), allow_null=True),
        "members_error": serializers.CharField(),
    },
)


class GroupDetailApi(APIView):
    """One group: per-partition committed offset, end offset, lag, lag in seconds,
    status and owner from the snapshot; members and assignments read live."""

    @extend_schema(operation_id="groups_detail", responses={200: GroupDetailResponse})
    def get(self, request: Request, cluster_id: int, group_id: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        group = selectors.group_get(user=request.user, cluster=cluster, group_id=group_id)
        description, members_error = selectors.group_members(user=request.user, cluster=cluster, group_id=group_id)
        members: list[dict[str, Any]] | None = None
        if description is not None:
            members = [
                {
                    "member_id": m.member_id,
                    "client_id": m.client_id,
                    "host": m.host,
                    "group_instance_id": m.group_instance_id,
                    "assignment": [{"topic": t, "partition": p} for t, p in m.assignment],
                }
                for m in description.members
            ]
        return Response(
            {
                "group": GroupSummarySerializer(group).data,
                "partitions": [p.__dict__ for p in selectors.partitions_of(group)],
                "members": members,
                "members_error": members_error,
            }
        )
