"""Offset reset, group delete and group-offset delete (pages and API)."""

urlpatterns: list = []
api_urlpatterns: list = []
