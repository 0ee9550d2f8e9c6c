"""REST API under /api/v1/clusters/<cluster_id>/schemas/: the same selectors and services as the pages.
Registry errors map to 400 (naming the field), 404, 409 (incompatible, wrong delete order, no registry
configured), 502 (down or not a registry) and 504 (slow)."""

from __future__ import annotations

from dataclasses import asdict
from typing import Any

from django.core.exceptions import ValidationError
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from clusters.models import Cluster
from schemas import registry, selectors, services
from schemas.validation import LEVELS

ErrorResponse = inline_serializer(
    "SchemaRegistryError",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(required=False, help_text="Registry errors: a stable machine key."),
        "errors": serializers.DictField(required=False),
    },
)
ERRORS = {400: ErrorResponse, 404: ErrorResponse, 409: ErrorResponse, 502: ErrorResponse, 504: ErrorResponse}


def registry_error_response(exc: registry.RegistryError) -> Response:
    """One registry error as an API answer (status by kind, the message as is)."""
    body: dict[str, Any] = {"detail": exc.message, "code": exc.code}
    if isinstance(exc, registry.RegistryRejected):
        body["errors"] = {exc.field or "non_field_errors": [exc.message]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, registry.RegistryNotFound):
        return Response(body, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, registry.RegistryConflict | selectors.RegistryNotConfigured):
        return Response(body, status=status.HTTP_409_CONFLICT)
    if isinstance(exc, registry.RegistryTimeout):
        return Response(body, status=status.HTTP_504_GATEWAY_TIMEOUT)
    return Response(body, status=status.HTTP_502_BAD_GATEWAY)


class _RegistryApi(APIView):
    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, registry.RegistryError):
            return registry_error_response(exc)
        return super().handle_exception(exc)

    def cluster(self, request: Request, cluster_id: int, action: Action = Action.SCHEMA_VIEW) -> Cluster:
        return cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=action)


def parse_version(value: Any, field: str = "version") -> int | str:
    """A version number (1 or more) or "latest"."""
    text = str(value if value is not None else "latest").strip().lower()
    if text == "latest":
        return text
    if text.isdigit() and int(text) >= 1:
        return int(text)
    raise ValidationError({field: f"'{value}' is not a version: give a number from 1, or 'latest'."})


def _bool(value: Any) -> bool:
    return str(value).lower() in ("1", "true", "yes", "on")


def _schema_body(schema: registry.RegistrySchema | None) -> dict[str, Any] | None:
    return asdict(schema) if schema else None


VERSION_PARAM = OpenApiParameter("version", OpenApiTypes.STR, description="A version number or 'latest' (default).")
PERMANENT_PARAM = OpenApiParameter(
    "permanent", OpenApiTypes.BOOL, description="Remove for good; only after a soft delete (the registry's order)."
)
SchemaOut = inline_serializer(
    "RegistrySchema",
    fields={
        "id": serializers.IntegerField(),
        "schema_type": serializers.CharField(),
        "schema": serializers.CharField(),
        "references": serializers.ListField(child=serializers.DictField()),
        "subject": serializers.CharField(allow_null=True),
        "version": serializers.IntegerField(allow_null=True),
    },
)
TopicUseOut = inline_serializer(
    "SchemaTopicUse",
    fields={"topic": serializers.CharField(), "role": serializers.CharField(), "exists": serializers.BooleanField()},
)


