"""Pages under /access/: users, teams (superusers) and "my access" (everyone)."""

from django.urls import path

from access import views_roles as views

app_name = "roles"

urlpatterns = [
    path("me/", views.my_access, name="me"),
    path("users/", views.user_list, name="users"),
    path("users/new/", views.user_create, name="user-create"),
    path("users/<int:pk>/", views.user_edit, name="user-edit"),
    path("users/<int:pk>/password/", views.user_password, name="user-password"),
    path("users/<int:pk>/active/", views.user_active, name="user-active"),
    path("teams/", views.team_list, name="teams"),
    path("teams/<int:pk>/", views.team_detail, name="team-detail"),
    path("teams/<int:pk>/rename/", views.team_rename, name="team-rename"),
    path("teams/<int:pk>/delete/", views.team_delete, name="team-delete"),
    path("teams/<int:pk>/members/", views.team_member_add, name="team-member-add"),
    path("teams/<int:pk>/members/<int:user_id>/remove/", views.team_member_remove, name="team-member-remove"),
]
