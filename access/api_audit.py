"""REST API for the audit trail: the same selectors as the page (access.selectors_audit)."""

from __future__ import annotations

import json
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import renderers, serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors_audit as selectors
from access.models import AuditEvent
from access.views_audit import audit_csv_response


class AuditEventSerializer(serializers.ModelSerializer[AuditEvent]):
    user = serializers.CharField(source="actor", help_text="Username at the time ('anonymous' if none).")
    user_id = serializers.IntegerField(allow_null=True, help_text="Null once the user is deleted.")
    token = serializers.CharField(source="token_name", help_text="The API token used: name (prefix); '' if none.")
    cluster = serializers.IntegerField(source="cluster_id", allow_null=True)
    before = serializers.JSONField(allow_null=True, help_text="Secrets redacted.")
    after = serializers.JSONField(allow_null=True, help_text="Secrets redacted.")

    class Meta:
        model = AuditEvent
        fields = [
            "id",
            "at",
            "user",
            "user_id",
            "token",
            "source_ip",
            "request_id",
            "cluster",
            "cluster_name",
            "action",
            "target",
            "result",
            "error",
            "before",
            "after",
        ]
        read_only_fields = fields


AuditListResponse = inline_serializer(
    "AuditEventList",
    fields={
        "next": serializers.URLField(allow_null=True, help_text="The next page (older events); null on the last."),
        "previous": serializers.URLField(allow_null=True, help_text="The previous page (newer); null on the first."),
        "next_cursor": serializers.CharField(allow_null=True),
        "previous_cursor": serializers.CharField(allow_null=True),
        "results": AuditEventSerializer(many=True),
    },
)

FILTER_PARAMETERS = [
    OpenApiParameter("user", OpenApiTypes.STR, description="Username of the actor (any case)."),
    OpenApiParameter("cluster", OpenApiTypes.INT, description="Cluster id."),
    OpenApiParameter("action", OpenApiTypes.STR, description="Action prefix, e.g. 'topic.' or 'token.create'."),
    OpenApiParameter("result", OpenApiTypes.STR, enum=list(selectors.RESULTS)),
    OpenApiParameter(
        "from", OpenApiTypes.STR, description="ISO 8601 time or date, inclusive (no zone: the server's time zone)."
    ),
    OpenApiParameter("to", OpenApiTypes.STR, description="ISO 8601 time, inclusive; a date alone: through its end."),
    OpenApiParameter("target", OpenApiTypes.STR, description="Substring of the target, any case."),
]
ERROR_RESPONSE = OpenApiResponse(description="A filter is invalid: `errors` names it.")


class CsvRenderer(renderers.BaseRenderer):
    """Lets `Accept: text/csv` through content negotiation; an error still comes out as its JSON body."""

    media_type = "text/csv"
    format = "csv"
    charset = "utf-8"

    def render(self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None) -> bytes:
        return json.dumps(data).encode() if data is not None else b""


class AuditListApi(APIView):
    """Audit events you may read, newest first: every event for a superuser; otherwise your own and
    all events of the clusters you administer. Page with the `cursor` of `next`/`previous`."""

    @extend_schema(
        operation_id="audit_list",
        parameters=[
            *FILTER_PARAMETERS,
            OpenApiParameter("cursor", OpenApiTypes.STR, description="From `next_cursor` or `previous_cursor`."),
            OpenApiParameter("limit", OpenApiTypes.INT, description=f"1 to {selectors.MAX_LIMIT} (default 50)."),
        ],
        responses={200: AuditListResponse, 400: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Response:
        query = selectors.AuditQuery.from_params(request.query_params)
        page = selectors.audit_list(user=request.user, query=query)
        return Response(
            {
                "next": _page_url(request, page.older),
                "previous": _page_url(request, page.newer),
                "next_cursor": page.older,
                "previous_cursor": page.newer,
                "results": AuditEventSerializer(page.rows, many=True).data,
            }
        )


def _page_url(request: Request, cursor: str | None) -> str | None:
    if cursor is None:
        return None
    params = request.query_params.copy()
    params["cursor"] = cursor
    return request.build_absolute_uri(f"{request.path}?{params.urlencode()}")


class AuditExportApi(APIView):
    """Every matching event as CSV (streamed; formula-like cells are quoted for spreadsheets)."""

    renderer_classes = [renderers.JSONRenderer, CsvRenderer]

    @extend_schema(
        operation_id="audit_export_csv",
        parameters=FILTER_PARAMETERS,
        responses={(200, "text/csv"): OpenApiTypes.STR, 400: ERROR_RESPONSE},
    )
    def get(self, request: Request) -> Any:
        query = selectors.AuditQuery.from_params(request.query_params, paged=False)
        return audit_csv_response(request._request, selectors.audit_events(user=request.user, query=query))
