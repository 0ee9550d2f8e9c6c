"""Offset reset, group delete and offsets delete over the API against the real broker."""

import pytest
from rest_framework.test import APIClient

from access.models import AuditEvent, Grant
from clusters.gateway import lag_snapshot
from tests.grants import grant

from .conftest import COMMITTED, COUNTS, STEP_MS

pytestmark = pytest.mark.django_db


def reset_url(cluster, group):
    return f"/api/v1/clusters/{cluster.pk}/groups/{group}/offsets/reset/"


def by_tp(body):
    return {(r["topic"], r["partition"]): (r["before"], r["after"]) for r in body["partitions"]}


def notes(body):
    return {r["partition"]: r["note"] for r in body["partitions"]}


def original(setup):
    return {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): COMMITTED[1]}


@pytest.mark.parametrize(
    ("request_body", "expected"),
    [
        ({"strategy": "earliest"}, (0, 0)),
        ({"strategy": "latest"}, COUNTS),
        ({"strategy": "offset", "offset": 5}, (5, 5)),
        ({"strategy": "shift", "shift": 2}, (6, 5)),
        ({"strategy": "shift", "shift": -1}, (3, 2)),
    ],
)
def test_preview_shows_old_and_new_and_changes_nothing(api, local_cluster, kafka, setup, request_body, expected):
    body = {"scope": "topic", "topic": setup.topic, "dry_run": True, **request_body}
    response = api.post(reset_url(local_cluster, setup.group), body, format="json")
    assert response.status_code == 200, response.content
    data = response.json()
    assert data["dry_run"] is True
    assert by_tp(data) == {
        (setup.topic, 0): (COMMITTED[0], expected[0]),
        (setup.topic, 1): (COMMITTED[1], expected[1]),
    }
    assert {(r["earliest"], r["latest"]) for r in data["partitions"]} == {(0, COUNTS[0]), (0, COUNTS[1])}
    assert kafka.committed(setup.group) == original(setup)
    assert not AuditEvent.objects.filter(action="group.offsets.reset").exists()


def test_preview_by_timestamp_finds_the_first_record_at_or_after_it(api, local_cluster, kafka, setup):
    body = {"scope": "all", "strategy": "timestamp", "timestamp": setup.t0 + 4 * STEP_MS + 500, "dry_run": True}
    data = api.post(reset_url(local_cluster, setup.group), body, format="json").json()
    assert by_tp(data) == {(setup.topic, 0): (4, 5), (setup.topic, 1): (3, 5)}
    # After partition 1's last record (index 5): the end, and the preview says so.
    body["timestamp"] = setup.t0 + 7 * STEP_MS + 500
    data = api.post(reset_url(local_cluster, setup.group), body, format="json").json()
    assert by_tp(data) == {(setup.topic, 0): (4, 8), (setup.topic, 1): (3, COUNTS[1])}
    assert "No record at or after this time" in notes(data)[1] and notes(data)[0] == ""
    assert kafka.committed(setup.group) == original(setup)


def test_timestamp_before_the_earliest_record_resolves_to_earliest_and_says_so(api, local_cluster, kafka, setup):
    body = {"scope": "topic", "topic": setup.topic, "strategy": "timestamp", "dry_run": True}
    body["timestamp"] = "2001-01-01T00:00:00Z"
    data = api.post(reset_url(local_cluster, setup.group), body, format="json").json()
    assert by_tp(data) == {(setup.topic, 0): (4, 0), (setup.topic, 1): (3, 0)}
    assert all("before the earliest record" in n for n in notes(data).values())
    assert len(data["warnings"]) == 2


def test_shift_past_either_end_is_clamped_per_partition(api, local_cluster, setup):
    body = {"scope": "topic", "topic": setup.topic, "strategy": "shift", "shift": 5, "dry_run": True}
    data = api.post(reset_url(local_cluster, setup.group), body, format="json").json()
    assert by_tp(data) == {(setup.topic, 0): (4, 9), (setup.topic, 1): (3, COUNTS[1])}
    assert notes(data)[0] == "" and f"clamped to {COUNTS[1]}" in notes(data)[1]
    body["shift"] = -4
    data = api.post(reset_url(local_cluster, setup.group), body, format="json").json()
    assert by_tp(data) == {(setup.topic, 0): (4, 0), (setup.topic, 1): (3, 0)}
    assert "clamped to 0" in notes(data)[1]