class SubjectListApi(_RegistryApi):
    """Subjects with their latest version and type, and the topic each belongs to."""

    @extend_schema(
        operation_id="schemas_subjects_list",
        responses={
            200: inline_serializer(
                "SchemaSubjectList",
                fields={
                    "global_compatibility": serializers.CharField(allow_null=True),
                    "truncated": serializers.BooleanField(),
                    "results": inline_serializer(
                        "SchemaSubjectRow",
                        fields={
                            "subject": serializers.CharField(),
                            "latest_version": serializers.IntegerField(allow_null=True),
                            "schema_type": serializers.CharField(allow_null=True),
                            "schema_id": serializers.IntegerField(allow_null=True),
                            "topic": TopicUseOut,
                            "error": serializers.CharField(),
                        },
                        many=True,
                    ),
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = self.cluster(request, cluster_id)
        page = selectors.subject_list(user=request.user, cluster=cluster)
        return Response(
            {
                "global_compatibility": page.global_compatibility,
                "truncated": page.truncated,
                "results": [asdict(r) for r in page.rows],
            }
        )


class SubjectApi(_RegistryApi):
    """One subject (GET: versions, one version's schema, levels, topic); DELETE soft or permanent."""

    @extend_schema(
        operation_id="schemas_subject_detail",
        parameters=[VERSION_PARAM],
        responses={
            200: inline_serializer(
                "SchemaSubjectDetail",
                fields={
                    "subject": serializers.CharField(),
                    "versions": serializers.ListField(child=serializers.IntegerField()),
                    "deleted_versions": serializers.ListField(child=serializers.IntegerField()),
                    "shown": SchemaOut,
                    "compatibility": serializers.CharField(allow_null=True),
                    "global_compatibility": serializers.CharField(allow_null=True),
                    "topic": TopicUseOut,
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id)
        version = parse_version(request.query_params.get("version"))
        d = selectors.subject_detail(user=request.user, cluster=cluster, subject=name, version=version)
        return Response(
            {
                "subject": d.subject,
                "versions": d.versions,
                "deleted_versions": d.deleted_versions,
                "shown": _schema_body(d.shown),
                "compatibility": d.compatibility,
                "global_compatibility": d.global_compatibility,
                "topic": asdict(d.topic) if d.topic else None,
            }
        )

    @extend_schema(
        operation_id="schemas_subject_delete",
        parameters=[PERMANENT_PARAM],
        request=None,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
        description="Soft delete the subject, or with permanent=true remove a soft-deleted one. "
        "`warnings` says when a topic of the cluster still uses the subject.",
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        result = services.schema_subject_delete(
            user=request.user, cluster=cluster, subject=name, permanent=_bool(request.query_params.get("permanent"))
        )
        return Response(asdict(result))


class RegisterSerializer(serializers.Serializer[Any]):
    schema = serializers.CharField(
        trim_whitespace=False, allow_blank=True, required=False, default="", help_text="The schema text."
    )
    schema_type = serializers.CharField(required=False, default="AVRO", help_text="AVRO, JSON or PROTOBUF.")
    dry_run = serializers.BooleanField(
        required=False, default=False, help_text="Only validate and check compatibility; register nothing."
    )


class VersionsApi(_RegistryApi):
    """GET the version numbers of a subject; POST registers a new version (compatibility checked first)."""

    @extend_schema(
        operation_id="schemas_versions_list",
        responses={
            200: inline_serializer(
                "SchemaVersions",
                fields={
                    "versions": serializers.ListField(child=serializers.IntegerField()),
                    "deleted_versions": serializers.ListField(child=serializers.IntegerField()),
                },
            ),
            **ERRORS,
        },
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id)
        d = selectors.subject_detail(user=request.user, cluster=cluster, subject=name)
        return Response({"versions": d.versions, "deleted_versions": d.deleted_versions})

    @extend_schema(
        operation_id="schemas_register",
        request=RegisterSerializer,
        responses={
            200: inline_serializer(
                "SchemaRegistered",
                fields={
                    "subject": serializers.CharField(),
                    "schema_type": serializers.CharField(),
                    "compatible": serializers.BooleanField(),
                    "compatibility": serializers.CharField(),
                    "checked_against": serializers.IntegerField(allow_null=True),
                    "dry_run": serializers.BooleanField(),
                    "schema_id": serializers.IntegerField(allow_null=True),
                    "version": serializers.IntegerField(allow_null=True),
                    "messages": serializers.ListField(child=serializers.CharField()),
                },
            ),
            **ERRORS,
        },
        description="Invalid schema text: 400 naming `schema` with the parser's or the registry's message. "
        "Incompatible with the subject's level: 409 naming the level and its rule; nothing registered.",
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        body = RegisterSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        result = services.schema_register(user=request.user, cluster=cluster, subject=name, **body.validated_data)
        return Response(asdict(result))


class VersionApi(_RegistryApi):
    """One version of a subject; DELETE soft or (after that) permanent."""

    @extend_schema(operation_id="schemas_version_get", parameters=[VERSION_PARAM], responses={200: SchemaOut, **ERRORS})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id)
        version = parse_version(request.query_params.get("version"))
        d = selectors.subject_detail(user=request.user, cluster=cluster, subject=name, version=version)
        return Response(_schema_body(d.shown))

    @extend_schema(
        operation_id="schemas_version_delete",
        parameters=[
            OpenApiParameter("version", OpenApiTypes.INT, required=True, description="The version number."),
            PERMANENT_PARAM,
        ],
        request=None,
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        version = parse_version(request.query_params.get("version", ""))
        if not isinstance(version, int):
            raise ValidationError({"version": "Name the version number to delete."})
        result = services.schema_version_delete(
            user=request.user,
            cluster=cluster,
            subject=name,
            version=version,
            permanent=_bool(request.query_params.get("permanent")),
        )
        return Response(asdict(result))


class DiffApi(_RegistryApi):
    """Side-by-side diff of two versions (pretty-printed), rows marked same/changed/removed/added."""

    @extend_schema(
        operation_id="schemas_diff",
        parameters=[
            OpenApiParameter("left", OpenApiTypes.STR, required=True, description="Version number or 'latest'."),
            OpenApiParameter("right", OpenApiTypes.STR, required=True, description="Version number or 'latest'."),
        ],
        responses={200: OpenApiTypes.OBJECT, **ERRORS},
    )
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id)
        left = parse_version(request.query_params.get("left", "1"), "left")
        right = parse_version(request.query_params.get("right"), "right")
        diff = selectors.schema_diff(user=request.user, cluster=cluster, subject=name, left=left, right=right)
        return Response(
            {
                "subject": diff.subject,
                "left": asdict(diff.left),
                "right": asdict(diff.right),
                "changed": diff.changed,
                "rows": [asdict(r) for r in diff.rows],
            }
        )


class CompatibilitySerializer(serializers.Serializer[Any]):
    compatibility = serializers.CharField(
        required=False, allow_blank=True, default="", help_text=f"One of {', '.join(LEVELS)}."
    )


CompatibilityOut = inline_serializer(
    "SchemaCompatibility",
    fields={
        "compatibility": serializers.CharField(allow_null=True, help_text="The subject's own level, or global."),
        "global_compatibility": serializers.CharField(allow_null=True),
    },
)


class GlobalCompatibilityApi(_RegistryApi):
    """The registry's global compatibility level."""

    @extend_schema(operation_id="schemas_compatibility_get", responses={200: CompatibilityOut, **ERRORS})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = self.cluster(request, cluster_id)
        _, level = selectors.compatibility_levels(user=request.user, cluster=cluster)
        return Response({"compatibility": level, "global_compatibility": level})

    @extend_schema(
        operation_id="schemas_compatibility_set",
        request=CompatibilitySerializer,
        responses={200: CompatibilityOut, **ERRORS},
    )
    def put(self, request: Request, cluster_id: int) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        body = CompatibilitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        level = services.compatibility_update(
            user=request.user, cluster=cluster, level=body.validated_data["compatibility"]
        )
        return Response({"compatibility": level, "global_compatibility": level})


class SubjectCompatibilityApi(_RegistryApi):
    """A subject's own compatibility level (PUT sets it, DELETE drops it so the global one applies)."""

    @extend_schema(operation_id="schemas_subject_compatibility_get", responses={200: CompatibilityOut, **ERRORS})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id)
        own, glob = selectors.compatibility_levels(user=request.user, cluster=cluster, subject=name)
        return Response({"compatibility": own, "global_compatibility": glob})

    @extend_schema(
        operation_id="schemas_subject_compatibility_set",
        request=CompatibilitySerializer,
        responses={200: CompatibilityOut, **ERRORS},
    )
    def put(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        body = CompatibilitySerializer(data=request.data)
        body.is_valid(raise_exception=True)
        level = body.validated_data["compatibility"]
        if not level:
            raise ValidationError({"compatibility": f"Give one of {', '.join(LEVELS)} (DELETE drops the level)."})
        own = services.compatibility_update(user=request.user, cluster=cluster, level=level, subject=name)
        _, glob = selectors.compatibility_levels(user=request.user, cluster=cluster)
        return Response({"compatibility": own, "global_compatibility": glob})

    @extend_schema(
        operation_id="schemas_subject_compatibility_delete", request=None, responses={200: CompatibilityOut, **ERRORS}
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = self.cluster(request, cluster_id, Action.SCHEMA_EDIT)
        services.compatibility_update(user=request.user, cluster=cluster, level="", subject=name)
        _, glob = selectors.compatibility_levels(user=request.user, cluster=cluster)
        return Response({"compatibility": None, "global_compatibility": glob})
