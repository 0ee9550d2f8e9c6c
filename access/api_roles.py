"""REST API for roles per cluster, users and teams (superusers) and "my access" (everyone).
Thin: permission first (so a refused user gets 403 whatever they send), then the same
services and selectors as the pages. Passwords are write-only and never echoed."""

from __future__ import annotations

from typing import Any

from django.contrib.auth.models import Group, User
from django.db.models import QuerySet
from drf_spectacular.utils import extend_schema, inline_serializer
from rest_framework import serializers, status
from rest_framework.fields import empty
from rest_framework.pagination import LimitOffsetPagination
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from access import selectors_roles as selectors
from access import services_roles as services
from access.models import Grant, Role
from access.permissions import Action, check_permission
from clusters import selectors as cluster_selectors
from clusters.models import Cluster

TAGS = ["access"]

# -- shapes --------------------------------------------------------------------------------------


class OptionalBooleanField(serializers.BooleanField):
    """A boolean that is left out when not sent, also in form-encoded bodies (where DRF
    would otherwise read a missing checkbox as False and, say, deactivate a user)."""

    default_empty_html = empty


class UserRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()


class TeamRefSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()


class UserAccountSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    username = serializers.CharField()
    email = serializers.CharField()
    is_active = serializers.BooleanField()
    is_superuser = serializers.BooleanField()
    teams = TeamRefSerializer(source="groups.all", many=True)
    grant_count = serializers.IntegerField(help_text="Grants held directly (team grants not counted).")
    last_login = serializers.DateTimeField(allow_null=True)
    date_joined = serializers.DateTimeField()


class UserAccountCreateSerializer(serializers.Serializer[Any]):
    username = serializers.CharField(max_length=150)
    email = serializers.CharField(required=False, allow_blank=True, default="")
    password = serializers.CharField(
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="Checked by the password validators; never shown again.",
    )
    is_superuser = serializers.BooleanField(required=False, default=False)


class UserAccountUpdateSerializer(serializers.Serializer[Any]):
    email = serializers.CharField(required=False, allow_blank=True)
    is_active = OptionalBooleanField(required=False, help_text="False: the user cannot log in (not yourself).")
    is_superuser = OptionalBooleanField(required=False, help_text="You cannot remove your own flag.")
    password = serializers.CharField(
        required=False,
        write_only=True,
        trim_whitespace=False,
        style={"input_type": "password"},
        help_text="A new password; never shown again.",
    )


class TeamSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    name = serializers.CharField()
    members = UserRefSerializer(source="user_set.all", many=True)
    member_count = serializers.IntegerField()
    grant_count = serializers.IntegerField()


class TeamWriteSerializer(serializers.Serializer[Any]):
    name = serializers.CharField(allow_blank=True, help_text="Unique, at most 150 characters.")


class TeamMemberSerializer(serializers.Serializer[Any]):
    user = serializers.PrimaryKeyRelatedField(queryset=User.objects.all(), help_text="The user's id.")


class GrantSerializer(serializers.Serializer[Any]):
    id = serializers.IntegerField()
    cluster = serializers.IntegerField(source="cluster_id")
    user = UserRefSerializer(allow_null=True)
    team = TeamRefSerializer(allow_null=True)
    holder = serializers.CharField(help_text="The username, or 'team <name>'.")
    role = serializers.ChoiceField(choices=Role.choices)
    topic_pattern = serializers.CharField(help_text="Glob on topic names; empty: the whole cluster.")
    read_messages = serializers.BooleanField(help_text="May read message payloads.")
    created_at = serializers.DateTimeField()
    created_by = serializers.CharField(source="created_by.username", allow_null=True)


class GrantCreateSerializer(serializers.Serializer[Any]):
    user = serializers.PrimaryKeyRelatedField(
        queryset=User.objects.all(), required=False, allow_null=True, help_text="A user's id (or give `team`)."
    )
    team = serializers.PrimaryKeyRelatedField(
        queryset=Group.objects.all(), required=False, allow_null=True, help_text="A team's id (or give `user`)."
    )
    role = serializers.ChoiceField(choices=Role.choices)
    topic_pattern = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        help_text="Glob on topic names (payments.* ; ? one character; [ab] a set). Empty: the whole cluster.",
    )
    read_messages = OptionalBooleanField(
        required=False, allow_null=True, help_text="Omitted or null: true for operator and admin, false for viewer."
    )


class GrantUpdateSerializer(serializers.Serializer[Any]):
    role = serializers.ChoiceField(choices=Role.choices, required=False)
    topic_pattern = serializers.CharField(required=False, allow_blank=True)
    read_messages = OptionalBooleanField(required=False)


