"""Board reads: per-viewer filtering, vanished items, chart specs, pin choices."""

import json

import pytest
from django.contrib.auth import get_user_model
from django.contrib.auth.models import AnonymousUser
from django.core.exceptions import PermissionDenied
from django.http import Http404

from boards import selectors, services
from boards.models import BoardItem
from consumer_groups.models import GroupMeta

pytestmark = pytest.mark.django_db


@pytest.fixture
def board(alice, prod, secret):
    alice.is_superuser = True
    alice.save()
    board = services.board_create(user=alice, name="Ops")
    for cluster, kind, name in [
        (prod, "group", "payments-ledger"),
        (secret, "group", "hidden-group"),
        (prod, "topic", "payments"),
    ]:
        services.board_item_add(user=alice, board=board, cluster_id=cluster.pk, kind=kind, name=name)
    return board


def test_board_get_by_token_for_anyone_logged_in(board, bob):
    assert selectors.board_get(user=bob, token=board.share_token) == board
    with pytest.raises(Http404):
        selectors.board_get(user=bob, token="no-such-token-at-all-xx")
    with pytest.raises(PermissionDenied):
        selectors.board_get(user=AnonymousUser(), token=board.share_token)
    with pytest.raises(PermissionDenied) as exc:
        selectors.board_get_owned(user=bob, token=board.share_token)
    assert "Only alice can change board 'Ops'" in str(exc.value)


def test_board_list_is_only_mine_with_counts(board, bob):
    services.board_create(user=bob, name="Bob's")
    assert [(b.name, b.item_count) for b in selectors.board_list(user=bob)] == [("Bob's", 0)]
    assert [(b.name, b.item_count) for b in selectors.board_list(user=board.owner)] == [("Ops", 3)]


def test_items_on_clusters_the_viewer_cannot_see_are_left_out_and_counted(board, bob, hide_secret):
    view = selectors.board_view(user=bob, board=board)
    assert [(i.kind, i.name) for i in view.items] == [("group", "payments-ledger"), ("topic", "payments")]
    assert view.hidden == 1 and view.is_owner is False
    assert "hidden-group" not in view.live_subscribe and "secret" not in view.live_clusters
    owner_view = selectors.board_view(user=board.owner, board=board)
    assert owner_view.hidden == 0 and len(owner_view.items) == 3 and owner_view.is_owner
    # A user without any grant sees the shared board but none of its items.
    carol = get_user_model().objects.create_user("carol", "carol@example.com", "pw-carol-123")
    assert selectors.board_view(user=carol, board=board).hidden == 3


def test_group_cards_have_compact_total_only_lag_charts_with_unique_slugs(board, prod):
    view = selectors.board_view(user=board.owner, board=board)
    group, _hidden, topic = view.items
    assert group.group.total_lag == 42 and group.exists
    item_id = group.pk
    assert [c.slug for c in group.charts] == [f"item-{item_id}-lag", f"item-{item_id}-lag-seconds"]
    assert all(c.height == 180 and c.cluster_id == prod.pk for c in group.charts)
    assert [[(t.kind, t.key) for t in c.traces] for c in group.charts] == [
        [("group.lag", "payments-ledger")],
        [("group.lag_seconds", "payments-ledger")],
    ]
    assert [(c.slug, c.unit) for c in topic.charts] == [(f"item-{topic.pk}-messages", "messages/s")]
    assert topic.topic.messages_per_s == 12.5
    assert group.page_url == f"/clusters/{prod.pk}/groups/payments-ledger/"


def test_a_vanished_group_says_so_instead_of_failing(board, prod):
    GroupMeta.objects.filter(cluster=prod, group_id="payments-ledger").delete()
    view = selectors.board_view(user=board.owner, board=board)
    gone = view.items[0]
    assert not gone.exists and gone.charts == []
    assert gone.missing == "Consumer group 'payments-ledger' no longer exists on prod as of the last poll."
    subs = json.loads(view.live_subscribe)
    assert {"cluster": prod.pk, "group": "payments-ledger"} not in subs
    assert {"cluster": prod.pk, "topic": "payments"} in subs


def test_live_subscriptions_cover_each_shown_item_and_cluster(board, prod, secret):
    view = selectors.board_view(user=board.owner, board=board)
    assert json.loads(view.live_subscribe) == [
        {"cluster": prod.pk, "group": "payments-ledger"},
        {"cluster": secret.pk, "group": "hidden-group"},
        {"cluster": prod.pk, "topic": "payments"},
    ]
    assert view.live_clusters == ",".join(str(pk) for pk in sorted([prod.pk, secret.pk]))


def test_pin_choices_mark_the_boards_that_hold_it(board, prod):
    other = services.board_create(user=board.owner, name="Another")
    choices = selectors.pin_choices(user=board.owner, cluster=prod, kind="group", name="payments-ledger")
    assert [(c.board.name, c.pinned) for c in choices] == [(other.name, False), ("Ops", True)]
    assert selectors.pin_choices(user=AnonymousUser(), cluster=prod, kind="group", name="x") == []


def test_board_item_view_is_404_for_hidden_items(board, bob, secret, hide_secret):
    hidden = BoardItem.objects.get(cluster=secret)
    with pytest.raises(Http404):
        selectors.board_item_view(user=bob, board=board, item_id=hidden.pk)
    assert selectors.board_item_view(user=board.owner, board=board, item_id=hidden.pk).name == "hidden-group"
