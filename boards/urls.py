"""Board pages under /boards/ (namespace "boards")."""

from django.urls import path

from boards import views

app_name = "boards"

urlpatterns = [
    path("", views.board_list, name="list"),
    # Share tokens are 22 characters, so this never shadows a board.
    path("pin/", views.board_pin, name="pin"),
    path("<slug:token>/", views.board_detail, name="detail"),
    path("<slug:token>/rename/", views.board_rename, name="rename"),
    path("<slug:token>/delete/", views.board_delete, name="delete"),
    path("<slug:token>/copy/", views.board_copy, name="copy"),
    path("<slug:token>/items/<int:item_id>/remove/", views.board_item_remove, name="remove"),
    path("<slug:token>/items/<int:item_id>/move/", views.board_item_move, name="move"),
]
