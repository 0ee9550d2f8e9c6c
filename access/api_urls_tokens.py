"""REST endpoints under /api/v1/tokens/."""

from django.urls import path

from access import api_tokens

urlpatterns = [
    path("", api_tokens.TokenListApi.as_view(), name="token-list"),
    path("<int:pk>/", api_tokens.TokenDetailApi.as_view(), name="token-detail"),
    path("<int:pk>/revoke/", api_tokens.TokenRevokeApi.as_view(), name="token-revoke"),
]
