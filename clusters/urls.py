from django.urls import path

from clusters import views

app_name = "clusters"

urlpatterns = [
    path("", views.cluster_list, name="list"),
    path("new/", views.cluster_create, name="create"),
    path("test-connection/", views.cluster_test_connection, name="test-connection-new"),
    path("<int:pk>/", views.cluster_detail, name="detail"),
    path("<int:pk>/edit/", views.cluster_edit, name="edit"),
    path("<int:pk>/delete/", views.cluster_delete, name="delete"),
    path("<int:pk>/test-connection/", views.cluster_test_connection, name="test-connection"),
]
