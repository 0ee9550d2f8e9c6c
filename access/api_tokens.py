"""REST API for API tokens: thin; the same services as the Tokens page (access.tokens)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import GenericAPIView
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import tokens
from access.models import ApiToken


class BearerTokenScheme(OpenApiAuthenticationExtension):
    """Documents `Authorization: Bearer sbx_…` in the OpenAPI schema (clients and schemathesis read it)."""

    target_class = "access.authentication.BearerTokenAuthentication"
    name = "bearerAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, str]:
        return {
            "type": "http",
            "scheme": "bearer",
            "description": "An API token from /account/tokens/ (or POST /api/v1/tokens/ with a login session).",
        }


class TokenSerializer(serializers.ModelSerializer[ApiToken]):
    """A token as anyone may see it afterwards: never the secret, never the digest."""

    user = serializers.CharField(source="user.get_username", read_only=True, help_text="The owner's username.")
    status = serializers.SerializerMethodField()

    class Meta:
        model = ApiToken
        fields = [
            "id",
            "user",
            "name",
            "prefix",
            "scope",
            "status",
            "created_at",
            "expires_at",
            "revoked_at",
            "last_used_at",
            "last_used_ip",
        ]
        read_only_fields = fields

    def get_status(self, obj: ApiToken) -> str:
        """active, expired or revoked."""
        return tokens.token_status(obj)


class TokenCreateSerializer(serializers.Serializer[Any]):
    # Only the types here; the rules (length, range, unique name) live once, in tokens.token_create.
    name = serializers.CharField(allow_blank=True, help_text="What uses the token, e.g. 'ci-deploy'.")
    scope = serializers.ChoiceField(
        choices=ApiToken.Scope.choices,
        help_text="read: what a viewer may do; write: also changes, within the owner's roles.",
    )
    expires_in_days = serializers.IntegerField(
        help_text=f"Lifetime in whole days, 1 to {tokens.MAX_LIFETIME_DAYS} (e.g. 30, 90, 365)."
    )


class TokenCreatedSerializer(TokenSerializer):
    token = serializers.CharField(read_only=True, help_text="The secret, shown in this response only.")

    class Meta(TokenSerializer.Meta):
        fields = [*TokenSerializer.Meta.fields, "token"]
        read_only_fields = fields


class TokenListApi(GenericAPIView[ApiToken]):
    """Your API tokens (a superuser may ask for another user's or everyone's); POST creates one."""

    serializer_class = TokenSerializer
    pagination_class = LimitOffsetPagination
    queryset = ApiToken.objects.none()

    @extend_schema(
        operation_id="tokens_list",
        parameters=[
            OpenApiParameter("user", OpenApiTypes.STR, description="Superusers: this user's tokens (username)."),
            OpenApiParameter("all", OpenApiTypes.BOOL, description="Superusers: everyone's tokens."),
        ],
        responses={200: TokenSerializer(many=True)},
    )
    def get(self, request: Request) -> Response:
        everyone = str(request.query_params.get("all") or "").lower() in ("1", "true", "yes", "on")
        qs = tokens.token_list(user=request.user, username=request.query_params.get("user") or None, everyone=everyone)
        page = self.paginate_queryset(qs)
        return self.get_paginated_response(TokenSerializer(page, many=True).data)

    @extend_schema(
        operation_id="tokens_create",
        request=TokenCreateSerializer,
        responses={201: TokenCreatedSerializer},
        description="Create a token for yourself. The secret is in the `token` field of this response and "
        "nowhere else, ever. Needs a login session: a request authenticated by a token is refused (403).",
    )
    def post(self, request: Request) -> Response:
        # Refuse before reading the body, so a token gets 403 whatever it sends.
        tokens.token_create_check(user=request.user)
        data = TokenCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        token, raw = tokens.token_create(user=request.user, **data.validated_data)
        body = TokenSerializer(token).data
        body["token"] = raw
        response = Response(body, status=status.HTTP_201_CREATED)
        response["Cache-Control"] = "no-store"
        return response


class TokenDetailApi(APIView):
    """One token (yours, or anyone's for a superuser); DELETE revokes it (the row stays, revoked)."""

    @extend_schema(operation_id="tokens_retrieve", responses={200: TokenSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(TokenSerializer(tokens.token_get(user=request.user, pk=pk)).data)

    @extend_schema(operation_id="tokens_delete", request=None, responses={200: TokenSerializer})
    def delete(self, request: Request, pk: int) -> Response:
        token = tokens.token_revoke(user=request.user, token=tokens.token_get(user=request.user, pk=pk))
        return Response(TokenSerializer(token).data)


class TokenRevokeApi(APIView):
    """Revoke a token; it stops working at once. Revoking a revoked token changes nothing."""

    @extend_schema(operation_id="tokens_revoke", request=None, responses={200: TokenSerializer})
    def post(self, request: Request, pk: int) -> Response:
        token = tokens.token_revoke(user=request.user, token=tokens.token_get(user=request.user, pk=pk))
        return Response(TokenSerializer(token).data)
