"""REST endpoints under /api/v1/clusters/<cluster_id>/ for the metric history."""

from django.urls import path

from monitoring import api

urlpatterns = [
    path("metrics/", api.MetricsCatalogApi.as_view(), name="api-metrics-catalog"),
    path("metrics/history/", api.SeriesApi.as_view(), name="api-metrics-history"),
    path("metrics/latest/", api.MetricsLatestApi.as_view(), name="api-metrics-latest"),
    path("metrics/top/", api.MetricsTopApi.as_view(), name="api-metrics-top"),
    path("polls/", api.PollsApi.as_view(), name="api-cluster-polls"),
    path("dashboard/", api.DashboardApi.as_view(), name="api-cluster-dashboard"),
]
