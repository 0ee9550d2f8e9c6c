from django.apps import AppConfig


class ConsumerGroupsConfig(AppConfig):
    name = "consumer_groups"
    default_auto_field = "django.db.models.BigAutoField"
