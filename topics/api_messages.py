"""REST API for messages: browse (bounded scan with filters and a cursor), download the
result as JSON, fetch one message, produce one. The same services as the pages."""

from __future__ import annotations

import json
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access.permissions import Action
from clusters import selectors as cluster_selectors
from clusters.gateway.messages import ProducedRecord
from schemas.registry import (
    RegistryConflict,
    RegistryError,
    RegistryNotFound,
    RegistryRejected,
    RegistryTimeout,
    RegistryUnreachable,
)
from topics import messages

Payload = inline_serializer(
    "MessagePayload",
    fields={
        "format": serializers.ChoiceField(
            choices=["json", "text", "hex", "null", "registry"],
            help_text="`registry`: decoded through the schema registry; `text` is the decoded value as JSON.",
        ),
        "text": serializers.CharField(allow_null=True, help_text="Pretty JSON, UTF-8 text or hex bytes."),
        "size": serializers.IntegerField(help_text="Size in bytes."),
    },
)

MESSAGE_FIELDS: dict[str, serializers.Field[Any, Any, Any, Any]] = {
    "partition": serializers.IntegerField(),
    "offset": serializers.IntegerField(),
    "timestamp_ms": serializers.IntegerField(),
    "timestamp": serializers.DateTimeField(allow_null=True),
    "timestamp_type": serializers.ChoiceField(choices=["CreateTime", "LogAppendTime", "NoTimestamp"]),
    "key": Payload,
    "value": Payload,
    **{
        f"{part}_{name}": field
        for part in ("key", "value")
        for name, field in (
            (
                "schema_id",
                serializers.IntegerField(
                    allow_null=True, help_text=f"Schema id from the {part}'s registry wire-format header."
                ),
            ),
            (
                "schema_type",
                serializers.ChoiceField(choices=["AVRO", "JSON", "PROTOBUF"], allow_null=True),
            ),
            ("subject", serializers.CharField(allow_null=True, help_text="When the registry names it.")),
            (
                "decoded",
                serializers.JSONField(
                    allow_null=True,
                    help_text=f"The {part} decoded with its schema (Avro bytes as base64, decimals as strings).",
                ),
            ),
            (
                "decode_error",
                serializers.CharField(
                    allow_null=True,
                    help_text="Why it could not be decoded (unknown id, registry down, does not match its schema).",
                ),
            ),
        )
    },
    "headers": inline_serializer(
        "MessageHeader",
        fields={"key": serializers.CharField(), "value": Payload},
        many=True,
    ),
}
MessageSerializer = inline_serializer("Message", fields=MESSAGE_FIELDS)

BrowseResponse = inline_serializer(
    "MessageBrowse",
    fields={
        "topic": serializers.CharField(),
        "count": serializers.IntegerField(help_text="Messages returned."),
        "scanned": serializers.IntegerField(help_text="Messages read to find them."),
        "elapsed_ms": serializers.FloatField(),
        "stop_reason": serializers.ChoiceField(
            choices=["end", "scan_limit", "time_limit", "result_limit"],
            help_text="Why the scan stopped; anything but `end` means more can be read with `cursor`.",
        ),
        "done": serializers.BooleanField(help_text="Every partition was read up to its end offset."),
        "cursor": serializers.CharField(help_text="Pass as ?cursor= to continue where this scan stopped."),
        "partitions": inline_serializer(
            "MessageScanProgress",
            fields={
                "partition": serializers.IntegerField(),
                "start": serializers.IntegerField(),
                "next": serializers.IntegerField(),
                "end": serializers.IntegerField(),
            },
            many=True,
        ),
        "messages": inline_serializer("Message", fields=MESSAGE_FIELDS, many=True),
    },
)


