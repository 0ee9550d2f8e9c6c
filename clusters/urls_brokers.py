"""Cluster overview, brokers and broker configs."""

urlpatterns: list = []
api_urlpatterns: list = []
