"""Cookies over HTTPS are always Secure, whatever SECURE_COOKIES says."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse


class SecureCookiesOverHttpsMiddleware:
    """Mark every cookie `Secure` on a response to an HTTPS request (request.is_secure(), which
    honours SECURE_PROXY_SSL_HEADER), so a TLS deployment that forgot SECURE_COOKIES never lets
    the browser send its session or CSRF cookie over plain HTTP later.

    Sits above the session and CSRF middleware so it sees the cookies they set."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if request.is_secure():
            for morsel in response.cookies.values():
                morsel["secure"] = True
        return response
