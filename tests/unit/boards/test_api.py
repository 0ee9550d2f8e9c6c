"""The boards API without a network: shapes, owner checks, 400s by field, schema."""

import pytest
from rest_framework.test import APIClient

from access.models import AuditEvent
from boards import services
from boards.models import MAX_ITEMS, Board, BoardItem
from consumer_groups.models import GroupMeta

pytestmark = pytest.mark.django_db


def _client(user=None):
    client = APIClient()
    if user is not None:
        client.force_authenticate(user)
    return client


@pytest.fixture
def board(alice, prod):
    board = services.board_create(user=alice, name="Ops")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="group", name="payments-ledger")
    return board


def test_list_shows_only_my_boards(board, bob):
    services.board_create(user=bob, name="Bob's board")
    response = _client(bob).get("/api/v1/boards/")
    assert response.status_code == 200
    assert [(b["name"], b["owner"], b["item_count"]) for b in response.json()] == [("Bob's board", "bob", 0)]
    mine = _client(board.owner).get("/api/v1/boards/").json()
    assert [(b["name"], b["token"], b["item_count"]) for b in mine] == [("Ops", board.share_token, 1)]


def test_create_returns_the_board_and_audits(alice):
    response = _client(alice).post("/api/v1/boards/", {"name": "Night shift"}, format="json")
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["name"] == "Night shift" and body["is_owner"] is True and body["items"] == []
    assert Board.objects.get(share_token=body["token"]).owner == alice
    assert AuditEvent.objects.filter(action="board.create", target="Night shift", result="ok").exists()


@pytest.mark.parametrize(("body", "fragment"), [({"name": ""}, "1 to 100"), ({"name": "ops"}, "already have a board")])
def test_create_rejects_bad_names_with_the_field(board, body, fragment):
    response = _client(board.owner).post("/api/v1/boards/", body, format="json")
    assert response.status_code == 400
    assert fragment in response.json()["errors"]["name"][0]
    assert response.json()["detail"]


def test_get_by_token_for_anyone_logged_in_with_live_values(board, bob, prod):
    response = _client(bob).get(f"/api/v1/boards/{board.share_token}/")
    assert response.status_code == 200
    body = response.json()
    assert body["owner"] == "alice" and body["is_owner"] is False and body["hidden_items"] == 0
    (item,) = body["items"]
    assert item["cluster"] == prod.pk and item["cluster_name"] == "prod"
    assert (item["kind"], item["name"], item["exists"]) == ("group", "payments-ledger", True)
    assert (item["status"], item["total_lag"], item["max_lag_seconds"]) == ("WARN", 42, 75.0)
    assert [c["slug"] for c in item["charts"]] == [f"item-{item['id']}-lag", f"item-{item['id']}-lag-seconds"]
    assert item["charts"][0]["traces"] == [{"kind": "group.lag", "key": "payments-ledger", "name": "total"}]


def test_unknown_token_is_404_and_anonymous_is_refused(board):
    assert _client(board.owner).get("/api/v1/boards/not-a-real-token-xxxxx/").status_code == 404
    anonymous = _client().get(f"/api/v1/boards/{board.share_token}/")
    assert anonymous.status_code == 401 and anonymous["WWW-Authenticate"].startswith("Bearer")


def test_non_owners_get_403_with_a_reason_and_nothing_changes(board, bob, prod):
    client = _client(bob)
    item = board.items.get()
    token = board.share_token
    responses = [
        client.patch(f"/api/v1/boards/{token}/", {"name": "Mine"}, format="json"),
        client.delete(f"/api/v1/boards/{token}/"),
        client.post(
            f"/api/v1/boards/{token}/items/", {"cluster": prod.pk, "kind": "topic", "name": "payments"}, format="json"
        ),
        client.delete(f"/api/v1/boards/{token}/items/{item.pk}/"),
        client.post(f"/api/v1/boards/{token}/items/{item.pk}/move/", {"direction": "up"}, format="json"),
    ]
    for response in responses:
        assert response.status_code == 403, response.content
        assert "Only alice can change board 'Ops'" in response.json()["detail"]
    board.refresh_from_db()
    assert board.name == "Ops" and board.items.count() == 1


def test_owner_renames_pins_moves_unpins_and_deletes(board, prod):
    client = _client(board.owner)
    token = board.share_token
    response = client.patch(f"/api/v1/boards/{token}/", {"name": "Ops 2"}, format="json")
    assert response.status_code == 200 and response.json()["name"] == "Ops 2" and response.json()["token"] == token
    response = client.post(
        f"/api/v1/boards/{token}/items/", {"cluster": prod.pk, "kind": "topic", "name": "payments"}, format="json"
    )
    assert response.status_code == 201, response.content
    topic = response.json()
    assert (topic["kind"], topic["position"], topic["messages_per_s"]) == ("topic", 1, 12.5)
    response = client.post(f"/api/v1/boards/{token}/items/{topic['id']}/move/", {"direction": "up"}, format="json")
    assert [i["name"] for i in response.json()["items"]] == ["payments", "payments-ledger"]
    assert client.delete(f"/api/v1/boards/{token}/items/{topic['id']}/").status_code == 204
    assert client.delete(f"/api/v1/boards/{token}/items/{topic['id']}/").status_code == 404
    assert client.delete(f"/api/v1/boards/{token}/").status_code == 204
    assert not Board.objects.filter(share_token=token).exists()
    assert set(AuditEvent.objects.values_list("action", flat=True)) >= {
        "board.rename",
        "board.pin",
        "board.move",
        "board.unpin",
        "board.delete",
    }