class ProduceRequestSerializer(serializers.Serializer[Any]):
    """Documentation of the body; the service parses and validates it."""

    key = serializers.CharField(
        required=False, allow_null=True, allow_blank=True, trim_whitespace=False, help_text="Omit or null for no key."
    )
    key_format = serializers.ChoiceField(choices=messages.PRODUCE_FORMATS, required=False, default="text")
    value = serializers.CharField(
        required=False,
        allow_null=True,
        allow_blank=True,
        trim_whitespace=False,
        help_text="Null with a key: a tombstone.",
    )
    value_format = serializers.ChoiceField(
        choices=messages.PRODUCE_FORMATS, required=False, default="text", help_text="json is checked to parse."
    )
    headers = inline_serializer(
        "ProduceHeader",
        fields={"key": serializers.CharField(), "value": serializers.CharField(allow_null=True)},
        many=True,
        required=False,
    )
    partition = serializers.IntegerField(
        required=False, allow_null=True, help_text="Omit for the default partitioner (by key hash when keyed)."
    )
    key_subject = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Encode the key (JSON text) with this subject's latest schema, in registry wire format.",
    )
    value_subject = serializers.CharField(
        required=False,
        allow_blank=True,
        help_text="Encode the value (JSON text) with this subject's latest schema (Avro or JSON Schema), "
        "in registry wire format. Needs the cluster's schema registry URL.",
    )


ProduceResponse = inline_serializer(
    "ProducedMessage",
    fields={
        "topic": serializers.CharField(),
        "partition": serializers.IntegerField(),
        "offset": serializers.IntegerField(),
        "timestamp_ms": serializers.IntegerField(),
    },
)

BROWSE_PARAMETERS = [
    OpenApiParameter("start", OpenApiTypes.STR, enum=["earliest", "latest", "offset", "timestamp"]),
    OpenApiParameter("partition", OpenApiTypes.INT, description="One partition; omit for all."),
    OpenApiParameter("offset", OpenApiTypes.INT, description="With start=offset."),
    OpenApiParameter("timestamp", OpenApiTypes.STR, description="With start=timestamp: ms since 1970 or ISO 8601."),
    OpenApiParameter("cursor", OpenApiTypes.STR, description="`cursor` of a previous result: continue from there."),
    OpenApiParameter(
        "limit",
        OpenApiTypes.INT,
        description=f"Messages to return (start=latest: the newest N); 1 to {messages.MAX_LIMIT}.",
    ),
    OpenApiParameter("max_scan", OpenApiTypes.INT, description=f"Messages to read at most; 1 to {messages.MAX_SCAN}."),
    OpenApiParameter(
        "max_seconds", OpenApiTypes.FLOAT, description=f"Time to scan at most; up to {messages.MAX_SECONDS:g}."
    ),
    OpenApiParameter(
        "decode",
        OpenApiTypes.STR,
        enum=list(messages.DECODINGS),
        description="`auto` also decodes registry wire format when the cluster has a registry URL; "
        "`registry` decodes every key and value through it (or says why not).",
    ),
    OpenApiParameter("key", OpenApiTypes.STR, description="Key contains (or equals) this text."),
    OpenApiParameter("key_match", OpenApiTypes.STR, enum=list(messages.MATCHES)),
    OpenApiParameter("value", OpenApiTypes.STR, description="Value contains (or equals) this text."),
    OpenApiParameter("value_match", OpenApiTypes.STR, enum=list(messages.MATCHES)),
    OpenApiParameter("header", OpenApiTypes.STR, description="A header with this name must be present."),
    OpenApiParameter("header_value", OpenApiTypes.STR, description="...and its value contains (or equals) this."),
    OpenApiParameter("header_match", OpenApiTypes.STR, enum=list(messages.MATCHES)),
]


def produced_as_dict(produced: ProducedRecord) -> dict[str, Any]:
    return {
        "topic": produced.topic,
        "partition": produced.partition,
        "offset": produced.offset,
        "timestamp_ms": produced.timestamp_ms,
    }


def _browse(request: Request, cluster_id: int, name: str) -> messages.BrowseResult:
    cluster = cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=Action.MESSAGE_READ, topic=name)
    query = messages.BrowseQuery.from_params(request.query_params)
    return messages.message_browse(user=request.user, cluster=cluster, topic=name, query=query)


REGISTRY_STATUS = {
    RegistryTimeout: status.HTTP_504_GATEWAY_TIMEOUT,
    RegistryUnreachable: status.HTTP_502_BAD_GATEWAY,
    RegistryNotFound: status.HTTP_404_NOT_FOUND,
    RegistryConflict: status.HTTP_409_CONFLICT,
    RegistryRejected: status.HTTP_400_BAD_REQUEST,
}


