"""Reads of lag boards. A board is visible to anyone logged in who has its link; its
items are filtered per viewer: an item on a cluster the viewer may not see is left
out entirely (only counted), so a shared link never leaks cluster, group or topic names."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

from django.core.exceptions import PermissionDenied
from django.db.models import Count, QuerySet
from django.http import Http404
from django.urls import NoReverseMatch, reverse

from access.permissions import Action, clusters_visible, has_permission
from boards.models import Board, BoardItem
from clusters.models import Cluster
from clusters.selectors import SnapshotAge, snapshot_age
from consumer_groups.models import GroupMeta
from monitoring.charts import ChartSpec, group_charts, topic_charts
from topics.models import TopicMeta

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

CHART_HEIGHT = 180  # compact: a board holds many cards and stays open all day
VIEW_ACTION: dict[str, Action] = {BoardItem.Kind.GROUP: Action.GROUP_VIEW, BoardItem.Kind.TOPIC: Action.TOPIC_VIEW}
KIND_LABEL: dict[str, str] = {BoardItem.Kind.GROUP: "Consumer group", BoardItem.Kind.TOPIC: "Topic"}


def _require_login(user: User | None) -> None:
    if user is None or not user.is_authenticated or not user.is_active:
        raise PermissionDenied("Log in to see boards.")


def board_list(*, user: User) -> QuerySet[Board]:
    """The user's own boards with how many items each holds, by name."""
    _require_login(user)
    return Board.objects.filter(owner_id=user.pk).annotate(item_count=Count("items")).order_by("name", "pk")


def board_get(*, user: User, token: str) -> Board:
    """The board behind a share link, for anyone logged in; 404 when no board has it."""
    _require_login(user)
    board = Board.objects.select_related("owner").filter(share_token=token).first()
    if board is None:
        raise Http404("No board has this link: it was deleted, or the link is incomplete.")
    return board


def is_owner(*, user: User, board: Board) -> bool:
    return bool(user.is_authenticated and board.owner_id == user.pk)


def owner_only(board: Board) -> str:
    """What a non-owner is told when they try to change a board."""
    return (
        f"Only {board.owner.get_username()} can change board '{board.name}'; "
        "use 'Save a copy' to get a board of your own."
    )


def board_get_owned(*, user: User, token: str) -> Board:
    """The board behind a share link when `user` owns it: 404 without a board, 403 for others."""
    board = board_get(user=user, token=token)
    if not is_owner(user=user, board=board):
        raise PermissionDenied(owner_only(board))
    return board


def may_see(*, user: User, cluster: Cluster, kind: str, visible_ids: set[int] | None = None) -> bool:
    """Whether `user` may see a pinned group or topic of `cluster` (the same rules as its page)."""
    if visible_ids is None:
        visible_ids = visible_cluster_ids(user=user)
    action = VIEW_ACTION.get(kind)
    return (
        action is not None
        and cluster.pk in visible_ids
        and has_permission(user=user, cluster=cluster, action=Action.CLUSTER_VIEW)
        and has_permission(user=user, cluster=cluster, action=action)
    )


def visible_cluster_ids(*, user: User) -> set[int]:
    return set(clusters_visible(user=user).values_list("pk", flat=True))


def visible_cluster(*, user: User, cluster_id: int, kind: str) -> Cluster | None:
    """The cluster to pin a `kind` of, or None when it does not exist or the user may not see it."""
    cluster = clusters_visible(user=user).filter(pk=cluster_id).first()
    if cluster is None or not may_see(user=user, cluster=cluster, kind=kind, visible_ids={cluster.pk}):
        return None
    return cluster


def visible_items(*, user: User, board: Board) -> tuple[list[BoardItem], int]:
    """The board's items the user may see, in position order, and how many are hidden."""
    items = list(board.items.select_related("cluster", "cluster__status").order_by("position", "pk"))
    visible_ids = visible_cluster_ids(user=user)
    shown = [i for i in items if may_see(user=user, cluster=i.cluster, kind=i.kind, visible_ids=visible_ids)]
    return shown, len(items) - len(shown)


