"""REST API for Kafka ACLs: thin, the same services and selectors as the pages.

The permission is checked before the body is looked at, so a refused caller gets 403
whatever they send. The body is then validated by the service (inside its audit block,
so refused input is recorded); the serializers below document it for the OpenAPI schema."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.exceptions import ValidationError
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from acls import selectors, services
from acls.validation import OPERATIONS_BY_RESOURCE
from clusters import selectors as cluster_selectors
from clusters.gateway.acls import (
    FILTER_PATTERN_TYPES,
    OPERATIONS,
    PATTERN_TYPES,
    PERMISSIONS,
    RESOURCE_TYPES,
    AclBinding,
    AclFilter,
)
from clusters.models import Cluster

_OPS_HELP = "; ".join(f"{t}: {', '.join(ops)}" for t, ops in OPERATIONS_BY_RESOURCE.items())

# -- bodies and answers -------------------------------------------------------------------------


class AclBindingSerializer(serializers.Serializer[Any]):
    principal = serializers.CharField(help_text="<Type>:<name>, e.g. User:alice; User:* is every user.")
    host = serializers.CharField(
        required=False, default="*", help_text="'*' (any host) or one IP address the client connects from."
    )
    operation = serializers.CharField(help_text=f"One of {', '.join(OPERATIONS)}. Useful per type: {_OPS_HELP}.")
    permission = serializers.CharField(
        required=False, default="ALLOW", help_text=f"One of {', '.join(PERMISSIONS)}; DENY wins over ALLOW."
    )
    resource_type = serializers.CharField(help_text=f"One of {', '.join(RESOURCE_TYPES)}.")
    resource_name = serializers.CharField(
        help_text="The topic, group, transactional id... name; '*' for all of them; 'kafka-cluster' for CLUSTER."
    )
    pattern_type = serializers.CharField(
        required=False,
        default="LITERAL",
        help_text=f"One of {', '.join(PATTERN_TYPES)}: the exact name, or every name starting with it.",
    )


class AclFilterSerializer(serializers.Serializer[Any]):
    """Every field is optional; empty or ANY matches every value."""

    principal = serializers.CharField(required=False, help_text="Exactly this principal, e.g. User:alice.")
    host = serializers.CharField(required=False, help_text="Exactly this host ('*' or an IP).")
    operation = serializers.CharField(required=False, help_text=f"ANY or one of {', '.join(OPERATIONS)}.")
    permission = serializers.CharField(required=False, help_text=f"ANY or one of {', '.join(PERMISSIONS)}.")
    resource_type = serializers.CharField(required=False, help_text=f"ANY or one of {', '.join(RESOURCE_TYPES)}.")
    resource_name = serializers.CharField(
        required=False, help_text="Exactly this name (or, with MATCH, any ACL that applies to it)."
    )
    pattern_type = serializers.CharField(
        required=False,
        help_text=f"One of {', '.join(FILTER_PATTERN_TYPES)}. MATCH: every ACL that applies to resource_name "
        "(literal, '*' and matching prefixes); ANY: literal and prefixed ACLs named exactly resource_name.",
    )


class AclDeleteSerializer(AclFilterSerializer):
    fingerprint = serializers.CharField(
        help_text="From the delete preview of the same filter: the delete goes ahead only if the filter still "
        "matches exactly the previewed ACLs."
    )


class AclWizardSerializer(serializers.Serializer[Any]):
    preset = serializers.ChoiceField(
        choices=services.PRESETS,
        help_text="producer: WRITE+DESCRIBE on the topic (and on the transactional id if given); "
        "consumer: READ+DESCRIBE on the topic and READ on the group.",
    )
    principal = serializers.CharField(help_text="<Type>:<name>, e.g. User:orders-app.")
    topic = serializers.CharField(help_text="The topic name (a prefix when `prefixed`).")
    group = serializers.CharField(required=False, help_text="Consumer group id: required for the consumer preset.")
    transactional_id = serializers.CharField(
        required=False, help_text="Producer only: the client's transactional.id, if it uses transactions."
    )
    host = serializers.CharField(required=False, default="*", help_text="'*' or one IP address.")
    prefixed = serializers.BooleanField(
        required=False, default=False, help_text="Treat every name as a prefix (PREFIXED pattern type)."
    )


def _bindings_field(help_text: str = "") -> Any:
    return AclBindingSerializer(many=True, help_text=help_text)


AclListResponse = inline_serializer(
    "AclList",
    fields={
        "authorizer": serializers.BooleanField(
            help_text="False when the cluster has no authorizer configured: it keeps no ACLs; `detail` says how "
            "to enable one."
        ),
        "detail": serializers.CharField(),
        "count": serializers.IntegerField(),
        "by_resource_type": serializers.DictField(child=serializers.IntegerField()),
        "by_permission": serializers.DictField(child=serializers.IntegerField()),
        "filter": AclFilterSerializer(),
        "results": _bindings_field(),
    },
)
AclCreateResponse = inline_serializer(
    "AclCreated",
    fields={
        "created": _bindings_field("ACLs that are new on the cluster."),
        "existed": _bindings_field("ACLs that were there already (nothing changed for them)."),
    },
)
AclPreviewResponse = inline_serializer(
    "AclDeletePreview",
    fields={
        "filter": AclFilterSerializer(),
        "count": serializers.IntegerField(),
        "fingerprint": serializers.CharField(help_text="Send it back with the delete to confirm exactly this set."),
        "results": _bindings_field("Exactly the ACLs a delete with this filter would remove now."),
    },
)
AclDeleteResponse = inline_serializer(
    "AclDeleted",
    fields={"count": serializers.IntegerField(), "deleted": _bindings_field()},
)
AclConflictResponse = inline_serializer(
    "AclDeleteConflict",
    fields={
        "detail": serializers.CharField(),
        "code": serializers.CharField(),
        "count": serializers.IntegerField(),
        "fingerprint": serializers.CharField(help_text="The fingerprint of the set as it is now."),
        "results": _bindings_field("The ACLs the filter matches now; nothing was deleted."),
    },
)

FILTER_PARAMETERS = [
    OpenApiParameter("principal", OpenApiTypes.STR, description="Exactly this principal, e.g. User:alice."),
    OpenApiParameter("host", OpenApiTypes.STR, description="Exactly this host ('*' or an IP)."),
    OpenApiParameter("resource_type", OpenApiTypes.STR, description=f"ANY or one of {', '.join(RESOURCE_TYPES)}."),
    OpenApiParameter("resource_name", OpenApiTypes.STR, description="Exactly this resource name (see pattern_type)."),
    OpenApiParameter(
        "pattern_type",
        OpenApiTypes.STR,
        description=f"One of {', '.join(FILTER_PATTERN_TYPES)}; MATCH lists every ACL that applies to resource_name.",
    ),
    OpenApiParameter("operation", OpenApiTypes.STR, description=f"ANY or one of {', '.join(OPERATIONS)}."),
    OpenApiParameter("permission", OpenApiTypes.STR, description=f"ANY or one of {', '.join(PERMISSIONS)}."),
]


def _dicts(bindings: tuple[AclBinding, ...]) -> list[dict[str, str]]:
    return [b.as_dict() for b in bindings]


def _filter_dict(acl_filter: AclFilter) -> dict[str, str]:
    return {k: v for k, v in acl_filter.as_dict().items() if v is not None}


def _body(request: Request) -> Mapping[str, Any]:
    if not isinstance(request.data, Mapping):
        raise ValidationError({"non_field_errors": ["Send a JSON object."]})
    return request.data


def _cluster(request: Request, cluster_id: int, action: Action) -> Cluster:
    # 404 when the cluster is not visible, 403 when the action is not allowed: before any input is read.
    return cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=action)


def _created(result: services.AclCreateResult) -> Response:
    body = {"created": _dicts(result.created), "existed": _dicts(result.existed)}
    return Response(body, status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class _AclCreateApi(APIView):
    """Answers a partly refused create with 400 and the broker's answer for each binding."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, services.AclCreateFailed):
            body = {
                "detail": exc.message,
                "code": exc.code,
                "errors": {"non_field_errors": [exc.message]},
                "results": [{**r.binding.as_dict(), "created": r.ok, "error": r.error} for r in exc.results],
            }
            return Response(body, status=status.HTTP_400_BAD_REQUEST)
        return super().handle_exception(exc)