MyAccessSerializer = inline_serializer(
    "ClusterAccess",
    many=True,
    fields={
        "cluster_id": serializers.IntegerField(),
        "cluster_name": serializers.CharField(),
        "role": serializers.ChoiceField(
            choices=Role.choices, allow_null=True, help_text="Your role on the whole cluster."
        ),
        "read_messages": serializers.BooleanField(help_text="May read payloads anywhere on the cluster."),
        "topic_grants": inline_serializer(
            "TopicAccess",
            many=True,
            fields={
                "pattern": serializers.CharField(),
                "role": serializers.ChoiceField(choices=Role.choices),
                "read_messages": serializers.BooleanField(),
            },
        ),
        "superuser": serializers.BooleanField(),
        "via": serializers.ListField(child=serializers.CharField(), help_text="'direct', 'team <name>', 'superuser'"),
        "read_only_cluster": serializers.BooleanField(help_text="Refuses every change, whatever your role."),
    },
)


def _role_action(request: Request) -> Action:
    # Reads need only ROLE_VIEW, so a superuser's read-only token may list users, teams and grants.
    return Action.ROLE_VIEW if request.method in ("GET", "HEAD", "OPTIONS") else Action.ROLE_MANAGE


def _manager(request: Request) -> None:
    check_permission(user=request.user, cluster=None, action=_role_action(request))


def _paginated(
    view: APIView, request: Request, rows: QuerySet[Any], shape: type[serializers.Serializer[Any]]
) -> Response:
    paginator = LimitOffsetPagination()
    page = paginator.paginate_queryset(rows, request, view=view)
    return paginator.get_paginated_response(shape(page, many=True).data)


# -- users ---------------------------------------------------------------------------------------


