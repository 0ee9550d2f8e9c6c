"""Cluster overview, brokers and broker configs.

Pages are included under /clusters/<cluster_id>/ (namespace "brokers");
`api_urlpatterns` under /api/v1/clusters/<cluster_id>/ (no namespace)."""

from django.urls import URLPattern, path

from clusters import api_brokers, views_brokers

app_name = "brokers"

urlpatterns: list[URLPattern] = [
    path("brokers/", views_brokers.cluster_overview, name="overview"),
    path("brokers/<int:broker_id>/configs/", views_brokers.broker_configs, name="configs"),
    path("brokers/<int:broker_id>/configs/edit/", views_brokers.broker_configs_edit, name="config-edit"),
    path("brokers/default/configs/", views_brokers.broker_configs, name="default-configs"),
    path("brokers/default/configs/edit/", views_brokers.broker_configs_edit, name="default-config-edit"),
]

api_urlpatterns: list[URLPattern] = [
    path("brokers/", api_brokers.ClusterOverviewApi.as_view(), name="api-broker-overview"),
    path("brokers/<int:broker_id>/configs/", api_brokers.BrokerConfigsApi.as_view(), name="api-broker-configs"),
    path("brokers/default/configs/", api_brokers.BrokerDefaultConfigsApi.as_view(), name="api-broker-default-configs"),
]
