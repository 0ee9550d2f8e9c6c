"""Kafka Connect pages under /clusters/<cluster_id>/connect/."""

from django.urls import path

from connectors import views

app_name = "connectors"
urlpatterns = [
    path("", views.connector_list, name="list"),
    # "~" cannot start a connector path segment we route, so "~new" never shadows a connector.
    path("~new/", views.connector_create, name="create"),
    path("connectors/<str:name>/", views.connector_detail, name="detail"),
    path("connectors/<str:name>/status/", views.connector_status, name="status"),
    path("connectors/<str:name>/edit/", views.connector_edit, name="edit"),
    path("connectors/<str:name>/operate/", views.connector_operate, name="operate"),
    path("connectors/<str:name>/offsets/reset/", views.connector_offsets_reset, name="offsets-reset"),
    path("connectors/<str:name>/delete/", views.connector_delete, name="delete"),
]
