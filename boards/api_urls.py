"""REST endpoints under /api/v1/boards/."""

from django.urls import path

from boards import api

urlpatterns = [
    path("", api.BoardsApi.as_view(), name="api-boards"),
    path("<slug:token>/", api.BoardApi.as_view(), name="api-board"),
    path("<slug:token>/copy/", api.BoardCopyApi.as_view(), name="api-board-copy"),
    path("<slug:token>/items/", api.BoardItemsApi.as_view(), name="api-board-items"),
    path("<slug:token>/items/<int:item_id>/", api.BoardItemApi.as_view(), name="api-board-item"),
    path("<slug:token>/items/<int:item_id>/move/", api.BoardItemMoveApi.as_view(), name="api-board-item-move"),
]
