"""Every request carries an id (X-Request-ID) that reaches the log and the audit trail."""

from __future__ import annotations

import contextvars
import logging
import re
import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

_current: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")
_client_ip: contextvars.ContextVar[str] = contextvars.ContextVar("client_ip", default="")
_VALID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")


def current_request_id() -> str:
    """The id of the request being served in this context, or "-" outside one."""
    return _current.get()


def client_ip(request: HttpRequest) -> str:
    """The client's address: REMOTE_ADDR, or behind our TLS proxy (BEHIND_TLS_PROXY) the address
    that proxy appended last to X-Forwarded-For — the only entry a client cannot forge."""
    from django.conf import settings

    remote = str(request.META.get("REMOTE_ADDR", ""))
    if getattr(settings, "SECURE_PROXY_SSL_HEADER", None):
        forwarded = [a.strip() for a in str(request.META.get("HTTP_X_FORWARDED_FOR", "")).split(",") if a.strip()]
        if forwarded:
            return forwarded[-1][:45]
    return remote


def current_client_ip() -> str:
    """The address of the client being served, or "" outside a request."""
    return _client_ip.get()


class RequestIdMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        incoming = request.headers.get("X-Request-ID", "")
        # Accept a caller's id only when it is short and plain, so logs stay parseable.
        request_id = incoming if _VALID.match(incoming) else uuid.uuid4().hex
        request.request_id = request_id  # type: ignore[attr-defined]
        token = _current.set(request_id)
        ip_token = _client_ip.set(client_ip(request))
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
            _client_ip.reset(ip_token)
        response["X-Request-ID"] = request_id
        return response


class RequestIdLogFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True