@dataclass(frozen=True)
class ItemView:
    item: BoardItem
    cluster: Cluster
    age: SnapshotAge
    group: GroupMeta | None = None
    topic: TopicMeta | None = None
    charts: list[ChartSpec] = field(default_factory=list)

    @property
    def pk(self) -> int:
        return self.item.pk

    @property
    def kind(self) -> str:
        return self.item.kind

    @property
    def name(self) -> str:
        return self.item.name

    @property
    def exists(self) -> bool:
        return self.group is not None or self.topic is not None

    @property
    def kind_label(self) -> str:
        return KIND_LABEL.get(self.item.kind, self.item.kind)

    @property
    def missing(self) -> str:
        """What the card says in place of its charts when the group or topic vanished."""
        if self.exists:
            return ""
        return f"{self.kind_label} '{self.name}' no longer exists on {self.cluster.name} as of the last poll."

    @property
    def page_url(self) -> str:
        """The group's or topic's own page ('' for group ids no URL can hold, such as ones with '/')."""
        try:
            if self.item.kind == BoardItem.Kind.GROUP:
                return reverse("consumer_groups:detail", args=[self.cluster.pk, self.name])
            return reverse("topics:detail", args=[self.cluster.pk, self.name])
        except NoReverseMatch:
            return ""

    @property
    def subscription(self) -> dict[str, object] | None:
        """What the page's websocket subscribes to for this item's points (None when it vanished)."""
        if not self.exists:
            return None
        return {"cluster": self.cluster.pk, self.item.kind: self.name}


@dataclass(frozen=True)
class BoardView:
    board: Board
    is_owner: bool
    items: list[ItemView]
    hidden: int

    @property
    def cluster_ids(self) -> list[int]:
        return sorted({i.cluster.pk for i in self.items})

    @property
    def live_clusters(self) -> str:
        return ",".join(str(pk) for pk in self.cluster_ids)

    @property
    def live_subscribe(self) -> str:
        subs = [s for s in (i.subscription for i in self.items) if s is not None]
        return json.dumps(subs)


def _charts(item: BoardItem, cluster: Cluster) -> list[ChartSpec]:
    # The same chart definitions as the group and topic pages, totals only, with slugs unique on the board.
    if item.kind == BoardItem.Kind.GROUP:
        specs = group_charts(cluster, item.name, [])
    else:
        specs = topic_charts(cluster, item.name)[:1]
    return [replace(s, slug=f"item-{item.pk}-{s.slug}", height=CHART_HEIGHT) for s in specs]


def board_view(*, user: User, board: Board) -> BoardView:
    """Everything the board page and its API show: the visible items with their stored
    snapshot rows (None when the group or topic vanished) and chart specs."""
    items, hidden = visible_items(user=user, board=board)
    groups: dict[tuple[int, str], GroupMeta] = {}
    topics: dict[tuple[int, str], TopicMeta] = {}
    by_cluster: dict[int, dict[str, list[str]]] = {}
    for item in items:
        by_cluster.setdefault(item.cluster_id, {}).setdefault(item.kind, []).append(item.name)
    for cluster_id, kinds in by_cluster.items():
        if kinds.get(BoardItem.Kind.GROUP):
            rows = GroupMeta.objects.filter(cluster_id=cluster_id, group_id__in=kinds[BoardItem.Kind.GROUP])
            groups.update({(cluster_id, g.group_id): g for g in rows.defer("partitions")})
        if kinds.get(BoardItem.Kind.TOPIC):
            topic_rows = TopicMeta.objects.filter(cluster_id=cluster_id, name__in=kinds[BoardItem.Kind.TOPIC])
            topics.update({(cluster_id, t.name): t for t in topic_rows})
    ages: dict[int, SnapshotAge] = {}
    views = []
    for item in items:
        cluster = item.cluster
        age = ages.setdefault(cluster.pk, snapshot_age(cluster=cluster))
        group = groups.get((cluster.pk, item.name)) if item.kind == BoardItem.Kind.GROUP else None
        topic = topics.get((cluster.pk, item.name)) if item.kind == BoardItem.Kind.TOPIC else None
        exists = group is not None or topic is not None
        views.append(
            ItemView(
                item=item,
                cluster=cluster,
                age=age,
                group=group,
                topic=topic,
                charts=_charts(item, cluster) if exists else [],
            )
        )
    return BoardView(board=board, is_owner=is_owner(user=user, board=board), items=views, hidden=hidden)


def board_item_view(*, user: User, board: Board, item_id: int) -> ItemView:
    """One item of a board as `board_view` shows it; 404 when absent or hidden from `user`."""
    for view in board_view(user=user, board=board).items:
        if view.pk == item_id:
            return view
    raise Http404(f"Board '{board.name}' has no item {item_id} you may see.")


@dataclass(frozen=True)
class PinChoice:
    board: Board
    pinned: bool  # this board already holds the group or topic


def pin_choices(*, user: User, cluster: Cluster, kind: str, name: str) -> list[PinChoice]:
    """The user's boards for the pin form of a group or topic page, marking where it is pinned."""
    if not user.is_authenticated:
        return []
    boards = list(Board.objects.filter(owner_id=user.pk).order_by("name", "pk"))
    pinned = set(
        BoardItem.objects.filter(board__owner_id=user.pk, cluster=cluster, kind=kind, name=name).values_list(
            "board_id", flat=True
        )
    )
    return [PinChoice(board=b, pinned=b.pk in pinned) for b in boards]