def test_apply_changes_the_committed_offsets_and_audits_before_and_after(api, local_cluster, kafka, setup):
    body = {"scope": "partitions", "topic": setup.topic, "partitions": [1], "strategy": "offset", "offset": 1}
    response = api.post(reset_url(local_cluster, setup.group), body, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["dry_run"] is False and response.json()["changed"] == 1
    assert kafka.committed(setup.group) == {(setup.topic, 0): COMMITTED[0], (setup.topic, 1): 1}
    event = AuditEvent.objects.get(action="group.offsets.reset", target=setup.group)
    assert event.result == "ok"
    assert event.before == {f"{setup.topic}/1": COMMITTED[1]}
    assert event.after["offsets"] == {f"{setup.topic}/1": 1} and event.after["strategy"] == "offset"

    # Shift the whole group back by 2: seen by the lag snapshot too.
    body = {"scope": "all", "strategy": "shift", "shift": -2}
    assert api.post(reset_url(local_cluster, setup.group), body, format="json").status_code == 200
    committed = lag_snapshot(local_cluster.connection()).group(setup.group).committed
    assert committed == {(setup.topic, 0): 2, (setup.topic, 1): 0}
    assert AuditEvent.objects.filter(action="group.offsets.reset", target=setup.group).count() == 2


def test_apply_by_timestamp_and_to_latest(api, local_cluster, kafka, setup):
    body = {"scope": "topic", "topic": setup.topic, "strategy": "timestamp", "timestamp": setup.t0 + 2 * STEP_MS}
    assert api.post(reset_url(local_cluster, setup.group), body, format="json").status_code == 200
    assert kafka.committed(setup.group) == {(setup.topic, 0): 2, (setup.topic, 1): 2}
    body = {"scope": "all", "strategy": "latest"}
    assert api.post(reset_url(local_cluster, setup.group), body, format="json").status_code == 200
    assert kafka.committed(setup.group) == {(setup.topic, 0): COUNTS[0], (setup.topic, 1): COUNTS[1]}


def test_reset_gives_a_group_its_first_offsets_on_a_new_topic(api, local_cluster, kafka, setup):
    other = kafka.topic(counts=(3,))
    body = {"scope": "topic", "topic": other, "strategy": "latest"}
    response = api.post(reset_url(local_cluster, setup.group), body, format="json")
    assert response.status_code == 200, response.content
    assert by_tp(response.json()) == {(other, 0): (None, 3)}
    assert kafka.committed(setup.group) == {**original(setup), (other, 0): 3}


def test_active_group_is_refused_with_409_naming_the_member(api, local_cluster, kafka, setup, live_member):
    for dry_run in (True, False):
        body = {"scope": "all", "strategy": "earliest", "dry_run": dry_run}
        response = api.post(reset_url(local_cluster, setup.group), body, format="json")
        assert response.status_code == 409, response.content
        data = response.json()
        assert data["code"] == "group_active" and data["group_id"] == setup.group
        assert [m["client_id"] for m in data["members"]] == [live_member.client_id]
        assert live_member.client_id in data["detail"] and "no active members" in data["detail"]
        assert sorted(data["members"][0]["assignment"]) == [f"{setup.topic}/0", f"{setup.topic}/1"]
    base = f"/api/v1/clusters/{local_cluster.pk}/groups/{setup.group}/"
    response = api.post(base + "delete/", {"confirm": setup.group}, format="json")
    assert response.status_code == 409 and response.json()["members"][0]["client_id"] == live_member.client_id
    response = api.post(base + "offsets/delete/", {"topic": setup.topic}, format="json")
    assert response.status_code == 409 and live_member.client_id in response.json()["detail"]
    assert kafka.committed(setup.group) == original(setup)
    assert kafka.group_exists(setup.group)
    assert not AuditEvent.objects.filter(target=setup.group, result="ok").exists()


@pytest.mark.parametrize(
    ("change", "field", "fragment"),
    [
        ({"strategy": "timestamp", "timestamp": "2999-01-01T00:00:00Z"}, "timestamp", "in the future"),
        ({"strategy": "timestamp", "timestamp": "soon"}, "timestamp", "ISO 8601"),
        ({"strategy": "offset", "offset": 11}, "offset", "accepts 0 to 10"),
        ({"strategy": "offset", "offset": 7}, "offset", "/1 accepts 0 to 6"),
        ({"strategy": "offset", "offset": -1}, "offset", "start at 0"),
        ({"strategy": "shift", "shift": 0}, "shift", "changes nothing"),
        ({"strategy": "offset"}, "offset", "required"),
        ({"scope": "partitions", "partitions": [0, 9], "strategy": "earliest"}, "partitions", "no partition 9"),
        ({"topic": "gofs-no-such-topic", "strategy": "earliest"}, "topic", "does not exist"),
        ({"scope": "partitions", "strategy": "earliest"}, "partitions", "at least one"),
    ],
)
def test_bad_input_is_a_400_naming_the_field_and_changes_nothing(
    api, local_cluster, kafka, setup, change, field, fragment
):
    body = {"scope": "topic", "topic": setup.topic, **change}
    response = api.post(reset_url(local_cluster, setup.group), body, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert field in errors, errors
    assert fragment in " ".join(errors[field])
    assert kafka.committed(setup.group) == original(setup)
    assert not AuditEvent.objects.filter(target=setup.group).exists()


def test_unknown_group_is_a_404_with_the_reason(api, local_cluster, setup):
    missing = f"{setup.group}-missing"
    base = f"/api/v1/clusters/{local_cluster.pk}/groups/{missing}/"
    for path, body in (
        ("offsets/reset/", {"scope": "all", "strategy": "earliest", "dry_run": True}),
        ("offsets/reset/", {"scope": "topic", "topic": setup.topic, "strategy": "earliest"}),
        ("delete/", {"confirm": missing}),
        ("offsets/delete/", {"topic": setup.topic}),
    ):
        response = api.post(base + path, body, format="json")
        assert response.status_code == 404, (path, response.content)
        assert f"Consumer group '{missing}' does not exist" in response.json()["detail"]
    assert not AuditEvent.objects.filter(target=missing).exists()


def test_delete_offsets_of_one_topic_keeps_the_others(api, local_cluster, kafka, setup):
    other = kafka.topic(counts=(4,))
    kafka.commit(setup.group, {(other, 0): 2})
    url = f"/api/v1/clusters/{local_cluster.pk}/groups/{setup.group}/offsets/delete/"
    response = api.post(url, {"topic": setup.topic}, format="json")
    assert response.status_code == 200, response.content
    assert response.json() == {"group_id": setup.group, "topic": setup.topic, "offsets": {"0": 4, "1": 3}}
    assert kafka.committed(setup.group) == {(other, 0): 2}
    event = AuditEvent.objects.get(action="group.offsets.delete", target=setup.group)
    assert event.before == {"topic": setup.topic, "offsets": {"0": 4, "1": 3}}
    assert event.after == {"topic": setup.topic, "offsets": {}}
    # Again: nothing left on that topic is a 400 naming the topic and its remaining topics.
    response = api.post(url, {"topic": setup.topic}, format="json")
    assert response.status_code == 400 and other in response.json()["errors"]["topic"][0]


def test_delete_group_removes_it_and_audits_its_offsets(api, local_cluster, kafka, setup):
    url = f"/api/v1/clusters/{local_cluster.pk}/groups/{setup.group}/delete/"
    response = api.post(url, {"confirm": "not-it"}, format="json")
    assert response.status_code == 400 and "confirm" in response.json()["errors"]
    assert kafka.group_exists(setup.group)
    response = api.delete(f"{url}?confirm={setup.group}")
    assert response.status_code == 204, response.content
    assert not kafka.group_exists(setup.group)
    assert kafka.committed(setup.group) == {}
    event = AuditEvent.objects.get(action="group.delete", target=setup.group)
    assert event.result == "ok" and event.before["offsets"] == {f"{setup.topic}/0": 4, f"{setup.topic}/1": 3}
    assert event.before["state"] == "Empty"
    assert api.post(url, {"confirm": setup.group}, format="json").status_code == 404


def test_viewer_gets_403_and_a_read_only_cluster_refuses(api, local_cluster, kafka, setup, viewer):
    base = f"/api/v1/clusters/{local_cluster.pk}/groups/{setup.group}/"
    calls = [
        ("offsets/reset/", {"scope": "all", "strategy": "earliest"}, "operator"),
        ("delete/", {"confirm": setup.group}, "admin"),
        ("offsets/delete/", {"topic": setup.topic}, "admin"),
    ]
    as_viewer = APIClient()
    as_viewer.force_authenticate(viewer)
    assert as_viewer.post(base + "offsets/reset/", calls[0][1], format="json").status_code == 404  # no grant
    grant(viewer, local_cluster, "viewer")
    for path, body, needed in calls:
        response = as_viewer.post(base + path, body, format="json")
        assert response.status_code == 403 and f"{needed} role" in response.json()["detail"]
    assert kafka.committed(setup.group) == original(setup)
    # An operator resets offsets for real, but deleting the group or its offsets stays with admins.
    Grant.objects.filter(user=viewer).update(role="operator")
    response = as_viewer.post(base + "offsets/reset/", calls[0][1], format="json")
    assert response.status_code == 200, response.content
    reset = {(setup.topic, 0): 0, (setup.topic, 1): 0}
    assert kafka.committed(setup.group) == reset
    for path, body, _needed in calls[1:]:
        response = as_viewer.post(base + path, body, format="json")
        assert response.status_code == 403 and "admin role" in response.json()["detail"]
    local_cluster.read_only = True
    local_cluster.save()
    for path, body, _needed in calls:
        response = api.post(base + path, body, format="json")
        assert response.status_code == 403 and "read-only" in response.json()["detail"]
    assert kafka.committed(setup.group) == reset
    assert kafka.group_exists(setup.group)
    # 1 probe without a grant (404), 3 viewer + 2 operator refusals, 3 read-only refusals.
    assert AuditEvent.objects.filter(result="denied").count() == 9
