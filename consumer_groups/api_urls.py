"""REST endpoints under /api/v1/clusters/<cluster_id>/groups/."""

from django.urls import include, path

from consumer_groups import api, urls_offsets

urlpatterns = [
    path("groups/", api.GroupListApi.as_view(), name="api-group-list"),
    path("", include(urls_offsets.api_urlpatterns)),
    path("groups/<group:group_id>/", api.GroupDetailApi.as_view(), name="api-group-detail"),
]
