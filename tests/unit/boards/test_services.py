"""Board services: names, ownership, pins from the stored snapshot, order, copies, audit."""

import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404

from access.models import AuditEvent
from boards import services
from boards.models import MAX_ITEMS, Board, BoardItem
from consumer_groups.models import GroupMeta

pytestmark = pytest.mark.django_db


def _errors(exc_info) -> dict:
    return exc_info.value.message_dict


def test_create_gives_an_unguessable_url_safe_token_and_audits(alice):
    board = services.board_create(user=alice, name="  Payments on-call ")
    assert board.name == "Payments on-call" and board.owner == alice
    assert re.fullmatch(r"[A-Za-z0-9_-]{22,}", board.share_token)
    assert services.board_create(user=alice, name="Other").share_token != board.share_token
    event = AuditEvent.objects.get(action="board.create", target="Payments on-call")
    assert event.actor == "alice" and event.result == "ok" and event.target == "Payments on-call"
    assert event.after == {"name": "Payments on-call", "owner": "alice", "items": []}


@pytest.mark.parametrize(("name", "fragment"), [("", "1 to 100"), ("   ", "1 to 100"), ("x" * 101, "At most 100")])
def test_create_rejects_bad_names(alice, name, fragment):
    with pytest.raises(ValidationError) as exc:
        services.board_create(user=alice, name=name)
    assert fragment in _errors(exc)["name"][0]
    assert not Board.objects.exists()


def test_names_are_unique_per_owner_ignoring_case(alice, bob):
    services.board_create(user=alice, name="Ops")
    with pytest.raises(ValidationError) as exc:
        services.board_create(user=alice, name="ops")
    assert "already have a board called 'ops'" in _errors(exc)["name"][0]
    assert services.board_create(user=bob, name="Ops").owner == bob  # another user's namespace


def test_anonymous_cannot_create(db):
    from django.contrib.auth.models import AnonymousUser

    with pytest.raises(PermissionDenied):
        services.board_create(user=AnonymousUser(), name="x")


def test_rename_by_owner_is_audited_and_keeps_the_token(alice):
    board = services.board_create(user=alice, name="Ops")
    token = board.share_token
    services.board_rename(user=alice, board=board, name="Ops night")
    board.refresh_from_db()
    assert board.name == "Ops night" and board.share_token == token
    event = AuditEvent.objects.get(action="board.rename")
    assert event.before == {"name": "Ops"} and event.after == {"name": "Ops night"}


def test_rename_to_its_own_name_in_other_case_is_allowed(alice):
    board = services.board_create(user=alice, name="ops")
    services.board_rename(user=alice, board=board, name="OPS")
    assert Board.objects.get().name == "OPS"


def test_others_cannot_change_a_board_and_the_attempt_is_recorded(alice, bob, prod):
    board = services.board_create(user=alice, name="Ops")
    item = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    attempts = [
        lambda: services.board_rename(user=bob, board=board, name="mine now"),
        lambda: services.board_delete(user=bob, board=board),
        lambda: services.board_item_add(user=bob, board=board, cluster_id=prod.pk, kind="topic", name="payments"),
        lambda: services.board_item_remove(user=bob, board=board, item_id=item.pk),
        lambda: services.board_item_move(user=bob, board=board, item_id=item.pk, direction="down"),
    ]
    for attempt in attempts:
        with pytest.raises(PermissionDenied) as exc:
            attempt()
        assert "Only alice can change board 'Ops'" in str(exc.value)
    board.refresh_from_db()
    assert board.name == "Ops" and board.items.count() == 1
    denied = AuditEvent.objects.filter(result="denied", actor="bob")
    assert sorted(denied.values_list("action", flat=True)) == [
        "board.delete",
        "board.move",
        "board.pin",
        "board.rename",
        "board.unpin",
    ]


def test_delete_removes_board_and_items_and_audits_what_was_there(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    services.board_delete(user=alice, board=board)
    assert not Board.objects.exists() and not BoardItem.objects.exists()
    event = AuditEvent.objects.get(action="board.delete")
    assert event.before["items"] == [{"cluster": "prod", "kind": "group", "name": "orders-service", "position": 0}]


def test_pin_appends_in_order_and_audits_with_the_cluster(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    first = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="payments-ledger")
    second = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="topic", name="payments")
    assert (first.position, second.position) == (0, 1)
    event = AuditEvent.objects.filter(action="board.pin").order_by("pk").first()
    assert event.cluster_id == prod.pk and event.target == "Ops: group payments-ledger"
    assert event.after == {"board": "Ops", "cluster": "prod", "kind": "group", "name": "payments-ledger", "position": 0}


