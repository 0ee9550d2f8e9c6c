"""REST API for SCRAM users: thin, the same services and selectors as the pages.

Permission is checked before the body is even read, so a refused caller gets 403
whatever it sends. The request serializer documents the body for the OpenAPI schema;
the rules are applied once, by the service (which audits refused input too), so bad
input is a 400 naming the field: {"detail", "errors": {field: [reason]}}. The password
is write-only: no response carries it."""

from __future__ import annotations

from typing import Any

from django.views.decorators.debug import sensitive_variables
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from clusters.gateway.scram import MAX_ITERATIONS, MIN_ITERATIONS, ScramCredentialInfo, ScramUser
from scram import rules, selectors, services


class ScramCredentialSetSerializer(serializers.Serializer[Any]):
    user = serializers.CharField(
        max_length=rules.NAME_MAX, help_text=f"The SCRAM user name ({rules.NAME_CHARACTERS}); no 'User:' prefix."
    )
    mechanism = serializers.ChoiceField(
        choices=rules.MECHANISM_CHOICES, required=False, default=rules.DEFAULT_MECHANISM
    )
    password = serializers.CharField(
        write_only=True,
        min_length=rules.PASSWORD_MIN,
        max_length=rules.PASSWORD_MAX,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text=(
            f"At least {rules.PASSWORD_MIN} characters and {rules.PASSWORD_MIN_DISTINCT} different ones, not "
            "containing the user name, not a common password. Never returned, logged or audited."
        ),
    )
    iterations = serializers.IntegerField(
        min_value=MIN_ITERATIONS, max_value=MAX_ITERATIONS, required=False, default=rules.DEFAULT_ITERATIONS
    )


_CREDENTIAL_FIELDS: dict[str, Any] = {
    "mechanism": serializers.ChoiceField(choices=rules.MECHANISM_CHOICES),
    "iterations": serializers.IntegerField(),
}
_CredentialSchema = inline_serializer("ScramCredential", fields=_CREDENTIAL_FIELDS)


def _credentials_schema() -> Any:
    # One shared component: a new inline serializer per use makes duplicate schema names.
    return _CredentialSchema.__class__(many=True)


UserResponse = inline_serializer(
    "ScramUser", fields={"user": serializers.CharField(), "credentials": _credentials_schema()}
)
SetResponse = inline_serializer(
    "ScramCredentialSet",
    fields={
        "user": serializers.CharField(),
        "mechanism": serializers.ChoiceField(choices=rules.MECHANISM_CHOICES),
        "iterations": serializers.IntegerField(),
        "created": serializers.BooleanField(help_text="False: the password of an existing credential was changed."),
    },
)
DeleteResponse = inline_serializer(
    "ScramCredentialsDeleted",
    fields={
        "user": serializers.CharField(),
        "deleted": _credentials_schema(),
        "remaining": _credentials_schema(),
    },
)


def _credentials(credentials: tuple[ScramCredentialInfo, ...]) -> list[dict[str, Any]]:
    return [c.as_dict() for c in credentials]


def _user_body(found: ScramUser) -> dict[str, Any]:
    return {"user": found.user, "credentials": _credentials(found.credentials)}


def _body(request: Request) -> dict[str, Any]:
    # A JSON object or a form post (QueryDict is a dict); anything else carries no fields.
    return request.data if isinstance(request.data, dict) else {}


class ScramUserCollectionApi(APIView):
    """GET lists the users with SCRAM credentials; POST creates a credential or changes its password."""

    @extend_schema(operation_id="scram_users_list", responses={200: UserResponse.__class__(many=True)})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_VIEW)
        users = selectors.scram_user_list(user=request.user, cluster=cluster)
        return Response([_user_body(u) for u in users])

    @extend_schema(
        operation_id="scram_users_set_password",
        request=ScramCredentialSetSerializer,
        responses={201: SetResponse, 200: SetResponse},
    )
    @sensitive_variables("body")  # error reports never show the password it holds
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_EDIT)
        body = _body(request)
        result = services.scram_credential_set(
            user=request.user,
            cluster=cluster,
            name=body.get("user"),
            mechanism=body.get("mechanism", rules.DEFAULT_MECHANISM),
            password=body.get("password"),
            iterations=body.get("iterations"),
        )
        return Response(result.as_dict(), status=status.HTTP_201_CREATED if result.created else status.HTTP_200_OK)


class ScramUserDetailApi(APIView):
    """One user's SCRAM credentials; DELETE deletes one mechanism's credential or all of them."""

    @extend_schema(operation_id="scram_users_detail", responses={200: UserResponse})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_VIEW)
        return Response(_user_body(selectors.scram_user_get(user=request.user, cluster=cluster, name=name)))

    @extend_schema(
        operation_id="scram_users_delete",
        parameters=[
            OpenApiParameter(
                "confirm", OpenApiTypes.STR, required=True, description="The user name, repeated exactly."
            ),
            OpenApiParameter(
                "mechanism",
                OpenApiTypes.STR,
                enum=list(rules.MECHANISM_CHOICES),
                description="Delete only this credential; without it every credential of the user is deleted.",
            ),
        ],
        request=None,
        responses={200: DeleteResponse},
    )
    def delete(self, request: Request, cluster_id: int, name: str) -> Response:
        cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.SCRAM_EDIT)
        body = _body(request)
        params = request.query_params
        result = services.scram_credential_delete(
            user=request.user,
            cluster=cluster,
            name=name,
            confirm=params.get("confirm", body.get("confirm", "")),
            mechanism=params.get("mechanism", body.get("mechanism")),
        )
        return Response(
            {"user": result.user, "deleted": _credentials(result.deleted), "remaining": _credentials(result.remaining)}
        )
