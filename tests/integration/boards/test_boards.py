"""Boards against the real broker: pin a group and a topic the poller has seen, render
the board with their chart specs, share it read-only, and see a deleted group reported."""

import html
import json
import re
import time
import uuid

import pytest
from django.test import Client
from kafka import KafkaAdminClient, KafkaConsumer, KafkaProducer, TopicPartition
from kafka.admin import NewTopic
from kafka.structs import OffsetAndMetadata
from rest_framework.test import APIClient

from access.models import AuditEvent
from boards.models import Board
from monitoring.services import cluster_poll
from tests.grants import grant

pytestmark = pytest.mark.django_db


def _topic_and_group(bootstrap: str) -> tuple[str, str]:
    topic, group = f"board-{uuid.uuid4().hex[:8]}", f"board-reader-{uuid.uuid4().hex[:8]}"
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()
    producer = KafkaProducer(bootstrap_servers=bootstrap)
    for i in range(7):
        producer.send(topic, f"m{i}".encode())
    producer.flush()
    producer.close()
    consumer = KafkaConsumer(bootstrap_servers=bootstrap, group_id=group, enable_auto_commit=False)
    consumer.commit({TopicPartition(topic, 0): OffsetAndMetadata(4, "", -1)})  # 3 behind
    consumer.close()
    return topic, group


def _chart_configs(page: str) -> dict[str, dict]:
    """Each live chart on a page: slug -> its data-chart JSON, as charts.js reads it."""
    found = re.findall(r'<figure class="chartbox" id="chart-([^"]+)" data-chart="([^"]+)"', page)
    return {slug: json.loads(html.unescape(config)) for slug, config in found}


def test_pin_a_polled_group_and_topic_and_see_their_charts(local_cluster, stack_env, admin_user):
    topic, group = _topic_and_group(stack_env["KAFKA_BOOTSTRAP"])
    cluster_poll(cluster=local_cluster)
    client = Client()
    client.force_login(admin_user)

    # The group page offers the pin form; pinning creates "My board" and comes back with a notice.
    group_url = f"/clusters/{local_cluster.pk}/groups/{group}/"
    assert 'action="/boards/pin/"' in client.get(group_url).content.decode()
    form = {"cluster": local_cluster.pk, "kind": "group", "name": group, "board": ""}
    response = client.post("/boards/pin/", form, follow=True)
    assert response.redirect_chain[-1][0] == group_url
    assert f"Pinned group &#x27;{group}&#x27; to board &#x27;My board&#x27;" in response.content.decode()
    board = Board.objects.get(owner=admin_user)
    again = client.post("/boards/pin/", {**form, "board": board.share_token}, follow=True).content.decode()
    assert "already pinned" in again and board.items.count() == 1

    # The topic is pinned through the API.
    api = APIClient()
    api.force_authenticate(admin_user)
    response = api.post(
        f"/api/v1/boards/{board.share_token}/items/",
        {"cluster": local_cluster.pk, "kind": "topic", "name": topic},
        format="json",
    )
    assert response.status_code == 201, response.content

    page = client.get(f"/boards/{board.share_token}/").content.decode()
    group_item, topic_item = board.items.order_by("position")
    charts = _chart_configs(page)

    def traces(slug: str) -> list[tuple[str, str, str]]:
        return [(t["kind"], t["key"], t["name"]) for t in charts[slug]["traces"]]

    assert traces(f"item-{group_item.pk}-lag") == [("group.lag", group, "total")]
    assert traces(f"item-{group_item.pk}-lag-seconds") == [("group.lag_seconds", group, "max")]
    assert traces(f"item-{topic_item.pk}-messages") == [("topic.messages_per_s", topic, topic)]
    assert {c["cluster"] for c in charts.values()} == {local_cluster.pk}
    assert {c["height"] for c in charts.values()} == {180}
    assert 'data-live-fact="total-lag">3<' in page  # the group's lag from the real poll
    subscribe = re.search(r'data-live-subscribe="([^"]+)"', page).group(1)
    assert json.loads(html.unescape(subscribe)) == [
        {"cluster": local_cluster.pk, "group": group},
        {"cluster": local_cluster.pk, "topic": topic},
    ]
    body = api.get(f"/api/v1/boards/{board.share_token}/").json()
    assert [(i["name"], i["exists"]) for i in body["items"]] == [(group, True), (topic, True)]
    assert body["items"][0]["total_lag"] == 3
    assert AuditEvent.objects.filter(action="board.pin", result="ok", cluster=local_cluster).count() == 2


