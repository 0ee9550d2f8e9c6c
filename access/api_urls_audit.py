"""REST endpoints under /api/v1/audit/."""

from django.urls import path

from access import api_audit

urlpatterns = [
    path("", api_audit.AuditListApi.as_view(), name="audit-list"),
    path("export.csv", api_audit.AuditExportApi.as_view(), name="audit-export"),
]
