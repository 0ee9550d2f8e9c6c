"""REST API for clusters: thin; the same services and selectors as the pages."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any, ClassVar

from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from access.permissions import Action, check_permission
from clusters import selectors, services
from clusters.models import Cluster, ClusterStatus


class ClusterStatusSerializer(serializers.ModelSerializer[ClusterStatus]):
    stale = serializers.SerializerMethodField()

    class Meta:
        model = ClusterStatus
        exclude = ["id", "cluster"]

    def get_stale(self, obj: ClusterStatus) -> bool:
        """True when the values shown are from an earlier poll than the last attempt."""
        return not obj.reachable


class ClusterSerializer(serializers.ModelSerializer[Cluster]):
    sasl_password = serializers.CharField(
        write_only=True,
        required=False,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Write-only; omit or leave blank to keep the stored password.",
    )
    has_password = serializers.BooleanField(read_only=True)
    connect_urls = serializers.ListField(child=serializers.CharField(), required=False)
    metrics_urls = serializers.ListField(child=serializers.CharField(), required=False)
    status = ClusterStatusSerializer(read_only=True)

    class Meta:
        model = Cluster
        fields = [
            "id",
            *services.EDITABLE_FIELDS,
            "sasl_password",
            "has_password",
            "status",
            "created_at",
            "updated_at",
        ]
        read_only_fields = ["id", "created_at", "updated_at"]
        # Uniqueness and the rest are checked once, by the model in the service.
        extra_kwargs: ClassVar[dict[str, dict[str, Any]]] = {"name": {"validators": []}}

    def to_internal_value(self, data: Any) -> Any:
        # Connection settings are typed fields only: a raw client property is refused, not dropped.
        if isinstance(data, dict):
            # Read-only fields (id, status, ...) are tolerated, so a GET body can be sent back as is.
            unknown = sorted(str(k) for k in data if k not in self.fields)
            if unknown:
                raise serializers.ValidationError(
                    {k: ["Unknown field: cluster connections take typed settings only."] for k in unknown}
                )
        return super().to_internal_value(data)

    def split(self) -> tuple[dict[str, Any], str | None]:
        data = dict(self.validated_data)
        password = data.pop("sasl_password", "") or None
        return data, password


class BrokerReportSerializer(serializers.Serializer[Any]):
    node_id = serializers.IntegerField()
    host = serializers.CharField()
    port = serializers.IntegerField()
    rack = serializers.CharField(allow_null=True)


ConnectionReportSerializer = inline_serializer(
    "ConnectionReport",
    fields={
        "cluster_id": serializers.CharField(),
        "controller_id": serializers.IntegerField(allow_null=True),
        "brokers": BrokerReportSerializer(many=True),
        "api_versions": serializers.ListField(child=serializers.DictField()),
        "round_trip_ms": serializers.FloatField(),
    },
)


class ClusterViewSet(viewsets.GenericViewSet[Cluster]):
    """Clusters Signalbox manages. Reading needs a role on the cluster; changes are superuser-only."""

    serializer_class = ClusterSerializer
    queryset = Cluster.objects.none()
    lookup_value_regex = r"\d+"  # a non-numeric id is a 404 from the router, not a 500 from int()

    def get_queryset(self) -> Any:
        return selectors.cluster_list(user=self.request.user)

    def list(self, request: Request) -> Response:
        page = self.paginate_queryset(self.get_queryset())
        return self.get_paginated_response(ClusterSerializer(page, many=True).data)

    def retrieve(self, request: Request, pk: str) -> Response:
        cluster = selectors.cluster_get(user=request.user, pk=int(pk))
        return Response(ClusterSerializer(cluster).data)

    def create(self, request: Request) -> Response:
        check_permission(user=request.user, cluster=None, action=Action.CLUSTER_MANAGE)
        serializer = ClusterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, password = serializer.split()
        cluster = services.cluster_create(user=request.user, fields=fields, password=password)
        return Response(
            ClusterSerializer(selectors.cluster_get(user=request.user, pk=cluster.pk)).data,
            status=status.HTTP_201_CREATED,
        )

    def _update(self, request: Request, pk: str, partial: bool) -> Response:
        cluster = selectors.cluster_get(user=request.user, pk=int(pk), action=Action.CLUSTER_MANAGE)
        serializer = ClusterSerializer(cluster, data=request.data, partial=partial)
        serializer.is_valid(raise_exception=True)
        fields, password = serializer.split()
        cluster = services.cluster_update(user=request.user, cluster=cluster, fields=fields, password=password)
        return Response(ClusterSerializer(selectors.cluster_get(user=request.user, pk=cluster.pk)).data)

    def update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=False)

    def partial_update(self, request: Request, pk: str) -> Response:
        return self._update(request, pk, partial=True)

    def destroy(self, request: Request, pk: str) -> Response:
        cluster = selectors.cluster_get(user=request.user, pk=int(pk), action=Action.CLUSTER_MANAGE)
        services.cluster_delete(user=request.user, cluster=cluster)
        return Response(status=status.HTTP_204_NO_CONTENT)

    @extend_schema(request=None, responses={200: ConnectionReportSerializer})
    @action(detail=True, methods=["post"], url_path="test-connection")
    def test_connection(self, request: Request, pk: str) -> Response:
        """Connect with the stored settings and report cluster id, brokers, controller,
        API versions and round-trip time; 502/504 with the reason when it fails."""
        cluster = selectors.cluster_get(user=request.user, pk=int(pk), action=Action.CLUSTER_MANAGE)
        report = services.cluster_connection_test(user=request.user, cluster=cluster)
        return Response(asdict(report))

    @extend_schema(
        operation_id="clusters_test_connection_unsaved",
        request=ClusterSerializer,
        responses={200: ConnectionReportSerializer},
    )
    @action(detail=False, methods=["post"], url_path="test-connection")
    def test_connection_unsaved(self, request: Request) -> Response:
        """Test settings before saving them (same body as create)."""
        check_permission(user=request.user, cluster=None, action=Action.CLUSTER_MANAGE)
        serializer = ClusterSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        fields, password = serializer.split()
        candidate = services.cluster_build(fields=fields, password=password)
        report = services.cluster_connection_test(user=request.user, cluster=candidate)
        return Response(asdict(report))
