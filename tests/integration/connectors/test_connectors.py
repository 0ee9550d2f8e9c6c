"""Connectors against the REAL Kafka Connect worker: FileStreamSource end to end, validation, Connect down."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from kafka import KafkaConsumer
from kafka.admin import KafkaAdminClient, NewTopic

from access.models import AuditEvent
from clusters.models import Cluster, ClusterStatus

pytestmark = pytest.mark.django_db

SOURCE = "org.apache.kafka.connect.file.FileStreamSourceConnector"


def _base(cluster) -> str:
    return f"/api/v1/clusters/{cluster.pk}/connect/connectors/"


def _wait_state(api, cluster, name, want: str, *, tasks: bool = True, timeout: float = 40.0) -> dict:
    """Poll the status endpoint until the connector (and its tasks, when asked) reach `want`."""
    deadline, last = time.monotonic() + timeout, None
    while time.monotonic() < deadline:
        response = api.get(f"{_base(cluster)}{name}/status/")
        if response.status_code == 200:
            last = response.json()
            task_states = {t["state"] for t in last["tasks"]}
            if last["state"] == want and (not tasks or task_states == {want}):
                return last
        time.sleep(0.5)
    raise AssertionError(f"connector {name} did not reach {want} within {timeout} s; last status: {last}")


def _create_topic(bootstrap: str, topic: str) -> None:
    """The test broker does not auto-create topics: make the connector's topic first."""
    admin = KafkaAdminClient(bootstrap_servers=bootstrap)
    try:
        admin.create_topics([NewTopic(topic, 1, 1)])
    finally:
        admin.close()


def _consume(bootstrap: str, topic: str, count: int, timeout: float = 30.0) -> list[str]:
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=2000, group_id=None
    )
    values: list[str] = []
    deadline = time.monotonic() + timeout
    try:
        while len(values) < count and time.monotonic() < deadline:
            for record in consumer:
                values.append(record.value.decode())
                if len(values) >= count:
                    break
    finally:
        consumer.close()
    return values


@pytest.fixture
def source_file(tmp_path_factory):
    path = tmp_path_factory.mktemp("connect") / "input.txt"
    path.write_text("first line\nsecond line\nthird line\n")
    return path


def test_file_source_lifecycle(api, connect_cluster, connect_env, source_file):
    suffix = uuid.uuid4().hex[:8]
    name, topic = f"src-{suffix}", f"connect-src-{suffix}"
    config = {
        "connector.class": SOURCE,
        "tasks.max": "1",
        "file": str(source_file),
        "topic": topic,
        "custom.password": "hunter2-secret",
    }
    _create_topic(connect_env["KAFKA_BOOTSTRAP"], topic)
    created = api.post(_base(connect_cluster), {"name": name, "config": config}, format="json")
    assert created.status_code == 201, created.content
    assert created.json()["config"]["custom.password"] == "********"
    try:
        running = _wait_state(api, connect_cluster, name, "RUNNING")
        assert running["tasks"][0]["id"] == 0

        payloads = [json.loads(v).get("payload") for v in _consume(connect_env["KAFKA_BOOTSTRAP"], topic, 3)]
        assert payloads == ["first line", "second line", "third line"]

        listed = api.get(_base(connect_cluster)).json()
        row = next(r for r in listed if r["name"] == name)
        assert row["state"] == "RUNNING" and row["class"] == SOURCE

        detail = api.get(f"{_base(connect_cluster)}{name}/")
        assert detail.status_code == 200
        assert detail.json()["config"]["custom.password"] == "********"
        assert "hunter2-secret" not in detail.content.decode()

        assert api.post(f"{_base(connect_cluster)}{name}/pause/").status_code == 202
        _wait_state(api, connect_cluster, name, "PAUSED")
        assert api.post(f"{_base(connect_cluster)}{name}/resume/").status_code == 202
        _wait_state(api, connect_cluster, name, "RUNNING")
        assert api.post(f"{_base(connect_cluster)}{name}/restart/", {}, format="json").status_code == 202
        _wait_state(api, connect_cluster, name, "RUNNING")
        assert api.post(f"{_base(connect_cluster)}{name}/tasks/restart/", {"task": 0}, format="json").status_code == 202
        _wait_state(api, connect_cluster, name, "RUNNING")

        offsets = api.get(f"{_base(connect_cluster)}{name}/offsets/")
        assert offsets.status_code == 200
        assert any(e["partition"].get("filename") == str(source_file) for e in offsets.json())

        # Editing keeps the masked secret and changes what was asked.
        edited = api.put(
            f"{_base(connect_cluster)}{name}/config/",
            {"config": {**config, "custom.password": "********", "batch.size": "100"}},
            format="json",
        )
        assert edited.status_code == 200, edited.content
        assert edited.json()["config"]["batch.size"] == "100"
    finally:
        deleted = api.delete(f"{_base(connect_cluster)}{name}/")
    assert deleted.status_code == 204
    gone = api.get(f"{_base(connect_cluster)}{name}/")
    assert gone.status_code == 404
    assert name in gone.json()["detail"]

    actions = list(AuditEvent.objects.filter(target__endswith=name, result="ok").values_list("action", flat=True))
    for action in ("connector.create", "connector.pause", "connector.resume", "connector.restart", "connector.delete"):
        assert action in actions
    config_event = AuditEvent.objects.get(action="connector.config", result="ok")
    assert config_event.before["config"]["custom.password"] == "********"
    assert "hunter2" not in json.dumps([config_event.before, config_event.after])


