"""REST API for Kafka Connect: thin, the same services and selectors as the pages.

Choose a Connect cluster with `?connect=<index or name>` (the first when absent). Errors:
400 naming the field(s), 404 unknown connector, 409 rebalance/conflict, 502/504 Connect down/slow."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from connectors import selectors, services
from connectors.connect import (
    ConnectConflict,
    ConnectError,
    ConnectNotFound,
    ConnectorInfo,
    ConnectRejected,
    ConnectTimeout,
    ValidationResult,
)

CONNECT_PARAM = OpenApiParameter(
    "connect",
    OpenApiTypes.STR,
    description="Which Connect cluster of this cluster: its index in the cluster's Connect URLs or its name "
    "(host-port of the URL). Default: the first.",
)
ERROR = OpenApiResponse(
    OpenApiTypes.OBJECT,
    description='{"detail": message, "code": key, "errors": {field: [reasons]}} — 400 names the field(s); '
    "404 unknown connector; 409 rebalance in progress or name taken; 502 Connect unreachable; 504 too slow.",
)
ERRORS = {400: ERROR, 404: ERROR, 409: ERROR, 502: ERROR, 504: ERROR}


def connect_error_response(exc: ConnectError) -> Response:
    """Our Connect errors as API answers."""
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, ConnectRejected):
        body["errors"] = {exc.field or "non_field_errors": [exc.message]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, ConnectNotFound):
        return Response(body, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, ConnectConflict):
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, ConnectTimeout):
        return Response(body, status=status.HTTP_504_GATEWAY_TIMEOUT)
    return Response(body, status=status.HTTP_502_BAD_GATEWAY)


class ConnectApiView(APIView):
    """Maps Connect's errors (the central handler knows only Kafka's)."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, ConnectError):
            return connect_error_response(exc)
        return super().handle_exception(exc)


def _ref(request: Request) -> str | None:
    return request.query_params.get("connect") or None


def _info_dict(info: ConnectorInfo) -> dict[str, Any]:
    return {
        "name": info.name,
        "type": info.type,
        "config": selectors.mask_config(info.config),
        "tasks": list(info.task_ids),
    }


# -- schemas -------------------------------------------------------------------------------------------

TaskSchema = inline_serializer(
    "ConnectorTask",
    fields={
        "id": serializers.IntegerField(),
        "state": serializers.CharField(),
        "worker_id": serializers.CharField(),
        "trace": serializers.CharField(help_text="Stack trace of a FAILED task; empty otherwise."),
    },
)
ConnectorRowSchema = inline_serializer(
    "ConnectorRow",
    fields={
        "name": serializers.CharField(),
        "type": serializers.CharField(),
        "class": serializers.CharField(),
        "state": serializers.CharField(help_text="RUNNING, PAUSED, STOPPED, FAILED, UNASSIGNED or RESTARTING."),
        "worker_id": serializers.CharField(),
        "trace": serializers.CharField(),
        "tasks": TaskSchema.__class__(many=True),
    },
)
OverviewSchema = inline_serializer(
    "ConnectCluster",
    fields={
        "index": serializers.IntegerField(),
        "name": serializers.CharField(),
        "url": serializers.CharField(),
        "reachable": serializers.BooleanField(),
        "error": serializers.CharField(help_text="Why the worker could not be read, when it could not."),
        "version": serializers.CharField(allow_null=True),
        "commit": serializers.CharField(allow_null=True),
        "kafka_cluster_id": serializers.CharField(allow_null=True),
        "plugin_count": serializers.IntegerField(),
        "plugins": serializers.ListField(child=serializers.DictField()),
        "states": serializers.DictField(child=serializers.IntegerField(), help_text="Connector count by state."),
        "connectors": ConnectorRowSchema.__class__(many=True),
    },
)
StatusSchema = inline_serializer(
    "ConnectorStatus",
    fields={
        "name": serializers.CharField(),
        "state": serializers.CharField(),
        "worker_id": serializers.CharField(),
        "type": serializers.CharField(),
        "trace": serializers.CharField(),
        "tasks": TaskSchema.__class__(many=True),
    },
)
InfoSchema = inline_serializer(
    "ConnectorInfo",
    fields={
        "name": serializers.CharField(),
        "type": serializers.CharField(),
        "config": serializers.DictField(child=serializers.CharField(), help_text="Secret-looking values masked."),
        "tasks": serializers.ListField(child=serializers.IntegerField()),
    },
)
DetailSchema = inline_serializer(
    "ConnectorDetail",
    fields={
        "connect": serializers.CharField(),
        "name": serializers.CharField(),
        "type": serializers.CharField(),
        "config": serializers.DictField(child=serializers.CharField(), help_text="Secret-looking values masked."),
        "status": StatusSchema.__class__(),
        "offsets": serializers.ListField(child=serializers.DictField(), allow_null=True),
        "offsets_error": serializers.CharField(),
    },
)
ValidationSchema = inline_serializer(
    "ConnectorValidation",
    fields={
        "plugin": serializers.CharField(),
        "error_count": serializers.IntegerField(),
        "valid": serializers.BooleanField(),
    },
)


class ConnectorCreateSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(help_text="The connector's name, unique on the Connect cluster.")
    config = serializers.DictField(
        child=serializers.CharField(allow_blank=True), help_text="Config name to value; connector.class is required."
    )
    dry_run = serializers.BooleanField(required=False, default=False, help_text="Validate through Connect only.")


class ConnectorConfigSerializer(serializers.Serializer[Any]):
    config = serializers.DictField(
        child=serializers.CharField(allow_blank=True),
        help_text='The whole new config. A value of "********" keeps the current (masked) secret.',
    )


class ConnectorRestartSerializer(serializers.Serializer[Any]):
    only_failed = serializers.BooleanField(
        required=False, default=False, help_text="Restart only the failed connector instance and tasks."
    )


class TaskRestartSerializer(serializers.Serializer[Any]):
    task = serializers.IntegerField(min_value=0, help_text="The task id.")


# -- views ---------------------------------------------------------------------------------------------


class ConnectOverviewApi(ConnectApiView):
    """Every Connect cluster of the cluster: reachable?, version, plugins, connectors with state.
    An unreachable worker is reported in its entry (`reachable: false`, `error`); the rest still answer."""

    @extend_schema(operation_id="connect_overview", responses={200: OverviewSchema.__class__(many=True)})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        return Response([o.as_dict() for o in selectors.connect_overview(user=request.user, cluster=cluster)])


