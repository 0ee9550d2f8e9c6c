"""Pages under /clusters/<cluster_id>/access/: the cluster's grants (superusers)."""

from django.urls import path

from access import views_roles as views

app_name = "cluster_roles"

urlpatterns = [
    path("", views.cluster_grant_list, name="list"),
    path("<int:grant_id>/edit/", views.cluster_grant_edit, name="edit"),
    path("<int:grant_id>/row/", views.cluster_grant_row, name="row"),
    path("<int:grant_id>/delete/", views.cluster_grant_delete, name="delete"),
]
