"""REST API for the metric history: what charts load before live points arrive."""

from __future__ import annotations

import time
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action, check_permission
from clusters import selectors as cluster_selectors
from controlplane.query_params import int_param
from monitoring import selectors
from monitoring.selectors import DESCRIPTIONS, KINDS, RANGES
from monitoring.series import series_latest, series_read_many, series_top
from monitoring.services import poll_journal

MAX_KEYS = 20

SeriesResponse = inline_serializer(
    "SeriesHistory",
    fields={
        "kind": serializers.CharField(),
        "unit": serializers.CharField(),
        "range": serializers.CharField(),
        "resolution": serializers.CharField(help_text="raw (one point per poll) or 1m (1-minute averages)"),
        "series": serializers.DictField(
            child=serializers.ListField(child=serializers.ListField()),
            help_text="key -> [[epoch seconds, value or null], ...]; null is a gap (a failed poll)",
        ),
    },
)


def _query(params: Any) -> tuple[str, list[str], str, int]:
    errors: dict[str, str] = {}
    kind = str(params.get("kind") or "")
    if kind not in KINDS:
        errors["kind"] = f"Unknown kind '{kind}'; use one of {', '.join(sorted(KINDS))}."
    keys = [k for k in params.getlist("key")] if hasattr(params, "getlist") else [params.get("key", "")]
    keys = keys or [""]  # cluster-wide kinds have the empty key
    if len(keys) > MAX_KEYS:
        errors["key"] = f"At most {MAX_KEYS} keys per request."
    span = str(params.get("range") or "1h")
    if span not in RANGES:
        errors["range"] = f"Unknown range '{span}'; use one of {', '.join(RANGES)}."
    max_points = int_param(params, "max_points", default=1000, low=10, high=5000, errors=errors)
    if errors:
        raise ValidationError(errors)
    return kind, keys, span, max_points


class SeriesApi(APIView):
    """History of one kind of series (e.g. topic.messages_per_s) for up to 20 keys."""

    @extend_schema(
        operation_id="metrics_history",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, required=True, description=", ".join(sorted(KINDS))),
            OpenApiParameter("key", OpenApiTypes.STR, many=True, description="Topic, group or broker URL; repeat."),
            OpenApiParameter("range", OpenApiTypes.STR, description=", ".join(RANGES)),
            OpenApiParameter("max_points", OpenApiTypes.INT, description="10 to 5000 (default 1000)."),
        ],
        responses={200: SeriesResponse},
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id)
        kind, keys, span, max_points = _query(request.query_params)
        data = series_read_many(
            cluster_id=cluster.pk, kind=kind, keys=keys, since=time.time() - RANGES[span], max_points=max_points
        )
        resolutions = {d.resolution for d in data.values() if d.points}
        return Response(
            {
                "kind": kind,
                "unit": KINDS[kind],
                "range": span,
                "resolution": "1m" if "1m" in resolutions else "raw",
                "series": {key: [[t, v] for t, v in d.points] for key, d in data.items()},
            }
        )


def _cluster(request: Request, cluster_id: int) -> Any:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
    check_permission(user=request.user, cluster=cluster, action=Action.CLUSTER_VIEW)
    return cluster


def _kind(params: Any, errors: dict[str, str], prefix: str = "") -> str:
    kind = str(params.get("kind") or "")
    if kind not in KINDS or not kind.startswith(prefix):
        allowed = sorted(k for k in KINDS if k.startswith(prefix))
        errors["kind"] = f"Unknown kind '{kind}'; use one of {', '.join(allowed)}."
    return kind


