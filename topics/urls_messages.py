"""Message browse, produce and live tail.

Pages are included in the `topics` namespace under /clusters/<cluster_id>/topics/;
the API under /api/v1/clusters/<cluster_id>/. The tail websocket is in monitoring/routing.py."""

from django.urls import URLPattern, path

from topics import api_messages, views_messages

urlpatterns: list[URLPattern] = [
    path("<topic:name>/messages/", views_messages.message_browse, name="messages"),
    path("<topic:name>/produce/", views_messages.message_produce, name="produce"),
]

api_urlpatterns: list[URLPattern] = [
    path("topics/<topic:name>/messages/", api_messages.MessageListApi.as_view(), name="api-topic-messages"),
    path(
        "topics/<topic:name>/messages/download/",
        api_messages.MessageDownloadApi.as_view(),
        name="api-topic-messages-download",
    ),
    path(
        "topics/<topic:name>/messages/<int:partition>/<int:offset>/",
        api_messages.MessageDetailApi.as_view(),
        name="api-topic-message",
    ),
]