class ConnectPluginsApi(ConnectApiView):
    """The connector plugins installed on one Connect cluster."""

    @extend_schema(
        operation_id="connect_plugins",
        parameters=[CONNECT_PARAM],
        responses={
            200: inline_serializer(
                "ConnectPlugin",
                fields={
                    "class": serializers.CharField(),
                    "type": serializers.CharField(),
                    "version": serializers.CharField(),
                },
                many=True,
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        found = selectors.plugin_list(user=request.user, cluster=cluster, connect_ref=_ref(request))
        return Response([{"class": p.class_name, "type": p.type, "version": p.version} for p in found])


class ConnectorListApi(ConnectApiView):
    """GET: connectors of one Connect cluster with state and per-task state. POST: create one
    (validated through Connect first; 400 naming every field Connect rejects)."""

    @extend_schema(
        operation_id="connectors_list",
        parameters=[CONNECT_PARAM],
        responses={200: ConnectorRowSchema.__class__(many=True), **ERRORS},
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        rows = selectors.connector_list(user=request.user, cluster=cluster, connect_ref=_ref(request))
        return Response([selectors.summary_dict(r) for r in rows])

    @extend_schema(
        operation_id="connectors_create",
        parameters=[CONNECT_PARAM],
        request=ConnectorCreateSerializer,
        responses={201: InfoSchema, 200: ValidationSchema, **ERRORS},
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_EDIT)
        body = ConnectorCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.connector_create(
            user=request.user,
            cluster=cluster,
            connect_ref=_ref(request),
            name=body.validated_data["name"],
            config=body.validated_data["config"],
            dry_run=body.validated_data["dry_run"],
        )
        if isinstance(result, ValidationResult):
            return Response({"plugin": result.plugin, "error_count": result.error_count, "valid": result.ok})
        return Response(_info_dict(result), status=status.HTTP_201_CREATED)


class ConnectorDetailApi(ConnectApiView):
    """GET: config (secrets masked), state, tasks with traces, offsets. DELETE: delete the connector."""

    @extend_schema(
        operation_id="connectors_detail", parameters=[CONNECT_PARAM], responses={200: DetailSchema, **ERRORS}
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        detail = selectors.connector_detail(user=request.user, cluster=cluster, connect_ref=_ref(request), name=name)
        return Response(detail.as_dict())

    @extend_schema(operation_id="connectors_delete", parameters=[CONNECT_PARAM], responses={204: None, **ERRORS})
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_EDIT)
        # The API caller names the connector in the URL; that is its confirmation.
        services.connector_delete(
            user=request.user, cluster=cluster, connect_ref=_ref(request), name=name, confirm=name
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class ConnectorStatusApi(ConnectApiView):
    """The live state of a connector and its tasks."""

    @extend_schema(
        operation_id="connectors_status", parameters=[CONNECT_PARAM], responses={200: StatusSchema, **ERRORS}
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        found = selectors.connector_status_get(user=request.user, cluster=cluster, connect_ref=_ref(request), name=name)
        return Response(found.as_dict())


class ConnectorConfigApi(ConnectApiView):
    """GET: the config with secrets masked. PUT: replace it (validated through Connect first)."""

    @extend_schema(
        operation_id="connectors_config",
        parameters=[CONNECT_PARAM],
        responses={
            200: OpenApiResponse(OpenApiTypes.OBJECT, description="Config name to value; secrets masked."),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        return Response(
            selectors.connector_config_get(user=request.user, cluster=cluster, connect_ref=_ref(request), name=name)
        )

    @extend_schema(
        operation_id="connectors_config_update",
        parameters=[CONNECT_PARAM],
        request=ConnectorConfigSerializer,
        responses={200: InfoSchema, **ERRORS},
    )
    def put(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_EDIT)
        body = ConnectorConfigSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        info = services.connector_config_update(
            user=request.user,
            cluster=cluster,
            connect_ref=_ref(request),
            name=name,
            config=body.validated_data["config"],
        )
        return Response(_info_dict(info))


class _OperateApi(ConnectApiView):
    operation = ""

    def _operate(self, request: Request, cluster_id: int, name: str, operation: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_OPERATE)
        services.connector_operate(
            user=request.user, cluster=cluster, connect_ref=_ref(request), name=name, operation=operation
        )
        return Response({"requested": operation}, status=status.HTTP_202_ACCEPTED)


Accepted = inline_serializer("ConnectorOperationAccepted", fields={"requested": serializers.CharField()})


class ConnectorPauseApi(_OperateApi):
    """Pause the connector and its tasks (the state follows within seconds)."""

    @extend_schema(
        operation_id="connectors_pause", parameters=[CONNECT_PARAM], request=None, responses={202: Accepted, **ERRORS}
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        return self._operate(request, cluster_id, name, "pause")


class ConnectorResumeApi(_OperateApi):
    """Resume a paused or stopped connector."""

    @extend_schema(
        operation_id="connectors_resume", parameters=[CONNECT_PARAM], request=None, responses={202: Accepted, **ERRORS}
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        return self._operate(request, cluster_id, name, "resume")


class ConnectorStopApi(_OperateApi):
    """Stop the connector and its tasks (Kafka 3.5+); needed before resetting offsets."""

    @extend_schema(
        operation_id="connectors_stop", parameters=[CONNECT_PARAM], request=None, responses={202: Accepted, **ERRORS}
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        return self._operate(request, cluster_id, name, "stop")


class ConnectorRestartApi(_OperateApi):
    """Restart the connector with all its tasks, or (only_failed) just the failed ones."""

    @extend_schema(
        operation_id="connectors_restart",
        parameters=[CONNECT_PARAM],
        request=ConnectorRestartSerializer,
        responses={202: Accepted, **ERRORS},
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_OPERATE)
        body = ConnectorRestartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        return self._operate(
            request, cluster_id, name, "restart-failed" if body.validated_data["only_failed"] else "restart"
        )


class ConnectorTaskRestartApi(ConnectApiView):
    """Restart one task of a connector."""

    @extend_schema(
        operation_id="connectors_task_restart",
        parameters=[CONNECT_PARAM],
        request=TaskRestartSerializer,
        responses={202: Accepted, **ERRORS},
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_OPERATE)
        body = TaskRestartSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.connector_task_restart(
            user=request.user,
            cluster=cluster,
            connect_ref=_ref(request),
            name=name,
            task_id=body.validated_data["task"],
        )
        return Response({"requested": f"restart task {body.validated_data['task']}"}, status=status.HTTP_202_ACCEPTED)


class ConnectorOffsetsApi(ConnectApiView):
    """GET: the connector's committed offsets (Kafka 3.5+). DELETE: reset them (connector must be STOPPED)."""

    @extend_schema(
        operation_id="connectors_offsets",
        parameters=[CONNECT_PARAM],
        responses={
            200: inline_serializer(
                "ConnectorOffset",
                fields={"partition": serializers.DictField(), "offset": serializers.DictField(allow_null=True)},
                many=True,
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_VIEW)
        detail = selectors.connector_detail(user=request.user, cluster=cluster, connect_ref=_ref(request), name=name)
        if detail.offsets is None:
            raise ConnectError(detail.offsets_error)
        return Response(detail.offsets.as_dict()["offsets"])

    @extend_schema(
        operation_id="connectors_offsets_reset",
        parameters=[CONNECT_PARAM],
        responses={200: inline_serializer("OffsetsReset", fields={"message": serializers.CharField()}), **ERRORS},
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.CONNECTOR_EDIT)
        said = services.connector_offsets_reset(
            user=request.user, cluster=cluster, connect_ref=_ref(request), name=name
        )
        return Response({"message": said})
