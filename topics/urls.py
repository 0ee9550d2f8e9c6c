"""Pages under /clusters/<cluster_id>/topics/ (namespace "topics")."""

from django.urls import include, path

from topics import views

app_name = "topics"

urlpatterns = [
    path("", views.topic_list, name="list"),
    path("~refresh/", views.topic_list_refresh, name="refresh"),
    path("", include("topics.urls_manage")),
    path("", include("topics.urls_messages")),
]
