from django.apps import AppConfig


class AclsConfig(AppConfig):
    name = "acls"
    default_auto_field = "django.db.models.BigAutoField"
