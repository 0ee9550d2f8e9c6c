from django.urls import URLPattern

app_name = "acls"
urlpatterns: list[URLPattern] = []
