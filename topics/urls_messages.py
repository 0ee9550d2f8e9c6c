"""Message browse, produce and live tail."""

urlpatterns: list = []
api_urlpatterns: list = []