# -- views ----------------------------------------------------------------------------------------


class AclCollectionApi(_AclCreateApi):
    """GET lists the cluster's ACLs (filtered); POST creates one ACL."""

    @extend_schema(operation_id="acls_list", parameters=FILTER_PARAMETERS, responses={200: AclListResponse})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id, Action.ACL_VIEW)
        listing = selectors.acl_list(user=request.user, cluster=cluster, filters=request.query_params)
        return Response(
            {
                "authorizer": listing.authorizer,
                "detail": listing.error or f"{listing.total} ACL(s) match.",
                "count": listing.total,
                "by_resource_type": listing.by_resource_type,
                "by_permission": listing.by_permission,
                "filter": _filter_dict(listing.acl_filter),
                "results": _dicts(listing.bindings),
            }
        )

    @extend_schema(
        operation_id="acls_create",
        request=AclBindingSerializer,
        responses={201: AclCreateResponse, 200: AclCreateResponse},
        description="Create one ACL (200 with it under `existed` when it was there already). Bad input is a 400 "
        "naming the field; every attempt, refused ones included, is audited.",
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
        return _created(services.acl_create(user=request.user, cluster=cluster, data=_body(request)))


class AclWizardApi(_AclCreateApi):
    """Create the ACLs a typical client needs, from a preset."""

    @extend_schema(
        operation_id="acls_wizard",
        request=AclWizardSerializer,
        responses={201: AclCreateResponse, 200: AclCreateResponse},
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
        return _created(services.acl_wizard_apply(user=request.user, cluster=cluster, data=_body(request)))


class AclDeletePreviewApi(APIView):
    """Exactly which ACLs a delete with this filter would remove, and the fingerprint to confirm it with."""

    @extend_schema(operation_id="acls_delete_preview", request=AclFilterSerializer, responses={200: AclPreviewResponse})
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id, Action.ACL_VIEW)
        preview = selectors.acl_delete_preview(user=request.user, cluster=cluster, filters=_body(request))
        return Response(
            {
                "filter": _filter_dict(preview.acl_filter),
                "count": preview.total,
                "fingerprint": preview.fingerprint,
                "results": _dicts(preview.bindings),
            }
        )


class AclDeleteApi(APIView):
    """Delete the ACLs a filter matches, confirmed with the fingerprint of its preview."""

    @extend_schema(
        operation_id="acls_delete",
        request=AclDeleteSerializer,
        responses={200: AclDeleteResponse, 409: AclConflictResponse},
        description="Deletes exactly the previewed ACLs. 409 (nothing deleted, the current set in the body) when "
        "the filter no longer matches the previewed set; 400 when it matches no ACL or the fingerprint is missing.",
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = _cluster(request, cluster_id, Action.ACL_EDIT)
        body = _body(request)
        try:
            result = services.acl_delete(
                user=request.user, cluster=cluster, filters=body, fingerprint=str(body.get("fingerprint") or "")
            )
        except services.AclsChanged as exc:
            conflict = {
                "detail": str(exc),
                "code": "acls_changed",
                "count": exc.preview.total,
                "fingerprint": exc.preview.fingerprint,
                "results": _dicts(exc.preview.bindings),
            }
            return Response(conflict, status=status.HTTP_409_CONFLICT)
        return Response({"count": len(result.deleted), "deleted": _dicts(result.deleted)})
