"""Pages under /clusters/<cluster_id>/acls/ (namespace "acls")."""

from django.urls import path

from acls import views

app_name = "acls"

urlpatterns = [
    path("", views.acl_list, name="list"),
    path("new/", views.acl_create, name="create"),
    path("wizard/", views.acl_wizard, name="wizard"),
    path("delete/", views.acl_delete, name="delete"),
]
