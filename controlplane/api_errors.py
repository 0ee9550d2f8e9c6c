"""One shape for every API error: {"detail": ..., "errors": {field: [reasons]}}."""

from __future__ import annotations

import logging
from typing import Any

from django.core.exceptions import ValidationError as DjangoValidationError
from rest_framework import status
from rest_framework.exceptions import ValidationError
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from clusters.gateway.errors import GatewayError, KafkaNotFound, KafkaRejected, KafkaTimeout

log = logging.getLogger(__name__)


def exception_handler(exc: Exception, context: dict[str, Any]) -> Response | None:
    if isinstance(exc, KafkaRejected):
        log.info("Kafka rejected the request: %s", exc)
        body: dict[str, Any] = {"detail": str(exc), "code": exc.code}
        body["errors"] = {exc.field or "non_field_errors": [str(exc)]}
        return Response(body, status=status.HTTP_400_BAD_REQUEST)
    if isinstance(exc, KafkaNotFound):
        return Response({"detail": str(exc), "code": exc.code}, status=status.HTTP_404_NOT_FOUND)
    if isinstance(exc, GatewayError):
        log.warning("Kafka request failed: %s", exc)
        return Response(
            {"detail": str(exc), "code": exc.code},
            status=status.HTTP_504_GATEWAY_TIMEOUT if isinstance(exc, KafkaTimeout) else status.HTTP_502_BAD_GATEWAY,
        )
    if isinstance(exc, DjangoValidationError):
        # Services validate through the model; give the API the same field messages.
        exc = ValidationError(
            detail=exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    data = response.data
    if isinstance(data, dict) and "detail" not in data:
        # Field validation errors: keep them by field and add a one-line summary.
        fields = {k: v if isinstance(v, list) else [v] for k, v in data.items()}
        summary = "; ".join(f"{k}: {' '.join(str(x) for x in v)}" for k, v in fields.items())
        response.data = {"detail": f"Invalid input. {summary}", "errors": fields}
        log.info("API input rejected: %s", summary)
    elif isinstance(data, list):
        response.data = {"detail": " ".join(str(x) for x in data), "errors": {"non_field_errors": data}}
    return response
