"""REST endpoints under /api/v1/ for users, teams, grants per cluster and my access."""

from django.urls import path

from access import api_roles as api

urlpatterns = [
    path("users/", api.UserListApi.as_view(), name="user-list"),
    path("users/<int:pk>/", api.UserDetailApi.as_view(), name="user-detail"),
    path("teams/", api.TeamListApi.as_view(), name="team-list"),
    path("teams/<int:pk>/", api.TeamDetailApi.as_view(), name="team-detail"),
    path("teams/<int:pk>/members/", api.TeamMembersApi.as_view(), name="team-members"),
    path("teams/<int:pk>/members/<int:user_id>/", api.TeamMemberApi.as_view(), name="team-member"),
    path("clusters/<int:cluster_id>/grants/", api.GrantListApi.as_view(), name="grant-list"),
    path("clusters/<int:cluster_id>/grants/<int:pk>/", api.GrantDetailApi.as_view(), name="grant-detail"),
    path("me/access/", api.MyAccessApi.as_view(), name="me-access"),
]
