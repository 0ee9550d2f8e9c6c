"""REST API for lag boards under /api/v1/boards/: thin, the same selectors and services
as the pages. Bad input is a 400 naming the field ({"detail", "errors": {field: [...]}});
a change by someone other than the owner is a 403 with the reason."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from boards import selectors, services
from boards.models import Board
from boards.selectors import BoardView, ItemView

# -- request bodies ----------------------------------------------------------------


class BoardNameSerializer(serializers.Serializer[Any]):
    # Blank passes here so the service answers with its own message (1 to 100 characters).
    name = serializers.CharField(allow_blank=True, help_text="1 to 100 characters, unique among your boards.")


class ItemCreateSerializer(serializers.Serializer[Any]):
    cluster = serializers.IntegerField(help_text="The cluster id.")
    kind = serializers.CharField(allow_blank=True, help_text="'group' or 'topic'.")
    name = serializers.CharField(
        allow_blank=True, trim_whitespace=False, help_text="The group id or topic name, as in the stored snapshot."
    )


class ItemMoveSerializer(serializers.Serializer[Any]):
    direction = serializers.CharField(help_text="'up' or 'down': one place towards the top or the bottom.")


# -- responses ------------------------------------------------------------------------


class TraceSerializer(serializers.Serializer[Any]):
    kind = serializers.CharField(help_text="The metric kind, for /api/v1/clusters/<id>/metrics/history/.")
    key = serializers.CharField()
    name = serializers.CharField()


class ChartSerializer(serializers.Serializer[Any]):
    slug = serializers.CharField()
    title = serializers.CharField()
    unit = serializers.CharField()
    traces = TraceSerializer(many=True)


class BoardItemSerializer(serializers.Serializer[ItemView]):
    id = serializers.IntegerField(source="pk")
    cluster = serializers.IntegerField(source="cluster.pk")
    cluster_name = serializers.CharField(source="cluster.name")
    kind = serializers.CharField()
    name = serializers.CharField()
    position = serializers.IntegerField(source="item.position")
    exists = serializers.BooleanField(help_text="False when the last poll no longer saw the group or topic.")
    missing = serializers.CharField(help_text="Why there is nothing to show ('' while it exists).")
    page_url = serializers.CharField(help_text="Its page in Signalbox ('' when no URL can hold its name).")
    status = serializers.SerializerMethodField(help_text="Groups: OK, WARN, ERR or UNKNOWN.")
    status_reason = serializers.SerializerMethodField()
    total_lag = serializers.SerializerMethodField(help_text="Groups: messages behind, summed over partitions.")
    max_lag_seconds = serializers.SerializerMethodField(help_text="Groups: the largest lag in time.")
    messages_per_s = serializers.SerializerMethodField(help_text="Topics: the rate at the last poll.")
    snapshot_as_of = serializers.DateTimeField(source="age.as_of", allow_null=True)
    stale = serializers.BooleanField(source="age.stale", help_text="The latest poll of the cluster failed.")
    charts = ChartSerializer(many=True)

    def get_status(self, obj: ItemView) -> str | None:
        return obj.group.status if obj.group else None

    def get_status_reason(self, obj: ItemView) -> str | None:
        return obj.group.status_reason if obj.group else None

    def get_total_lag(self, obj: ItemView) -> int | None:
        return obj.group.total_lag if obj.group else None

    def get_max_lag_seconds(self, obj: ItemView) -> float | None:
        return obj.group.max_lag_seconds if obj.group else None

    def get_messages_per_s(self, obj: ItemView) -> float | None:
        return obj.topic.messages_per_s if obj.topic else None


class BoardSummarySerializer(serializers.Serializer[Any]):
    token = serializers.CharField(source="share_token", help_text="The share link's token: /boards/<token>/.")
    name = serializers.CharField()
    owner = serializers.CharField(source="owner.get_username")
    item_count = serializers.IntegerField()
    created_at = serializers.DateTimeField()
    updated_at = serializers.DateTimeField()


class BoardDetailSerializer(serializers.Serializer[BoardView]):
    token = serializers.CharField(source="board.share_token")
    name = serializers.CharField(source="board.name")
    owner = serializers.CharField(source="board.owner.get_username")
    is_owner = serializers.BooleanField(help_text="Only the owner may change the board.")
    created_at = serializers.DateTimeField(source="board.created_at")
    updated_at = serializers.DateTimeField(source="board.updated_at")
    items = BoardItemSerializer(many=True, help_text="Only the items on clusters you may see, in order.")
    hidden_items = serializers.IntegerField(
        source="hidden", help_text="Items left out because you may not see their cluster."
    )


def _detail(request: Request, board: Board, code: int = status.HTTP_200_OK) -> Response:
    board.refresh_from_db()
    view = selectors.board_view(user=request.user, board=board)
    return Response(BoardDetailSerializer(view).data, status=code)


class BoardsApi(APIView):
    """Your boards."""

    @extend_schema(operation_id="boards_list", responses={200: BoardSummarySerializer(many=True)})
    def get(self, request: Request) -> Response:
        """The boards you own (others' boards are reached through their share token)."""
        boards = selectors.board_list(user=request.user).select_related("owner")
        return Response(BoardSummarySerializer(boards, many=True).data)

    @extend_schema(operation_id="boards_create", request=BoardNameSerializer, responses={201: BoardDetailSerializer})
    def post(self, request: Request) -> Response:
        """Create an empty board."""
        body = BoardNameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        board = services.board_create(user=request.user, name=body.validated_data["name"])
        return _detail(request, board, status.HTTP_201_CREATED)


class BoardApi(APIView):
    """One board by its share token: anyone logged in reads it; only the owner changes it."""

    @extend_schema(operation_id="boards_retrieve", responses={200: BoardDetailSerializer})
    def get(self, request: Request, token: str) -> Response:
        """The board with the items you may see, their latest snapshot values and chart series."""
        return _detail(request, selectors.board_get(user=request.user, token=token))

    @extend_schema(
        operation_id="boards_partial_update", request=BoardNameSerializer, responses={200: BoardDetailSerializer}
    )
    def patch(self, request: Request, token: str) -> Response:
        """Rename the board (owner only); the token stays the same."""
        board = selectors.board_get(user=request.user, token=token)
        services.check_owner(user=request.user, board=board, action="board.rename")  # 403 before reading the body
        body = BoardNameSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.board_rename(user=request.user, board=board, name=body.validated_data["name"])
        return _detail(request, board)

    @extend_schema(operation_id="boards_destroy", responses={204: None})
    def delete(self, request: Request, token: str) -> Response:
        """Delete the board and its pins (owner only)."""
        board = selectors.board_get(user=request.user, token=token)
        services.board_delete(user=request.user, board=board)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardCopyApi(APIView):
    @extend_schema(operation_id="boards_copy", request=None, responses={201: BoardDetailSerializer})
    def post(self, request: Request, token: str) -> Response:
        """Save a copy of the board as your own, with the items you may see."""
        board = selectors.board_get(user=request.user, token=token)
        return _detail(request, services.board_copy(user=request.user, board=board), status.HTTP_201_CREATED)


class BoardItemsApi(APIView):
    @extend_schema(
        operation_id="boards_items_create", request=ItemCreateSerializer, responses={201: BoardItemSerializer}
    )
    def post(self, request: Request, token: str) -> Response:
        """Pin a consumer group or topic of the stored snapshot (owner only)."""
        board = selectors.board_get(user=request.user, token=token)
        services.check_owner(user=request.user, board=board, action="board.pin")
        body = ItemCreateSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        data = body.validated_data
        item = services.board_item_add(
            user=request.user, board=board, cluster_id=data["cluster"], kind=data["kind"], name=data["name"]
        )
        view = selectors.board_item_view(user=request.user, board=board, item_id=item.pk)
        return Response(BoardItemSerializer(view).data, status=status.HTTP_201_CREATED)


class BoardItemApi(APIView):
    @extend_schema(operation_id="boards_items_destroy", responses={204: None})
    def delete(self, request: Request, token: str, item_id: int) -> Response:
        """Unpin one item (owner only)."""
        board = selectors.board_get(user=request.user, token=token)
        services.board_item_remove(user=request.user, board=board, item_id=item_id)
        return Response(status=status.HTTP_204_NO_CONTENT)


class BoardItemMoveApi(APIView):
    @extend_schema(operation_id="boards_items_move", request=ItemMoveSerializer, responses={200: BoardDetailSerializer})
    def post(self, request: Request, token: str, item_id: int) -> Response:
        """Move one item a place up or down (owner only)."""
        board = selectors.board_get(user=request.user, token=token)
        services.check_owner(user=request.user, board=board, action="board.move")
        body = ItemMoveSerializer(data=request.data)
        body.is_valid(raise_exception=True)
        services.board_item_move(
            user=request.user, board=board, item_id=item_id, direction=body.validated_data["direction"]
        )
        return _detail(request, board)
