from django.urls import path, re_path

from monitoring.consumers import LiveConsumer
from topics.names import TopicNameConverter
from topics.tail import TailConsumer

websocket_urlpatterns = [
    path("ws/live/", LiveConsumer.as_asgi()),
    re_path(
        rf"^ws/clusters/(?P<cluster_id>[0-9]+)/topics/(?P<name>{TopicNameConverter.regex})/tail/$",
        TailConsumer.as_asgi(),
    ),
]
