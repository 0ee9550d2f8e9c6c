"""SCRAM user pages under /clusters/<cluster_id>/scram-users/.

User names may hold '/' (made by other tools), so `<path:name>` takes them whole; "~"
cannot start a name Signalbox creates, so "~new/" never shadows a user."""

from django.urls import path

from scram import views

app_name = "scram"
urlpatterns = [
    path("", views.scram_user_list, name="list"),
    path("~new/", views.scram_credential_create, name="create"),
    path("<path:name>/password/", views.scram_credential_password, name="password"),
    path("<path:name>/delete/", views.scram_credential_delete, name="delete"),
]
