"""Pages under /clusters/<cluster_id>/groups/ (namespace "consumer_groups")."""

from django.urls import include, path

from consumer_groups import views

app_name = "consumer_groups"

urlpatterns = [
    path("", views.group_list, name="list"),
    path("", include("consumer_groups.urls_offsets")),
    path("<group:group_id>/", views.group_detail, name="detail"),
]
