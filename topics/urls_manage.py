"""Topic operations (create, detail, configs, partitions, records, delete).

`urlpatterns` are pages under /clusters/<cluster_id>/topics/ and `api_urlpatterns`
the API under /api/v1/clusters/<cluster_id>/; both inside the "topics" namespace."""

from django.urls import path

from topics import api_manage, views_manage

urlpatterns = [
    # "~" cannot appear in a topic name, so these never shadow a topic called "new".
    path("~new/", views_manage.topic_create, name="create"),
    path("<topic:name>/", views_manage.topic_detail, name="detail"),
    path("<topic:name>/configs/", views_manage.topic_configs, name="configs"),
    path("<topic:name>/partitions/", views_manage.topic_partitions, name="partitions"),
    path("<topic:name>/records/", views_manage.topic_records, name="records"),
    path("<topic:name>/delete/", views_manage.topic_delete, name="delete"),
]

api_urlpatterns = [
    path("topic-configs/", api_manage.TopicConfigCatalogueApi.as_view(), name="api-topic-config-catalogue"),
    path("topics/<topic:name>/", api_manage.TopicDetailApi.as_view(), name="api-topic-detail"),
    path("topics/<topic:name>/configs/", api_manage.TopicConfigsApi.as_view(), name="api-topic-configs"),
    path("topics/<topic:name>/partitions/", api_manage.TopicPartitionsApi.as_view(), name="api-topic-partitions"),
    path(
        "topics/<topic:name>/delete-records/",
        api_manage.TopicRecordsDeleteApi.as_view(),
        name="api-topic-records-delete",
    ),
    path("topics/<topic:name>/consumer-groups/", api_manage.TopicGroupsApi.as_view(), name="api-topic-groups"),
]
