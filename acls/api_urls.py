"""ACL endpoints under /api/v1/clusters/<cluster_id>/."""

from django.urls import path

from acls import api

urlpatterns = [
    path("acls/", api.AclCollectionApi.as_view(), name="acl-list"),
    path("acls/wizard/", api.AclWizardApi.as_view(), name="acl-wizard"),
    path("acls/delete-preview/", api.AclDeletePreviewApi.as_view(), name="acl-delete-preview"),
    path("acls/delete/", api.AclDeleteApi.as_view(), name="acl-delete"),
]
