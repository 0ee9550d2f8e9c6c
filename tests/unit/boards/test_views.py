"""Board pages without a network: list, create, the board, owner-only controls, pinning."""

import re

import pytest
from django.contrib.auth import get_user_model
from django.template import Context, RequestContext, Template
from django.test import Client, RequestFactory

from access.models import AuditEvent
from boards import services
from boards.models import Board
from consumer_groups.models import GroupMeta

pytestmark = pytest.mark.django_db


def _login(user):
    client = Client()
    client.force_login(user)
    return client


@pytest.fixture
def board(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="payments-ledger")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="topic", name="payments")
    return board


def test_pages_need_a_login(board):
    for url in ("/boards/", f"/boards/{board.share_token}/"):
        response = Client().get(url)
        assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_empty_list_says_how_to_pin_and_create_works(alice):
    client = _login(alice)
    page = client.get("/boards/").content.decode()
    assert "No boards yet" in page and "press <em>Pin</em>" in page
    response = client.post("/boards/", {"name": "Payments"})
    board = Board.objects.get(owner=alice)
    assert response.status_code == 302 and response["Location"] == f"/boards/{board.share_token}/"
    page = client.get(response["Location"]).content.decode()
    assert "Nothing pinned yet" in page and "created" in page
    response = client.post("/boards/", {"name": "payments"})
    assert response.status_code == 400 and "already have a board" in response.content.decode()


def test_board_page_shows_cards_in_order_with_live_charts(board, prod):
    page = _login(board.owner).get(f"/boards/{board.share_token}/").content.decode()
    group, topic = board.items.order_by("position")
    assert page.index(f'id="item-{group.pk}"') < page.index(f'id="item-{topic.pk}"')
    for slug in (f"item-{group.pk}-lag", f"item-{group.pk}-lag-seconds", f"item-{topic.pk}-messages"):
        assert f'id="chart-{slug}"' in page
    assert 'data-live-fact="total-lag">42<' in page and "1 min 15 s" in page  # 75 s of lag in time
    assert f'data-live-clusters="{prod.pk}"' in page
    assert "data-range-picker" in page and "boards/board.js" in page and "plotly" in page
    assert "Delete board" in page and "Remove" in page and "Save a copy" not in page
    assert f"http://testserver/boards/{board.share_token}/" in page and "Copy link" in page


def test_shared_link_is_read_only_for_others(board, bob):
    client = _login(bob)
    page = client.get(f"/boards/{board.share_token}/").content.decode()
    assert "Shared by alice" in page and "Save a copy" in page
    assert "Delete board" not in page and ">Remove<" not in page and "Rename" not in page
    item = board.items.first()
    for url, data in [
        (f"/boards/{board.share_token}/rename/", {"name": "Bob's now"}),
        (f"/boards/{board.share_token}/delete/", {}),
        (f"/boards/{board.share_token}/items/{item.pk}/remove/", {}),
        (f"/boards/{board.share_token}/items/{item.pk}/move/", {"direction": "down"}),
    ]:
        assert client.post(url, data).status_code == 403, url
    assert client.get(f"/boards/{board.share_token}/delete/").status_code == 403
    board.refresh_from_db()
    assert board.name == "Ops" and board.items.count() == 2


def test_save_a_copy_makes_an_own_board(board, bob):
    response = _login(bob).post(f"/boards/{board.share_token}/copy/")
    copy = Board.objects.get(owner=bob)
    assert response["Location"] == f"/boards/{copy.share_token}/" and copy.items.count() == 2


def test_hidden_items_are_not_shown_at_all(alice, bob, prod, hide_secret):
    alice.is_superuser = True
    alice.save()
    board = services.board_create(user=alice, name="Mixed")
    services.board_item_add(user=alice, board=board, cluster_id=hide_secret.pk, kind="group", name="hidden-group")
    page = _login(bob).get(f"/boards/{board.share_token}/").content.decode()
    assert "1 pinned item is hidden because you cannot see their cluster." in page
    assert "hidden-group" not in page and "secret-cluster" not in page
    assert "Nothing pinned yet" not in page


