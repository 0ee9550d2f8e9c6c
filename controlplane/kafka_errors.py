"""Pages never answer a Kafka failure with a 500: an error page says what failed,
where, and how long we waited (the gateway's message), with the right status."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from clusters.gateway.errors import GatewayError, KafkaNotFound, KafkaRejected, KafkaTimeout

log = logging.getLogger(__name__)


class KafkaErrorPageMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, GatewayError) or request.path.startswith("/api/"):
            return None
        status = 502
        if isinstance(exception, KafkaTimeout):
            status = 504
        elif isinstance(exception, KafkaRejected):
            status = 400
        elif isinstance(exception, KafkaNotFound):
            status = 404
        log.warning("Page %s failed on Kafka: %s", request.path, exception.message)
        return render(request, "kafka_error.html", {"error": exception}, status=status)
