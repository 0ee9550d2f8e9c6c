"""REST endpoints under /api/v1/clusters/<cluster_id>/ for topics and brokers."""

from django.urls import include, path

from clusters import urls_brokers
from topics import api, api_manage, urls_manage, urls_messages


class TopicCollectionApi(api.TopicListApi, api_manage.TopicCreateApi):
    """GET lists topics from the snapshot; POST creates one (or dry-runs it)."""


urlpatterns = [
    path("topics/", TopicCollectionApi.as_view(), name="api-topic-list"),
    path("refresh/", api.TopicListRefreshApi.as_view(), name="api-cluster-refresh"),
    path("", include(urls_manage.api_urlpatterns)),
    path("", include(urls_messages.api_urlpatterns)),
    path("", include(urls_brokers.api_urlpatterns)),
]
