from django.apps import AppConfig


class ScramConfig(AppConfig):
    name = "scram"
    default_auto_field = "django.db.models.BigAutoField"
