"""Pages under /audit/."""

from django.urls import path

from access import views_audit

app_name = "audit"
urlpatterns = [
    path("", views_audit.audit_list, name="list"),
    path("export.csv", views_audit.audit_export, name="export"),
]