@pytest.mark.parametrize(
    ("kind", "name", "field", "fragment"),
    [
        ("consumer", "payments-ledger", "kind", "Unknown kind 'consumer'"),
        ("group", "", "name", "Name the consumer group"),
        ("group", "g" * 256, "name", "At most 255"),
        ("group", "not-polled-yet", "name", "wait for the next poll (every 5 s)"),
        ("topic", "payments-ledger", "name", "Topic 'payments-ledger' is not in the stored snapshot"),
    ],
)
def test_pin_rejects_bad_input_by_field(alice, prod, kind, name, field, fragment):
    board = services.board_create(user=alice, name="Ops")
    with pytest.raises(ValidationError) as exc:
        services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind=kind, name=name)
    assert fragment in " ".join(_errors(exc)[field])
    assert not board.items.exists()


def test_pin_says_the_same_for_a_missing_and_an_invisible_cluster(alice, prod, hide_secret):
    board = services.board_create(user=alice, name="Ops")
    answers = []
    for cluster_id in (hide_secret.pk, 987654):
        with pytest.raises(ValidationError) as exc:
            services.board_item_add(user=alice, board=board, cluster_id=cluster_id, kind="group", name="hidden-group")
        answers.append(_errors(exc)["cluster"][0].replace(str(cluster_id), "N"))
    assert answers[0] == answers[1] == "Cluster N does not exist or you may not see it."


def test_pinning_twice_says_it_is_already_pinned(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    with pytest.raises(services.AlreadyPinned) as exc:
        services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    assert "already pinned on board 'Ops'" in _errors(exc)["name"][0]
    assert board.items.count() == 1


def test_a_board_holds_at_most_50_items(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    GroupMeta.objects.bulk_create(GroupMeta(cluster=prod, group_id=f"g-{n}") for n in range(MAX_ITEMS + 1))
    BoardItem.objects.bulk_create(
        BoardItem(board=board, cluster=prod, kind="group", name=f"g-{n}", position=n) for n in range(MAX_ITEMS)
    )
    with pytest.raises(ValidationError) as exc:
        services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name=f"g-{MAX_ITEMS}")
    assert "already holds 50 items" in exc.value.messages[0]
    assert board.items.count() == MAX_ITEMS


def test_pin_from_a_page_creates_my_board_once_and_reuses_it(alice, prod):
    board, item = services.board_pin(user=alice, board=None, cluster_id=prod.pk, kind="group", name="orders-service")
    assert board.name == "My board" and item.board == board
    again, _ = services.board_pin(user=alice, board=None, cluster_id=prod.pk, kind="topic", name="payments")
    assert again.pk == board.pk and board.items.count() == 2


def test_a_refused_pin_creates_no_board(alice, prod):
    with pytest.raises(ValidationError):
        services.board_pin(user=alice, board=None, cluster_id=prod.pk, kind="group", name="never-seen")
    assert not Board.objects.exists()
    assert not AuditEvent.objects.filter(action="board.create").exists()


def test_unpin_is_audited_and_an_unknown_item_is_404(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    item = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="topic", name="payments")
    services.board_item_remove(user=alice, board=board, item_id=item.pk)
    assert not board.items.exists()
    event = AuditEvent.objects.get(action="board.unpin")
    assert event.before["name"] == "payments" and event.cluster_id == prod.pk
    with pytest.raises(Http404):
        services.board_item_remove(user=alice, board=board, item_id=item.pk)


def test_move_swaps_neighbours_and_renumbers(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    a = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="payments-ledger")
    b = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    c = services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="topic", name="payments")

    def order():
        return list(board.items.order_by("position", "pk").values_list("pk", flat=True))

    services.board_item_move(user=alice, board=board, item_id=c.pk, direction="up")
    assert order() == [a.pk, c.pk, b.pk]
    services.board_item_move(user=alice, board=board, item_id=a.pk, direction="up")  # already first: no change
    services.board_item_move(user=alice, board=board, item_id=a.pk, direction="down")
    assert order() == [c.pk, a.pk, b.pk]
    assert sorted(board.items.values_list("position", flat=True)) == [0, 1, 2]
    with pytest.raises(ValidationError) as exc:
        services.board_item_move(user=alice, board=board, item_id=a.pk, direction="sideways")
    assert "use 'up' or 'down'" in _errors(exc)["direction"][0]


def test_copy_takes_only_the_items_the_copier_may_see(alice, bob, prod, hide_secret):
    alice.is_superuser = True
    alice.save()
    board = services.board_create(user=alice, name="Ops")
    services.board_item_add(user=alice, board=board, cluster_id=hide_secret.pk, kind="group", name="hidden-group")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="orders-service")
    copy = services.board_copy(user=bob, board=board)
    assert copy.owner == bob and copy.name == "Copy of Ops"
    assert list(copy.items.values_list("name", "position")) == [("orders-service", 0)]
    assert services.board_copy(user=bob, board=board).name == "Copy of Ops (2)"
    event = AuditEvent.objects.filter(action="board.copy").first()
    assert event.actor == "bob" and "hidden-group" not in str(event.after)
    assert board.items.count() == 2  # the original is untouched
