"""REST API for the topic list (the same selector as the page)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action, check_permission
from clusters import selectors as cluster_selectors
from topics import selectors
from topics.models import TopicMeta
from topics.snapshot import topic_snapshot_refresh


class TopicSummarySerializer(serializers.ModelSerializer[TopicMeta]):
    partitions = serializers.IntegerField(source="partition_count")

    class Meta:
        model = TopicMeta
        fields = [
            "name",
            "internal",
            "partitions",
            "replication_factor",
            "size_bytes",
            "under_replicated",
            "offline",
            "messages_per_s",
            "changed_at",
        ]


TopicListResponse = inline_serializer(
    "TopicList",
    fields={
        "count": serializers.IntegerField(),
        "offset": serializers.IntegerField(),
        "limit": serializers.IntegerField(),
        "as_of": serializers.DateTimeField(allow_null=True, help_text="Time of the snapshot the rows come from."),
        "stale": serializers.BooleanField(help_text="True when the last poll failed; rows are from `as_of`."),
        "error": serializers.CharField(help_text="Why the last poll failed, if it did."),
        "results": TopicSummarySerializer(many=True),
    },
)


class TopicListApi(APIView):
    """Topics of a cluster from the stored snapshot: search, sort and page on the server."""

    @extend_schema(
        operation_id="topics_list",
        parameters=[
            OpenApiParameter("search", OpenApiTypes.STR, description="Substring of the topic name (any case)."),
            OpenApiParameter(
                "sort",
                OpenApiTypes.STR,
                description=f"One of {', '.join(selectors.SORTS)}; prefix '-' for descending.",
            ),
            OpenApiParameter("internal", OpenApiTypes.BOOL, description="Include internal topics."),
            OpenApiParameter("offset", OpenApiTypes.INT),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {selectors.MAX_LIMIT}."),
        ],
        responses={200: TopicListResponse},
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        query = selectors.TopicListQuery.from_params(request.query_params)
        page = selectors.topic_list(user=request.user, cluster=cluster, query=query)
        return Response(_page_body(page))


class TopicListRefreshApi(APIView):
    """Take a fresh snapshot of the cluster now, then answer like the list."""

    @extend_schema(operation_id="topics_refresh", request=None, responses={200: TopicListResponse})
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        check_permission(user=request.user, cluster=cluster, action=Action.TOPIC_VIEW)
        topic_snapshot_refresh(cluster=cluster)
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        query = selectors.TopicListQuery.from_params(request.query_params)
        return Response(_page_body(selectors.topic_list(user=request.user, cluster=cluster, query=query)))


def _page_body(page: selectors.TopicPage) -> dict[str, Any]:
    return {
        "count": page.total,
        "offset": page.query.offset,
        "limit": page.query.limit,
        "as_of": page.as_of,
        "stale": page.stale,
        "error": page.error,
        "results": TopicSummarySerializer(page.rows, many=True).data,
    }