class MetricsCatalogApi(APIView):
    """The kinds of series this cluster records, with units and what their keys are."""

    @extend_schema(
        operation_id="metrics_catalog",
        responses={
            200: inline_serializer(
                "MetricsCatalog",
                fields={
                    "kinds": serializers.ListField(child=serializers.DictField()),
                    "ranges": serializers.ListField(child=serializers.CharField()),
                },
            )
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        _cluster(request, cluster_id)
        kinds = [{"kind": k, "unit": u, "description": DESCRIPTIONS.get(k, "")} for k, u in sorted(KINDS.items())]
        return Response({"kinds": kinds, "ranges": list(RANGES)})


class MetricsLatestApi(APIView):
    """The newest value of every key of one kind (e.g. each broker's idle ratio)."""

    @extend_schema(
        operation_id="metrics_latest",
        parameters=[OpenApiParameter("kind", OpenApiTypes.STR, required=True, description=", ".join(sorted(KINDS)))],
        responses={
            200: inline_serializer(
                "MetricsLatest",
                fields={
                    "kind": serializers.CharField(),
                    "unit": serializers.CharField(),
                    "values": serializers.DictField(child=serializers.FloatField()),
                },
            )
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id)
        errors: dict[str, str] = {}
        kind = _kind(request.query_params, errors)
        if errors:
            raise ValidationError(errors)
        return Response({"kind": kind, "unit": KINDS[kind], "values": series_latest(cluster_id=cluster.pk, kind=kind)})


class MetricsTopApi(APIView):
    """The keys of one kind with the highest average over a range: the busiest topics,
    the most lagging groups."""

    @extend_schema(
        operation_id="metrics_top",
        parameters=[
            OpenApiParameter("kind", OpenApiTypes.STR, required=True, description="topic.*, group.* or broker.*"),
            OpenApiParameter("range", OpenApiTypes.STR, description=", ".join(RANGES) + " (default 15m)"),
            OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 100 (default 10)."),
        ],
        responses={
            200: inline_serializer(
                "MetricsTop",
                fields={
                    "kind": serializers.CharField(),
                    "unit": serializers.CharField(),
                    "range": serializers.CharField(),
                    "top": serializers.ListField(child=serializers.ListField(), help_text="[[key, average], ...]"),
                },
            )
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id)
        params = request.query_params
        errors: dict[str, str] = {}
        kind = _kind(params, errors)
        span = str(params.get("range") or "15m")
        if span not in RANGES:
            errors["range"] = f"Unknown range '{span}'; use one of {', '.join(RANGES)}."
        limit = int_param(params, "limit", default=10, low=1, high=100, errors=errors)
        if errors:
            raise ValidationError(errors)
        top = series_top(cluster_id=cluster.pk, kind=kind, since=selectors.since_for(span), limit=limit)
        return Response({"kind": kind, "unit": KINDS[kind], "range": span, "top": [[k, v] for k, v in top]})


class DashboardApi(APIView):
    """The cluster dashboard's summary: top topics, groups per status, broker health,
    freshness. Live pages then follow the websocket's cluster.points events."""

    @extend_schema(
        operation_id="cluster_dashboard",
        responses={
            200: inline_serializer(
                "ClusterDashboard",
                fields={
                    "top_topics": serializers.ListField(child=serializers.DictField()),
                    "groups_by_status": serializers.DictField(child=serializers.IntegerField()),
                    "groups_total": serializers.IntegerField(),
                    "brokers": serializers.ListField(child=serializers.DictField()),
                    "checked_at": serializers.DateTimeField(allow_null=True),
                    "reachable": serializers.BooleanField(),
                    "stale_since": serializers.DateTimeField(allow_null=True),
                },
            )
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id)
        return Response(selectors.dashboard(cluster=cluster).as_dict())


class PollsApi(APIView):
    """The cluster's most recent polls (newest first): when each ran, how long it
    took, its outcome and which worker ran it."""

    @extend_schema(
        operation_id="cluster_polls",
        parameters=[OpenApiParameter("limit", OpenApiTypes.INT, description="1 to 200 (default 50).")],
        responses={
            200: inline_serializer(
                "ClusterPolls",
                fields={"polls": serializers.ListField(child=serializers.DictField())},
            )
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id)
        errors: dict[str, str] = {}
        limit = int_param(request.query_params, "limit", default=50, low=1, high=200, errors=errors)
        if errors:
            raise ValidationError(errors)
        return Response({"polls": poll_journal(cluster_id=cluster.pk, limit=limit)})
