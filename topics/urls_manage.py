"""Topic operations (create, detail, configs, partitions, records, delete)."""

urlpatterns: list = []
api_urlpatterns: list = []
