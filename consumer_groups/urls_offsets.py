"""Offset reset, group delete and group-offset delete (pages and API).

`urlpatterns` are pages under /clusters/<cluster_id>/groups/ (namespace
"consumer_groups"); `api_urlpatterns` the API under /api/v1/clusters/<cluster_id>/."""

from django.urls import path

from consumer_groups import api_offsets, views_offsets

urlpatterns = [
    path("<group:group_id>/reset/", views_offsets.group_offsets_reset, name="reset"),
    path("<group:group_id>/delete/", views_offsets.group_delete, name="delete"),
    path("<group:group_id>/delete-offsets/", views_offsets.group_offsets_delete, name="delete-offsets"),
]

api_urlpatterns = [
    path(
        "groups/<group:group_id>/offsets/reset/",
        api_offsets.GroupOffsetsResetApi.as_view(),
        name="api-group-offsets-reset",
    ),
    path(
        "groups/<group:group_id>/offsets/delete/",
        api_offsets.GroupOffsetsDeleteApi.as_view(),
        name="api-group-offsets-delete",
    ),
    path("groups/<group:group_id>/delete/", api_offsets.GroupDeleteApi.as_view(), name="api-group-delete"),
]
