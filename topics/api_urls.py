"""REST endpoints under /api/v1/clusters/<cluster_id>/ for topics and brokers."""

from django.urls import include, path, register_converter

from clusters import urls_brokers
from topics import api, urls_manage, urls_messages
from topics.names import TopicNameConverter

register_converter(TopicNameConverter, "topic")

urlpatterns = [
    path("topics/", api.TopicListApi.as_view(), name="api-topic-list"),
    path("topics/refresh/", api.TopicListRefreshApi.as_view(), name="api-topic-refresh"),
    path("", include(urls_manage.api_urlpatterns)),
    path("", include(urls_messages.api_urlpatterns)),
    path("", include(urls_brokers.api_urlpatterns)),
]