class UserListApi(APIView):
    """Signalbox users (superusers only)."""

    pagination_class = LimitOffsetPagination

    @extend_schema(tags=TAGS, operation_id="users_list", responses={200: UserAccountSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return _paginated(self, request, selectors.user_list(user=request.user), UserAccountSerializer)

    @extend_schema(
        tags=TAGS,
        operation_id="users_create",
        request=UserAccountCreateSerializer,
        responses={201: UserAccountSerializer},
    )
    def post(self, request: Request) -> Response:
        _manager(request)
        data = UserAccountCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        account = services.user_create(user=request.user, **data.validated_data)
        body = UserAccountSerializer(selectors.user_get(user=request.user, pk=account.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class UserDetailApi(APIView):
    """One user; PATCH changes email, the active and superuser flags, or sets a password."""

    @extend_schema(tags=TAGS, operation_id="users_retrieve", responses={200: UserAccountSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(UserAccountSerializer(selectors.user_get(user=request.user, pk=pk)).data)

    @extend_schema(
        tags=TAGS,
        operation_id="users_update",
        request=UserAccountUpdateSerializer,
        responses={200: UserAccountSerializer},
    )
    def patch(self, request: Request, pk: int) -> Response:
        _manager(request)
        account = selectors.user_get(user=request.user, pk=pk)
        data = UserAccountUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.user_update(user=request.user, account=account, **data.validated_data)
        return Response(UserAccountSerializer(selectors.user_get(user=request.user, pk=pk)).data)


# -- teams ---------------------------------------------------------------------------------------


class TeamListApi(APIView):
    """Teams: a grant given to a team applies to all its members (superusers only)."""

    pagination_class = LimitOffsetPagination

    @extend_schema(tags=TAGS, operation_id="teams_list", responses={200: TeamSerializer(many=True)})
    def get(self, request: Request) -> Response:
        return _paginated(self, request, selectors.team_list(user=request.user), TeamSerializer)

    @extend_schema(tags=TAGS, operation_id="teams_create", request=TeamWriteSerializer, responses={201: TeamSerializer})
    def post(self, request: Request) -> Response:
        _manager(request)
        data = TeamWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        team = services.team_create(user=request.user, name=data.validated_data["name"])
        return Response(
            TeamSerializer(selectors.team_get(user=request.user, pk=team.pk)).data, status=status.HTTP_201_CREATED
        )


class TeamDetailApi(APIView):
    """One team; PATCH renames it; DELETE deletes it with its grants."""

    @extend_schema(tags=TAGS, operation_id="teams_retrieve", responses={200: TeamSerializer})
    def get(self, request: Request, pk: int) -> Response:
        return Response(TeamSerializer(selectors.team_get(user=request.user, pk=pk)).data)

    @extend_schema(tags=TAGS, operation_id="teams_update", request=TeamWriteSerializer, responses={200: TeamSerializer})
    def patch(self, request: Request, pk: int) -> Response:
        _manager(request)
        team = selectors.team_get(user=request.user, pk=pk)
        data = TeamWriteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.team_rename(user=request.user, team=team, name=data.validated_data["name"])
        return Response(TeamSerializer(selectors.team_get(user=request.user, pk=pk)).data)

    @extend_schema(tags=TAGS, operation_id="teams_delete", request=None, responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        _manager(request)
        services.team_delete(user=request.user, team=selectors.team_get(user=request.user, pk=pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


class TeamMembersApi(APIView):
    """Add a member to a team (they gain its grants at once)."""

    @extend_schema(
        tags=TAGS, operation_id="teams_members_add", request=TeamMemberSerializer, responses={200: TeamSerializer}
    )
    def post(self, request: Request, pk: int) -> Response:
        _manager(request)
        team = selectors.team_get(user=request.user, pk=pk)
        data = TeamMemberSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        services.team_member_add(user=request.user, team=team, member=data.validated_data["user"])
        return Response(TeamSerializer(selectors.team_get(user=request.user, pk=pk)).data)


class TeamMemberApi(APIView):
    """Take a member out of a team (they lose its grants at once)."""

    @extend_schema(tags=TAGS, operation_id="teams_members_remove", request=None, responses={204: None})
    def delete(self, request: Request, pk: int, user_id: int) -> Response:
        _manager(request)
        team = selectors.team_get(user=request.user, pk=pk)
        member = selectors.user_get(user=request.user, pk=user_id)
        services.team_member_remove(user=request.user, team=team, member=member)
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- grants of one cluster -----------------------------------------------------------------------


def _managed_cluster(request: Request, cluster_id: int) -> Cluster:
    return cluster_selectors.cluster_get(user=request.user, pk=cluster_id, action=_role_action(request))


class GrantListApi(APIView):
    """Roles on one cluster, for users or teams, optionally limited to a topic pattern."""

    pagination_class = LimitOffsetPagination

    @extend_schema(tags=TAGS, operation_id="grants_list", responses={200: GrantSerializer(many=True)})
    def get(self, request: Request, cluster_id: int) -> Response:
        cluster = _managed_cluster(request, cluster_id)
        return _paginated(self, request, selectors.grant_list(user=request.user, cluster=cluster), GrantSerializer)

    @extend_schema(
        tags=TAGS, operation_id="grants_create", request=GrantCreateSerializer, responses={201: GrantSerializer}
    )
    def post(self, request: Request, cluster_id: int) -> Response:
        cluster = _managed_cluster(request, cluster_id)
        data = GrantCreateSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        values = data.validated_data
        grant = services.grant_create(
            user=request.user,
            cluster=cluster,
            grantee=values.get("user"),
            team=values.get("team"),
            role=values["role"],
            topic_pattern=values.get("topic_pattern", ""),
            read_messages=values.get("read_messages"),
        )
        body = GrantSerializer(selectors.grant_get(user=request.user, cluster=cluster, pk=grant.pk)).data
        return Response(body, status=status.HTTP_201_CREATED)


class GrantDetailApi(APIView):
    """One grant; PATCH changes role, pattern or read_messages; DELETE removes it."""

    def _grant(self, request: Request, cluster_id: int, pk: int) -> Grant:
        cluster = _managed_cluster(request, cluster_id)
        return selectors.grant_get(user=request.user, cluster=cluster, pk=pk)

    @extend_schema(tags=TAGS, operation_id="grants_retrieve", responses={200: GrantSerializer})
    def get(self, request: Request, cluster_id: int, pk: int) -> Response:
        return Response(GrantSerializer(self._grant(request, cluster_id, pk)).data)

    @extend_schema(
        tags=TAGS, operation_id="grants_update", request=GrantUpdateSerializer, responses={200: GrantSerializer}
    )
    def patch(self, request: Request, cluster_id: int, pk: int) -> Response:
        grant = self._grant(request, cluster_id, pk)
        data = GrantUpdateSerializer(data=request.data, partial=True)
        data.is_valid(raise_exception=True)
        services.grant_update(user=request.user, grant=grant, **data.validated_data)
        return Response(GrantSerializer(self._grant(request, cluster_id, pk)).data)

    @extend_schema(tags=TAGS, operation_id="grants_delete", request=None, responses={204: None})
    def delete(self, request: Request, cluster_id: int, pk: int) -> Response:
        services.grant_delete(user=request.user, grant=self._grant(request, cluster_id, pk))
        return Response(status=status.HTTP_204_NO_CONTENT)


# -- my access -----------------------------------------------------------------------------------


class MyAccessApi(APIView):
    """Your own role on every cluster you can see (any logged-in user)."""

    @extend_schema(tags=TAGS, operation_id="me_access", responses={200: MyAccessSerializer})
    def get(self, request: Request) -> Response:
        rows = selectors.my_access(user=request.user)
        return Response(
            [
                {
                    "cluster_id": r.cluster_id,
                    "cluster_name": r.cluster_name,
                    "role": r.role,
                    "read_messages": r.read_messages,
                    "topic_grants": [
                        {"pattern": t.pattern, "role": t.role, "read_messages": t.read_messages} for t in r.topic_grants
                    ],
                    "superuser": r.superuser,
                    "via": list(r.via),
                    "read_only_cluster": r.read_only_cluster,
                }
                for r in rows
            ]
        )
