"""Board pages under /boards/: thin; selectors read, services write."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import NoReverseMatch, reverse
from django.views.decorators.http import require_http_methods, require_POST

from boards import selectors, services
from boards.models import Board, BoardItem


def _detail_context(request: HttpRequest, board: Board) -> dict[str, Any]:
    return {
        "board": board,
        "view": selectors.board_view(user=request.user, board=board),
        "share_url": request.build_absolute_uri(reverse("boards:detail", args=[board.share_token])),
    }


@login_required
@require_http_methods(["GET", "POST"])
def board_list(request: HttpRequest) -> HttpResponse:
    error, name = "", ""
    if request.method == "POST":
        name = request.POST.get("name", "")
        try:
            board = services.board_create(user=request.user, name=name)
        except ValidationError as exc:
            error = " ".join(exc.messages)
        else:
            messages.success(request, f"Board '{board.name}' created. Pin consumer groups and topics from their pages.")
            return redirect("boards:detail", token=board.share_token)
    boards = selectors.board_list(user=request.user)
    context = {"boards": boards, "error": error, "name": name, "default_name": services.DEFAULT_BOARD_NAME}
    return render(request, "boards/list.html", context, status=400 if error else 200)


@login_required
def board_detail(request: HttpRequest, token: str) -> HttpResponse:
    board = selectors.board_get(user=request.user, token=token)
    return render(request, "boards/detail.html", _detail_context(request, board))


@login_required
@require_POST
def board_rename(request: HttpRequest, token: str) -> HttpResponse:
    board = selectors.board_get(user=request.user, token=token)
    name = request.POST.get("name", "")
    try:
        services.board_rename(user=request.user, board=board, name=name)
    except ValidationError as exc:
        board.refresh_from_db()
        context = {**_detail_context(request, board), "rename_error": " ".join(exc.messages), "rename_value": name}
        return render(request, "boards/detail.html", context, status=400)
    messages.success(request, f"Board renamed to '{board.name}'. Its link is unchanged.")
    return redirect("boards:detail", token=board.share_token)


@login_required
@require_http_methods(["GET", "POST"])
def board_delete(request: HttpRequest, token: str) -> HttpResponse:
    board = selectors.board_get_owned(user=request.user, token=token)
    if request.method == "POST":
        name = board.name
        services.board_delete(user=request.user, board=board)
        messages.success(request, f"Board '{name}' deleted; its link no longer works. Kafka is untouched.")
        return redirect("boards:list")
    return render(request, "boards/delete.html", {"board": board, "items": board.items.count()})


@login_required
@require_POST
def board_copy(request: HttpRequest, token: str) -> HttpResponse:
    board = selectors.board_get(user=request.user, token=token)
    copy = services.board_copy(user=request.user, board=board)
    messages.success(request, f"Saved as your board '{copy.name}'. Changes to it do not touch the original.")
    return redirect("boards:detail", token=copy.share_token)


@login_required
@require_POST
def board_item_remove(request: HttpRequest, token: str, item_id: int) -> HttpResponse:
    board = selectors.board_get(user=request.user, token=token)
    services.board_item_remove(user=request.user, board=board, item_id=item_id)
    messages.success(request, "Removed from the board.")
    return redirect("boards:detail", token=board.share_token)


@login_required
@require_POST
def board_item_move(request: HttpRequest, token: str, item_id: int) -> HttpResponse:
    board = selectors.board_get(user=request.user, token=token)
    direction = request.POST.get("direction", "")
    try:
        services.board_item_move(user=request.user, board=board, item_id=item_id, direction=direction)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    return redirect(reverse("boards:detail", args=[board.share_token]) + f"#item-{item_id}")


def _back(cluster_id: int, kind: str, name: str) -> str:
    """The page the pin form was on (rebuilt from the pin itself, never a posted URL)."""
    page = "consumer_groups:detail" if kind == BoardItem.Kind.GROUP else "topics:detail"
    try:
        return reverse(page, args=[cluster_id, name])
    except NoReverseMatch:
        return reverse("boards:list")


@login_required
@require_POST
def board_pin(request: HttpRequest) -> HttpResponse:
    kind, name, token = request.POST.get("kind", ""), request.POST.get("name", ""), request.POST.get("board", "")
    try:
        cluster_id = int(request.POST.get("cluster", ""))
    except ValueError:
        cluster_id = 0  # no cluster has id 0: the service answers "does not exist or you may not see it"
    back = _back(cluster_id, kind, name)
    try:
        board = selectors.board_get_owned(user=request.user, token=token) if token else None
    except Http404:
        messages.error(request, "That board no longer exists; pick another one or pin to a new board.")
        return redirect(back)
    try:
        board, _item = services.board_pin(user=request.user, board=board, cluster_id=cluster_id, kind=kind, name=name)
    except services.AlreadyPinned as exc:
        messages.info(request, " ".join(exc.messages))
    except ValidationError as exc:
        messages.error(request, "Not pinned: " + " ".join(exc.messages))
    else:
        messages.success(request, f"Pinned {kind} '{name}' to board '{board.name}' (open it from Boards).")
    return redirect(back)
