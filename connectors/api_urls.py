"""Kafka Connect REST endpoints under /api/v1/clusters/<cluster_id>/connect/."""

from django.urls import path

from connectors import api

urlpatterns = [
    path("connect/", api.ConnectOverviewApi.as_view(), name="api-connect-overview"),
    path("connect/plugins/", api.ConnectPluginsApi.as_view(), name="api-connect-plugins"),
    path("connect/connectors/", api.ConnectorListApi.as_view(), name="api-connector-list"),
    path("connect/connectors/<str:name>/", api.ConnectorDetailApi.as_view(), name="api-connector-detail"),
    path("connect/connectors/<str:name>/status/", api.ConnectorStatusApi.as_view(), name="api-connector-status"),
    path("connect/connectors/<str:name>/config/", api.ConnectorConfigApi.as_view(), name="api-connector-config"),
    path("connect/connectors/<str:name>/pause/", api.ConnectorPauseApi.as_view(), name="api-connector-pause"),
    path("connect/connectors/<str:name>/resume/", api.ConnectorResumeApi.as_view(), name="api-connector-resume"),
    path("connect/connectors/<str:name>/stop/", api.ConnectorStopApi.as_view(), name="api-connector-stop"),
    path("connect/connectors/<str:name>/restart/", api.ConnectorRestartApi.as_view(), name="api-connector-restart"),
    path(
        "connect/connectors/<str:name>/tasks/restart/",
        api.ConnectorTaskRestartApi.as_view(),
        name="api-connector-task-restart",
    ),
    path("connect/connectors/<str:name>/offsets/", api.ConnectorOffsetsApi.as_view(), name="api-connector-offsets"),
]