def test_invalid_config_is_refused_per_field_and_nothing_is_created(api, connect_cluster):
    name = f"bad-{uuid.uuid4().hex[:8]}"
    config = {"connector.class": SOURCE, "tasks.max": "many", "file": "/tmp/nothing.txt"}
    response = api.post(_base(connect_cluster), {"name": name, "config": config}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert "tasks.max" in errors
    assert "Invalid value many for configuration tasks.max" in " ".join(errors["tasks.max"])
    assert "topic" in errors  # FileStreamSource requires a topic
    assert api.get(f"{_base(connect_cluster)}{name}/").status_code == 404


def test_dry_run_validates_without_creating(api, connect_cluster, source_file):
    name = f"dry-{uuid.uuid4().hex[:8]}"
    config = {"connector.class": SOURCE, "file": str(source_file), "topic": "t-dry"}
    response = api.post(_base(connect_cluster), {"name": name, "config": config, "dry_run": True}, format="json")
    assert response.status_code == 200
    assert response.json() == {"plugin": SOURCE, "error_count": 0, "valid": True}
    assert api.get(f"{_base(connect_cluster)}{name}/").status_code == 404


def test_unknown_connector_is_404_and_duplicate_name_is_409(api, connect_cluster, source_file):
    assert api.post(f"{_base(connect_cluster)}no-such-connector/pause/").status_code == 404
    name = f"dup-{uuid.uuid4().hex[:8]}"
    config = {"connector.class": SOURCE, "file": str(source_file), "topic": f"t-{name}"}
    assert api.post(_base(connect_cluster), {"name": name, "config": config}, format="json").status_code == 201
    try:
        again = api.post(_base(connect_cluster), {"name": name, "config": config}, format="json")
        assert again.status_code == 409
        assert "already exists" in again.json()["detail"]
    finally:
        api.delete(f"{_base(connect_cluster)}{name}/")


def test_overview_reports_worker_and_plugins(api, connect_cluster):
    (overview,) = api.get(f"/api/v1/clusters/{connect_cluster.pk}/connect/").json()
    assert overview["reachable"] is True
    assert overview["version"]
    assert any(p["class"] == SOURCE for p in overview["plugins"])
    assert overview["plugin_count"] >= 2


def test_pages_create_with_field_errors_then_detail_and_delete(page, connect_cluster, source_file):
    base = f"/clusters/{connect_cluster.pk}/connect/"
    name = f"page-{uuid.uuid4().hex[:8]}"
    form = page.get(base + "~new/")
    assert form.status_code == 200 and "FileStreamSourceConnector" in form.content.decode()

    bad = page.post(base + "~new/", {"name": name, "plugin": SOURCE, "config": "tasks.max=x\nfile=/tmp/x"})
    assert bad.status_code == 400
    html = bad.content.decode()
    assert 'data-field="tasks.max"' in html and "Invalid value x for configuration tasks.max" in html

    good = page.post(
        base + "~new/",
        {"name": name, "plugin": SOURCE, "config": f"file={source_file}\ntopic=t-{name}\napi.token=abc-secret-123"},
    )
    assert good.status_code == 302
    try:
        detail = page.get(good["Location"])
        html = detail.content.decode()
        assert detail.status_code == 200
        assert name in html and 'hx-trigger="every 5s"' in html
        assert "abc-secret-123" not in html and "********" in html
        listed = page.get(base).content.decode()
        assert f'data-connector="{name}"' in listed
    finally:
        wrong = page.post(base + f"connectors/{name}/delete/?connect=0", {"confirm": "not-it"})
        assert wrong.status_code == 400 and "to confirm" in wrong.content.decode()
        done = page.post(base + f"connectors/{name}/delete/?connect=0", {"confirm": name})
    assert done.status_code == 302
    assert page.get(base + f"connectors/{name}/").status_code == 404


def test_connect_down_is_502_and_the_rest_still_works(api, page, connect_env, closed_port, connect_cluster):
    down = Cluster.objects.create(
        name="connect-down",
        bootstrap_servers=connect_env["KAFKA_BOOTSTRAP"],
        connect_urls=[f"http://127.0.0.1:{closed_port}", connect_env["CONNECT_URL"]],
    )
    ClusterStatus.objects.create(cluster=down)
    response = api.get(f"/api/v1/clusters/{down.pk}/connect/connectors/")
    assert response.status_code == 502
    detail = response.json()["detail"]
    assert f"127.0.0.1:{closed_port}" in detail and "connection refused" in detail
    assert "cluster's settings" in detail

    overview = api.get(f"/api/v1/clusters/{down.pk}/connect/").json()
    assert [o["reachable"] for o in overview] == [False, True]  # the second Connect cluster still answers

    listing = page.get(f"/clusters/{down.pk}/connect/")
    assert listing.status_code == 200
    html = listing.content.decode()
    assert "unreachable" in html and "connection refused" in html and 'data-reachable="true"' in html
    assert page.get(f"/clusters/{down.pk}/").status_code == 200
    assert api.get(f"/api/v1/clusters/{down.pk}/connect/connectors/?connect=1").status_code == 200
