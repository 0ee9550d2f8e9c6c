from django.urls import URLPattern

app_name = "cluster_roles"
urlpatterns: list[URLPattern] = []
