"""`Authorization: Bearer sbx_…` for the REST API, next to session logins."""

from __future__ import annotations

from typing import Any

from rest_framework import authentication, exceptions
from rest_framework.request import Request

from access.models import ApiToken
from access.tokens import TokenRejected, token_authenticate
from controlplane.request_id import client_ip


class BearerTokenAuthentication(authentication.BaseAuthentication):
    keyword = "bearer"

    def authenticate(self, request: Request) -> tuple[Any, ApiToken] | None:
        header = request.META.get("HTTP_AUTHORIZATION", "")
        scheme, _, raw = header.partition(" ")
        if scheme.lower() != self.keyword:
            return None
        raw = raw.strip()
        if not raw or " " in raw:
            raise exceptions.AuthenticationFailed("Malformed Authorization header: use 'Bearer <token>'.")
        try:
            token = token_authenticate(raw=raw, client_ip=client_ip(request) or None)
        except TokenRejected as exc:
            raise exceptions.AuthenticationFailed(f"{exc}.") from None
        user = token.user
        # check_permission and the audit trail read the token from the user of this request.
        setattr(user, "signalbox_token", token)  # noqa: B010
        return user, token

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="signalbox"'
