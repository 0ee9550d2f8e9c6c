"""SCRAM user endpoints under /api/v1/clusters/<cluster_id>/."""

from django.urls import path

from scram import api

urlpatterns = [
    path("scram-users/", api.ScramUserCollectionApi.as_view(), name="scram-user-list"),
    path("scram-users/<path:name>/", api.ScramUserDetailApi.as_view(), name="scram-user-detail"),
]
