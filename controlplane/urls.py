from django.urls import include, path, register_converter
from django.views.generic import RedirectView
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerView
from rest_framework.routers import DefaultRouter

from clusters.api import ClusterViewSet
from consumer_groups.names import GroupIdConverter
from topics.names import TopicNameConverter

# <topic:name> in every URL module: Kafka's legal topic-name characters only.
register_converter(TopicNameConverter, "topic")
register_converter(GroupIdConverter, "group")

router = DefaultRouter()
router.register("clusters", ClusterViewSet, basename="cluster")

urlpatterns = [
    path("", RedirectView.as_view(pattern_name="clusters:list", permanent=False)),
    path("", include("access.urls_login")),
    path("clusters/", include("clusters.urls")),
    path("clusters/<int:cluster_id>/topics/", include("topics.urls")),
    path("clusters/<int:cluster_id>/groups/", include("consumer_groups.urls")),
    path("clusters/<int:cluster_id>/", include("clusters.urls_brokers")),
    path("api/v1/clusters/<int:cluster_id>/", include("topics.api_urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("consumer_groups.api_urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("monitoring.api_urls")),
    path("clusters/<int:cluster_id>/acls/", include("acls.urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("acls.api_urls")),
    path("clusters/<int:cluster_id>/scram-users/", include("scram.urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("scram.api_urls")),
    path("clusters/<int:cluster_id>/connect/", include("connectors.urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("connectors.api_urls")),
    path("clusters/<int:cluster_id>/schemas/", include("schemas.urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("schemas.api_urls")),
    path("clusters/<int:cluster_id>/access/", include("access.urls_cluster_roles")),
    path("access/", include("access.urls_roles")),
    path("api/v1/", include("access.api_urls_roles")),
    path("account/tokens/", include("access.urls_tokens")),
    path("api/v1/tokens/", include("access.api_urls_tokens")),
    path("audit/", include("access.urls_audit")),
    path("api/v1/audit/", include("access.api_urls_audit")),
    path("boards/", include("boards.urls")),
    path("api/v1/boards/", include("boards.api_urls")),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
