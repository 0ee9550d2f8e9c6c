from django.contrib.auth import views as auth_views
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
    path("login/", auth_views.LoginView.as_view(redirect_authenticated_user=True), name="login"),
    path("logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("clusters/", include("clusters.urls")),
    path("clusters/<int:cluster_id>/topics/", include("topics.urls")),
    path("clusters/<int:cluster_id>/groups/", include("consumer_groups.urls")),
    path("clusters/<int:cluster_id>/", include("clusters.urls_brokers")),
    path("api/v1/clusters/<int:cluster_id>/", include("topics.api_urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("consumer_groups.api_urls")),
    path("api/v1/clusters/<int:cluster_id>/", include("monitoring.api_urls")),
    path("boards/", include("boards.urls")),
    path("api/v1/boards/", include("boards.api_urls")),
    path("api/v1/", include(router.urls)),
    path("api/v1/schema/", SpectacularAPIView.as_view(), name="api-schema"),
    path("api/v1/docs/", SpectacularSwaggerView.as_view(url_name="api-schema"), name="api-docs"),
]