def test_vanished_group_says_so(board, prod):
    GroupMeta.objects.filter(group_id="payments-ledger").delete()
    response = _login(board.owner).get(f"/boards/{board.share_token}/")
    assert response.status_code == 200
    assert "no longer exists on prod as of the last poll" in response.content.decode()


def test_rename_move_remove_and_delete_as_owner(board):
    client = _login(board.owner)
    token = board.share_token
    response = client.post(f"/boards/{token}/rename/", {"name": ""})
    assert response.status_code == 400 and "1 to 100 characters" in response.content.decode()
    assert client.post(f"/boards/{token}/rename/", {"name": "Ops 2"}).status_code == 302
    group, topic = board.items.order_by("position")
    response = client.post(f"/boards/{token}/items/{topic.pk}/move/", {"direction": "up"})
    assert response["Location"] == f"/boards/{token}/#item-{topic.pk}"
    assert list(board.items.order_by("position").values_list("pk", flat=True)) == [topic.pk, group.pk]
    client.post(f"/boards/{token}/items/{topic.pk}/remove/")
    assert list(board.items.values_list("pk", flat=True)) == [group.pk]
    confirm = client.get(f"/boards/{token}/delete/").content.decode()
    assert "Delete board “Ops 2”?" in confirm and "1 pinned item" in confirm
    assert client.post(f"/boards/{token}/delete/")["Location"] == "/boards/"
    assert not Board.objects.exists()
    assert client.get(f"/boards/{token}/").status_code == 404


def test_pin_from_the_group_page_then_again(alice, prod):
    client = _login(alice)
    data = {"cluster": prod.pk, "kind": "group", "name": "payments-ledger", "board": ""}
    response = client.post("/boards/pin/", data, follow=False)
    assert response["Location"] == f"/clusters/{prod.pk}/groups/payments-ledger/"
    board = Board.objects.get(owner=alice)
    assert board.name == "My board" and board.items.get().name == "payments-ledger"
    client.post("/boards/pin/", {**data, "board": board.share_token})
    # Messages are stored in the session until a page shows them; read them from the next page.
    page = client.get("/boards/").content.decode()
    assert "Pinned group &#x27;payments-ledger&#x27; to board &#x27;My board&#x27;" in page
    assert "already pinned on board &#x27;My board&#x27;" in page
    assert board.items.count() == 1


def test_pin_of_something_not_polled_yet_flashes_the_reason(alice, prod):
    client = _login(alice)
    client.post("/boards/pin/", {"cluster": prod.pk, "kind": "topic", "name": "fresh-topic", "board": ""})
    page = client.get("/boards/").content.decode()
    assert "Not pinned: Topic &#x27;fresh-topic&#x27; is not in the stored snapshot" in page
    assert not Board.objects.exists()


def test_pin_to_someone_elses_board_is_403(board, bob, prod):
    response = _login(bob).post(
        "/boards/pin/", {"cluster": prod.pk, "kind": "topic", "name": "payments", "board": board.share_token}
    )
    assert response.status_code == 403
    assert not AuditEvent.objects.filter(action="board.pin", actor="bob", result="ok").exists()


def test_pin_form_lists_my_boards_and_marks_pinned(board, prod):
    other = services.board_create(user=board.owner, name="Another")
    request = RequestFactory().get("/")
    request.user = board.owner
    template = Template('{% include "boards/_pin.html" with pin_kind="group" pin_name="payments-ledger" %}')
    html = template.render(RequestContext(request, {"cluster": prod}))
    assert 'action="/boards/pin/"' in html and 'name="csrfmiddlewaretoken"' in html
    options = re.findall(r'<option value="([^"]*)"[^>]*>([^<]*)</option>', html)
    assert options == [
        (other.share_token, "Another"),
        (board.share_token, "Ops (pinned)"),
        ("", "New board: My board"),
    ]
    request.user = get_user_model().objects.create_user("carol")  # no boards yet
    html = template.render(RequestContext(request, {"cluster": prod}))
    assert "Pin to “My board”" in html and "<select" not in html
    assert Template('{% include "boards/_pin.html" %}').render(Context({})).strip() == ""
