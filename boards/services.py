"""Changes to lag boards. Only a board's owner changes it; each change is audited.

Pinning reads only the stored snapshot (never Kafka): a group or topic can be pinned
once a poll has seen it, on a cluster the user may see."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.http import Http404
from django.utils import timezone

from access.audit import audit, audit_denied
from access.models import ApiToken
from access.permissions import token_of
from boards import selectors
from boards.models import MAX_ITEMS, NAME_MAX, Board, BoardItem
from clusters.models import Cluster
from consumer_groups.models import GroupMeta
from topics.models import TopicMeta

if TYPE_CHECKING:
    from django.contrib.auth.models import AbstractBaseUser, AnonymousUser

    User = AbstractBaseUser | AnonymousUser

DEFAULT_BOARD_NAME = "My board"
ITEM_NAME_MAX = 255
DIRECTIONS = ("up", "down")


class AlreadyPinned(ValidationError):
    """The group or topic is on the board already (a 400 in the API, a notice on pages)."""


def _require_login(user: User | None) -> int:
    """The id of a logged-in, active user; PermissionDenied for anyone else."""
    if user is None or not user.is_authenticated or not user.is_active or user.pk is None:
        raise PermissionDenied("Log in to change boards.")
    token = token_of(user)
    if token is not None and token.scope == ApiToken.Scope.READ:
        reason = f"API token '{token.name}' is read-only; changing boards needs a read-write token"
        audit_denied(user=user, cluster=None, action="board.change", target="", reason=reason)
        raise PermissionDenied(f"You may not do this: {reason}.")
    return int(user.pk)


def check_owner(*, user: User, board: Board, action: str) -> None:
    """Raise PermissionDenied (and record the attempt) unless `user` owns `board`."""
    _require_login(user)
    if board.owner_id == user.pk:
        return
    audit_denied(user=user, cluster=None, action=action, target=board.name, reason="not the owner of the board")
    raise PermissionDenied(selectors.owner_only(board))


def _clean_name(*, owner_id: Any, name: str, exclude_pk: int | None = None) -> str:
    clean = (name or "").strip()
    if not clean:
        raise ValidationError({"name": "Give the board a name (1 to 100 characters)."})
    if len(clean) > NAME_MAX:
        raise ValidationError({"name": f"At most {NAME_MAX} characters (this one has {len(clean)})."})
    same = Board.objects.filter(owner_id=owner_id, name__iexact=clean)
    if exclude_pk is not None:
        same = same.exclude(pk=exclude_pk)
    if same.exists():
        raise ValidationError({"name": f"You already have a board called '{clean}'; pick another name."})
    return clean


def _item_dict(item: BoardItem) -> dict[str, Any]:
    return {"cluster": item.cluster.name, "kind": item.kind, "name": item.name, "position": item.position}


def _board_dict(board: Board) -> dict[str, Any]:
    items = board.items.select_related("cluster").order_by("position", "pk")
    return {"name": board.name, "owner": board.owner.get_username(), "items": [_item_dict(i) for i in items]}


def _save_new(board: Board) -> Board:
    try:
        with transaction.atomic():
            board.save()
    except IntegrityError:
        # Two requests raced for the same name; the unique constraint kept one.
        raise ValidationError({"name": f"You already have a board called '{board.name}'; pick another name."})
    return board


def board_create(*, user: User, name: str) -> Board:
    """Create an empty board owned by `user`; names are unique per user (ignoring case)."""
    owner_id = _require_login(user)
    clean = _clean_name(owner_id=owner_id, name=name)
    with audit(user=user, cluster=None, action="board.create", target=clean) as event:
        board = _save_new(Board(owner_id=owner_id, name=clean))
        event.after = _board_dict(board)
    return board


def board_rename(*, user: User, board: Board, name: str) -> Board:
    """Rename a board (owner only); its share link stays the same."""
    check_owner(user=user, board=board, action="board.rename")
    clean = _clean_name(owner_id=board.owner_id, name=name, exclude_pk=board.pk)
    with audit(user=user, cluster=None, action="board.rename", target=clean, before={"name": board.name}) as event:
        board.name = clean
        board.save(update_fields=["name", "updated_at"])
        event.after = {"name": clean}
    return board


def board_delete(*, user: User, board: Board) -> None:
    """Delete a board and its pins (owner only); its share link stops working."""
    check_owner(user=user, board=board, action="board.delete")
    with audit(user=user, cluster=None, action="board.delete", target=board.name, before=_board_dict(board)):
        board.delete()


def _validated_pin(*, user: User, board: Board, cluster_id: int, kind: str, name: str) -> Cluster:
    """The cluster of a pin after every check on its input; raises ValidationError naming the field."""
    errors: dict[str, str] = {}
    if kind not in BoardItem.Kind.values:
        errors["kind"] = f"Unknown kind '{kind}'; pin a 'group' or a 'topic'."
    if not name:
        errors["name"] = "Name the consumer group or topic to pin."
    elif len(name) > ITEM_NAME_MAX:
        errors["name"] = f"At most {ITEM_NAME_MAX} characters (this one has {len(name)})."
    valid_kind = kind if kind in BoardItem.Kind.values else BoardItem.Kind.GROUP
    cluster = selectors.visible_cluster(user=user, cluster_id=cluster_id, kind=valid_kind)
    if cluster is None:
        # The same answer whether the cluster does not exist or is not the user's: ids are not probed.
        errors["cluster"] = f"Cluster {cluster_id} does not exist or you may not see it."
    if errors:
        raise ValidationError(errors)
    assert cluster is not None  # for mypy: errors holds "cluster" otherwise
    if kind == BoardItem.Kind.GROUP:
        known = GroupMeta.objects.filter(cluster=cluster, group_id=name).exists()
        what = "Consumer group"
    else:
        known = TopicMeta.objects.filter(cluster=cluster, name=name).exists()
        what = "Topic"
    if not known:
        raise ValidationError(
            {
                "name": f"{what} '{name}' is not in the stored snapshot of cluster '{cluster.name}'. "
                f"If it was created just now, wait for the next poll (every {cluster.poll_interval_s} s) "
                "and pin it again."
            }
        )
    if board.items.filter(cluster=cluster, kind=kind, name=name).exists():
        raise AlreadyPinned({"name": f"{what} '{name}' of {cluster.name} is already pinned on board '{board.name}'."})
    if board.items.count() >= MAX_ITEMS:
        raise ValidationError(
            f"Board '{board.name}' already holds {MAX_ITEMS} items, the most a board can hold; "
            "remove one or pin to another board."
        )
    return cluster


def board_item_add(*, user: User, board: Board, cluster_id: int, kind: str, name: str) -> BoardItem:
    """Pin a consumer group or topic of the stored snapshot to the end of a board (owner only)."""
    check_owner(user=user, board=board, action="board.pin")
    with transaction.atomic():
        # Lock the board so two pins at once cannot pass the item limit together.
        Board.objects.select_for_update().filter(pk=board.pk).first()
        cluster = _validated_pin(user=user, board=board, cluster_id=cluster_id, kind=kind, name=name)
        last = board.items.aggregate(last=Max("position"))["last"]
        target = f"{board.name}: {kind} {name}"
        with audit(user=user, cluster=cluster, action="board.pin", target=target) as event:
            item = BoardItem.objects.create(
                board=board, cluster=cluster, kind=kind, name=name, position=0 if last is None else last + 1
            )
            event.after = {"board": board.name, **_item_dict(item)}
        Board.objects.filter(pk=board.pk).update(updated_at=timezone.now())
    return item


def board_pin(*, user: User, board: Board | None, cluster_id: int, kind: str, name: str) -> tuple[Board, BoardItem]:
    """Pin from a group or topic page: to `board`, or with None to the user's 'My board'
    (created on first use). Nothing is created when the pin is refused."""
    owner_id = _require_login(user)
    with transaction.atomic():
        if board is None:
            board = Board.objects.filter(owner_id=owner_id, name__iexact=DEFAULT_BOARD_NAME).first()
        if board is None:
            board = board_create(user=user, name=DEFAULT_BOARD_NAME)
        item = board_item_add(user=user, board=board, cluster_id=cluster_id, kind=kind, name=name)
    return board, item


def _item_of(board: Board, item_id: int) -> BoardItem:
    item = board.items.select_related("cluster").filter(pk=item_id).first()
    if item is None:
        raise Http404(f"Board '{board.name}' has no item {item_id}; it may have been removed already.")
    return item


def board_item_remove(*, user: User, board: Board, item_id: int) -> None:
    """Unpin one item of a board (owner only)."""
    check_owner(user=user, board=board, action="board.unpin")
    item = _item_of(board, item_id)
    before = {"board": board.name, **_item_dict(item)}
    target = f"{board.name}: {item.kind} {item.name}"
    with audit(user=user, cluster=item.cluster, action="board.unpin", target=target, before=before):
        item.delete()
        Board.objects.filter(pk=board.pk).update(updated_at=timezone.now())


def board_item_move(*, user: User, board: Board, item_id: int, direction: str) -> BoardItem:
    """Move one item a place up or down (owner only); positions are renumbered 0..n-1."""
    check_owner(user=user, board=board, action="board.move")
    if direction not in DIRECTIONS:
        raise ValidationError({"direction": f"Unknown direction '{direction}'; use 'up' or 'down'."})
    item = _item_of(board, item_id)
    with transaction.atomic():
        items = list(board.items.select_for_update().order_by("position", "pk"))
        index = next(i for i, it in enumerate(items) if it.pk == item.pk)
        other = index - 1 if direction == "up" else index + 1
        if not 0 <= other < len(items):
            return items[index]  # already first or last: nothing to change
        before = [it.pk for it in items]
        items[index], items[other] = items[other], items[index]
        target = f"{board.name}: {item.kind} {item.name}"
        with audit(user=user, cluster=item.cluster, action="board.move", target=target) as event:
            for position, it in enumerate(items):
                it.position = position
            BoardItem.objects.bulk_update(items, ["position"])
            event.before = {"order": before}
            event.after = {"order": [it.pk for it in items], "direction": direction}
    return items[other]


def _copy_name(*, owner_id: Any, name: str) -> str:
    base = f"Copy of {name}"
    for n in range(1, 1000):
        suffix = "" if n == 1 else f" ({n})"
        candidate = base[: NAME_MAX - len(suffix)] + suffix
        if not Board.objects.filter(owner_id=owner_id, name__iexact=candidate).exists():
            return candidate
    raise ValidationError({"name": "Too many copies of this board; rename or delete some first."})


def board_copy(*, user: User, board: Board) -> Board:
    """Save a copy of any board the user has the link of, as a board of their own
    holding only the items they may see."""
    owner_id = _require_login(user)
    items, _hidden = selectors.visible_items(user=user, board=board)
    name = _copy_name(owner_id=owner_id, name=board.name)
    with transaction.atomic(), audit(user=user, cluster=None, action="board.copy", target=name) as event:
        copy = _save_new(Board(owner_id=owner_id, name=name))
        BoardItem.objects.bulk_create(
            BoardItem(board=copy, cluster=i.cluster, kind=i.kind, name=i.name, position=n) for n, i in enumerate(items)
        )
        event.after = {**_board_dict(copy), "copied_from": board.name}
    return copy