class MessageListApi(APIView):
    """Messages of a topic: read them with a bounded scan, or produce one."""

    def handle_exception(self, exc: Exception) -> Response:
        if isinstance(exc, RegistryError):  # producing with a subject: the registry failed
            code = next((c for cls, c in REGISTRY_STATUS.items() if isinstance(exc, cls)), status.HTTP_502_BAD_GATEWAY)
            body: dict[str, Any] = {"detail": f"The schema registry could not be used: {exc}", "code": exc.code}
            if isinstance(exc, RegistryRejected):
                body["errors"] = {exc.field or "non_field_errors": [str(exc)]}
            return Response(body, status=code)
        return super().handle_exception(exc)

    @extend_schema(operation_id="topic_messages_browse", parameters=BROWSE_PARAMETERS, responses={200: BrowseResponse})
    def get(self, request: Request, cluster_id: int, name: str) -> Response:
        """Read messages with a bounded scan; filters are substring/exact matches on bytes.
        `stop_reason` other than `end` means more is there: pass `cursor` back to continue."""
        return Response(_browse(request, cluster_id, name).as_dict())

    @extend_schema(
        operation_id="topic_messages_produce",
        request=ProduceRequestSerializer,
        responses={
            201: ProduceResponse,
            400: OpenApiResponse(
                description="A field is invalid or Kafka refused it (with a subject: the value does not fit "
                "its schema, the subject does not exist, or the cluster has no schema registry URL)."
            ),
            502: OpenApiResponse(description="The schema registry could not be reached (with a subject)."),
            504: OpenApiResponse(description="The schema registry did not answer in time (with a subject)."),
        },
    )
    def post(self, request: Request, cluster_id: int, name: str) -> Response:
        """Produce one message and answer with the partition and offset it landed on."""
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.MESSAGE_PRODUCE, topic=name
        )
        if not isinstance(request.data, Mapping):
            raise ValidationError({"non_field_errors": "Send a JSON object."})
        message = messages.ProduceInput.parse(request.data)
        produced = messages.message_produce(user=request.user, cluster=cluster, topic=name, message=message)
        return Response(produced_as_dict(produced), status=status.HTTP_201_CREATED)


class MessageDownloadApi(APIView):
    """The same scan as browsing, as a JSON file to download."""

    @extend_schema(
        operation_id="topic_messages_download",
        parameters=BROWSE_PARAMETERS,
        responses={(200, "application/json"): BrowseResponse},
    )
    def get(self, request: Request, cluster_id: int, name: str) -> HttpResponse:
        result = _browse(request, cluster_id, name)
        stamp = datetime.now(tz=UTC).strftime("%Y%m%dT%H%M%SZ")
        response = HttpResponse(
            json.dumps(result.as_dict(), indent=2, ensure_ascii=False), content_type="application/json"
        )
        response["Content-Disposition"] = f'attachment; filename="{name}-messages-{stamp}.json"'
        return response


class MessageDetailApi(APIView):
    """One message by partition and offset, with headers, timestamp and its type."""

    @extend_schema(
        operation_id="topic_message_detail",
        parameters=[
            OpenApiParameter(
                "decode",
                OpenApiTypes.STR,
                enum=list(messages.DECODINGS),
                description="`auto` also decodes registry wire format when the cluster has a registry URL.",
            )
        ],
        responses={200: MessageSerializer},
    )
    def get(self, request: Request, cluster_id: int, name: str, partition: int, offset: int) -> Response:
        cluster = cluster_selectors.cluster_get(
            user=request.user, pk=cluster_id, action=Action.MESSAGE_READ, topic=name
        )
        found = messages.message_get(
            user=request.user,
            cluster=cluster,
            topic=name,
            partition=partition,
            offset=offset,
            decode=messages.BrowseQuery.from_params({"decode": request.query_params.get("decode")}).decode,
        )
        if found is None:
            raise Http404(f"Partition {partition} of topic '{name}' holds no message at offset {offset}.")
        return Response(found)