@pytest.mark.parametrize(
    ("body", "field", "fragment"),
    [
        ({"cluster": "PROD", "kind": "group", "name": "x"}, "cluster", "valid integer"),
        ({"cluster": None, "kind": "group", "name": "payments"}, "cluster", "null"),
        ({"kind": "group", "name": "x"}, "cluster", "required"),
        ({"cluster": "{prod}", "kind": "queue", "name": "payments"}, "kind", "Unknown kind 'queue'"),
        ({"cluster": 987654, "kind": "group", "name": "payments-ledger"}, "cluster", "does not exist or you may not"),
        ({"cluster": "{prod}", "kind": "group", "name": "brand-new"}, "name", "wait for the next poll"),
        ({"cluster": "{prod}", "kind": "group", "name": "payments-ledger"}, "name", "already pinned"),
    ],
)
def test_pin_rejects_bad_input_with_400_by_field(board, prod, body, field, fragment):
    body = {k: (prod.pk if v == "{prod}" else v) for k, v in body.items()}
    response = _client(board.owner).post(f"/api/v1/boards/{board.share_token}/items/", body, format="json")
    assert response.status_code == 400, response.content
    assert fragment in " ".join(response.json()["errors"][field])
    assert board.items.count() == 1


def test_pin_to_an_invisible_cluster_answers_like_a_missing_one(board, prod, hide_secret):
    client = _client(board.owner)
    url = f"/api/v1/boards/{board.share_token}/items/"
    hidden = client.post(url, {"cluster": hide_secret.pk, "kind": "group", "name": "hidden-group"}, format="json")
    missing = client.post(url, {"cluster": 987654, "kind": "group", "name": "hidden-group"}, format="json")
    assert hidden.status_code == missing.status_code == 400
    assert hidden.json()["errors"]["cluster"][0].replace(str(hide_secret.pk), "N") == missing.json()["errors"][
        "cluster"
    ][0].replace("987654", "N")


def test_too_many_items_is_a_400(board, prod):
    GroupMeta.objects.bulk_create(GroupMeta(cluster=prod, group_id=f"g-{n}") for n in range(MAX_ITEMS))
    BoardItem.objects.bulk_create(
        BoardItem(board=board, cluster=prod, kind="group", name=f"g-{n}", position=n + 1) for n in range(MAX_ITEMS - 1)
    )
    response = _client(board.owner).post(
        f"/api/v1/boards/{board.share_token}/items/",
        {"cluster": prod.pk, "kind": "group", "name": f"g-{MAX_ITEMS - 1}"},
        format="json",
    )
    assert response.status_code == 400
    assert "already holds 50 items" in response.json()["errors"]["non_field_errors"][0]


def test_hidden_items_are_filtered_and_counted(alice, bob, prod, hide_secret):
    alice.is_superuser = True
    alice.save()
    board = services.board_create(user=alice, name="Mixed")
    services.board_item_add(user=alice, board=board, cluster_id=hide_secret.pk, kind="group", name="hidden-group")
    services.board_item_add(user=alice, board=board, cluster_id=prod.pk, kind="topic", name="payments")
    response = _client(bob).get(f"/api/v1/boards/{board.share_token}/")
    body = response.json()
    assert body["hidden_items"] == 1 and [i["name"] for i in body["items"]] == ["payments"]
    assert "hidden-group" not in response.content.decode() and "secret-cluster" not in response.content.decode()


def test_save_a_copy_through_the_api(board, bob):
    response = _client(bob).post(f"/api/v1/boards/{board.share_token}/copy/")
    assert response.status_code == 201
    body = response.json()
    assert body["owner"] == "bob" and body["name"] == "Copy of Ops" and body["is_owner"] is True
    assert [i["name"] for i in body["items"]] == ["payments-ledger"] and body["token"] != board.share_token


def test_openapi_schema_documents_the_board_endpoints(alice):
    response = _client(alice).get("/api/v1/schema/?format=json")
    assert response.status_code == 200
    schema = response.json()
    paths = schema["paths"]
    assert set(paths["/api/v1/boards/"]) >= {"get", "post"}
    assert set(paths["/api/v1/boards/{token}/"]) >= {"get", "patch", "delete"}
    assert "post" in paths["/api/v1/boards/{token}/items/"]
    assert "delete" in paths["/api/v1/boards/{token}/items/{item_id}/"]
    item = schema["components"]["schemas"]["BoardItem"]["properties"]
    assert {"cluster", "kind", "name", "exists", "total_lag", "charts"} <= set(item)
    assert set(schema["components"]["schemas"]["ItemCreateRequest"]["properties"]) == {"cluster", "kind", "name"}
