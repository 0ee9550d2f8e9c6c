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
from monitoring.broker_metrics import UNITS as BROKER_UNITS
from monitoring.series import series_read_many
from monitoring.services import UNITS

RANGES = {"15m": 900, "1h": 3600, "6h": 6 * 3600, "24h": 24 * 3600, "7d": 7 * 24 * 3600}
KINDS = {**UNITS, **BROKER_UNITS}
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
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id)
        check_permission(user=request.user, cluster=cluster, action=Action.CLUSTER_VIEW)
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
