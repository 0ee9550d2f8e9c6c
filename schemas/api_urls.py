"""REST endpoints under /api/v1/clusters/<cluster_id>/schemas/ (schema registry)."""

from django.urls import path

from schemas import api

urlpatterns = [
    path("schemas/subjects/", api.SubjectListApi.as_view(), name="api-schemas-subjects"),
    path("schemas/compatibility/", api.GlobalCompatibilityApi.as_view(), name="api-schemas-compatibility"),
    path("schemas/subjects/<str:name>/", api.SubjectApi.as_view(), name="api-schemas-subject"),
    path("schemas/subjects/<str:name>/versions/", api.VersionsApi.as_view(), name="api-schemas-versions"),
    path("schemas/subjects/<str:name>/version/", api.VersionApi.as_view(), name="api-schemas-version"),
    path("schemas/subjects/<str:name>/diff/", api.DiffApi.as_view(), name="api-schemas-diff"),
    path(
        "schemas/subjects/<str:name>/compatibility/",
        api.SubjectCompatibilityApi.as_view(),
        name="api-schemas-subject-compatibility",
    ),
]
