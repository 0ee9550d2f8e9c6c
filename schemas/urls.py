"""Pages under /clusters/<cluster_id>/schemas/ (namespace "schemas")."""

from django.urls import path

from schemas import views

app_name = "schemas"

urlpatterns = [
    path("", views.subject_list, name="list"),
    # "~" starts no subject we link to, so these never shadow a subject.
    path("~compatibility/", views.compatibility, name="compatibility"),
    path("~register/", views.schema_register, name="register-new"),
    path("<str:name>/", views.subject_detail, name="detail"),
    path("<str:name>/register/", views.schema_register, name="register"),
    path("<str:name>/compatibility/", views.compatibility, name="subject-compatibility"),
    path("<str:name>/diff/", views.schema_diff, name="diff"),
    path("<str:name>/delete/", views.delete, name="delete"),
]
