from django.urls import URLPattern

app_name = "scram"
urlpatterns: list[URLPattern] = []