def test_a_group_not_polled_yet_is_refused_until_the_next_poll(local_cluster, stack_env, admin_user):
    cluster_poll(cluster=local_cluster)
    _topic, group = _topic_and_group(stack_env["KAFKA_BOOTSTRAP"])
    api = APIClient()
    api.force_authenticate(admin_user)
    token = api.post("/api/v1/boards/", {"name": "On call"}, format="json").json()["token"]
    body = {"cluster": local_cluster.pk, "kind": "group", "name": group}
    response = api.post(f"/api/v1/boards/{token}/items/", body, format="json")
    assert response.status_code == 400
    assert "wait for the next poll" in response.json()["errors"]["name"][0]
    cluster_poll(cluster=local_cluster)
    assert api.post(f"/api/v1/boards/{token}/items/", body, format="json").status_code == 201


def test_the_share_link_is_read_only_for_a_second_user(local_cluster, stack_env, admin_user, viewer):
    topic, group = _topic_and_group(stack_env["KAFKA_BOOTSTRAP"])
    cluster_poll(cluster=local_cluster)
    owner = APIClient()
    owner.force_authenticate(admin_user)
    token = owner.post("/api/v1/boards/", {"name": "Payments"}, format="json").json()["token"]
    pin = {"cluster": local_cluster.pk, "kind": "group", "name": group}
    item_id = owner.post(f"/api/v1/boards/{token}/items/", pin, format="json").json()["id"]

    page = Client()
    page.force_login(viewer)
    # Without a grant on the cluster the link opens, but the pinned group stays hidden.
    hidden = page.get(f"/boards/{token}/").content.decode()
    assert "1 pinned item is hidden because you cannot see their cluster." in hidden and group not in hidden
    grant(viewer, local_cluster, "viewer")
    shown = page.get(f"/boards/{token}/").content.decode()
    assert "Shared by admin" in shown and group in shown and "Save a copy" in shown
    assert f'id="chart-item-{item_id}-lag"' in shown and "Delete board" not in shown
    assert page.post(f"/boards/{token}/rename/", {"name": "Mine"}).status_code == 403

    api = APIClient()
    api.force_authenticate(viewer)
    assert api.get(f"/api/v1/boards/{token}/").json()["is_owner"] is False
    denied = [
        api.patch(f"/api/v1/boards/{token}/", {"name": "Mine"}, format="json"),
        api.delete(f"/api/v1/boards/{token}/"),
        api.post(f"/api/v1/boards/{token}/items/", {**pin, "kind": "topic", "name": topic}, format="json"),
        api.delete(f"/api/v1/boards/{token}/items/{item_id}/"),
    ]
    assert [r.status_code for r in denied] == [403, 403, 403, 403]
    assert all("Only admin can change board 'Payments'" in r.json()["detail"] for r in denied)
    assert [i["name"] for i in owner.get(f"/api/v1/boards/{token}/").json()["items"]] == [group]
    assert (
        AuditEvent.objects.filter(actor="viewer", result="denied", action__startswith="board.").count() == 5
    )  # the page and the API

    # The viewer keeps a copy of their own, which they may change.
    copy = api.post(f"/api/v1/boards/{token}/copy/").json()
    assert copy["is_owner"] is True and [i["name"] for i in copy["items"]] == [group]
    assert api.patch(f"/api/v1/boards/{copy['token']}/", {"name": "Mine"}, format="json").status_code == 200


def test_a_group_deleted_on_the_broker_is_reported_on_the_board(local_cluster, stack_env, admin_user):
    bootstrap = stack_env["KAFKA_BOOTSTRAP"]
    _topic, group = _topic_and_group(bootstrap)
    cluster_poll(cluster=local_cluster)
    api = APIClient()
    api.force_authenticate(admin_user)
    token = api.post("/api/v1/boards/", {"name": "Gone"}, format="json").json()["token"]
    pin = {"cluster": local_cluster.pk, "kind": "group", "name": group}
    assert api.post(f"/api/v1/boards/{token}/items/", pin, format="json").status_code == 201

    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.delete_groups([group])
    finally:
        admin.close()
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        cluster_poll(cluster=local_cluster)
        item = api.get(f"/api/v1/boards/{token}/").json()["items"][0]
        if not item["exists"]:
            break
        time.sleep(0.5)
    assert item["exists"] is False and item["charts"] == []
    page = Client()
    page.force_login(admin_user)
    response = page.get(f"/boards/{token}/")
    assert response.status_code == 200
    assert f"Consumer group &#x27;{group}&#x27; no longer exists on local as of the last poll" in (
        response.content.decode()
    )
