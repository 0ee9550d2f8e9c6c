"""The overview and broker config pages against the real broker (and one that never answers)."""

import socket
import threading
import uuid

import pytest
from django.contrib.auth import get_user_model

from access.models import AuditEvent, Grant
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin_client(client, admin_user):
    client.force_login(admin_user)
    return client


def test_overview_page_shows_broker_size_quorum_leader_and_metadata_version(
    admin_client, local_cluster, stack_env, broker_id
):
    response = admin_client.get(f"/clusters/{local_cluster.pk}/brokers/")
    assert response.status_code == 200
    html = response.content.decode()
    assert stack_env["KAFKA_CLUSTER_ID"] in html
    assert f'data-broker="{broker_id}"' in html
    assert f"<code>{stack_env['KAFKA_BOOTSTRAP']}</code>" in html
    assert 'data-size="' in html and 'data-size=""' not in html
    assert f'<dd id="quorum-leader">{broker_id}</dd>' in html
    assert 'data-feature="metadata.version"' in html
    assert "controller" in html
    # The cluster page links here.
    detail = admin_client.get(f"/clusters/{local_cluster.pk}/").content.decode()
    assert f'href="/clusters/{local_cluster.pk}/brokers/"' in detail


def test_configs_page_lists_filters_and_masks(admin_client, local_cluster, broker_id):
    url = f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/"
    html = admin_client.get(url).content.decode()
    assert 'data-config="log.retention.hours"' in html
    assert "Kafka default" in html and "read-only" in html
    assert 'data-config="ssl.key.password"' in html
    filtered = admin_client.get(url, {"search": "retention.hours"}, HTTP_HX_REQUEST="true").content.decode()
    assert 'data-config="log.retention.hours"' in filtered
    assert 'data-config="message.max.bytes"' not in filtered
    assert "<html" not in filtered  # htmx gets the table only


def test_preview_then_apply_from_the_page(admin_client, local_cluster, broker_id, restore_config):
    restore_config.append("message.max.bytes")
    edit = f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/edit/"
    form = {"name": "message.max.bytes", "op": "SET", "value": "2000555"}
    preview = admin_client.post(edit, {**form, "action": "preview"})
    assert preview.status_code == 200
    html = preview.content.decode()
    assert 'id="preview"' in html and "2000555" in html and 'id="apply"' in html
    assert not AuditEvent.objects.filter(action="broker.config.alter").exists()
    listing = admin_client.get(f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/", {"search": "message.max"})
    assert "2000555" not in listing.content.decode()

    applied = admin_client.post(edit, {**form, "action": "apply"}, follow=True)
    assert applied.status_code == 200
    html = applied.content.decode()
    assert "<code>2000555</code>" in html and "applied" in html
    assert AuditEvent.objects.get(action="broker.config.alter").after["message.max.bytes"]["value"] == "2000555"


def test_page_shows_the_brokers_verdict_next_to_the_field(admin_client, local_cluster, broker_id):
    edit = f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/edit/"
    bad = admin_client.post(edit, {"name": "message.max.bytes", "op": "SET", "value": "lots", "action": "preview"})
    assert bad.status_code == 400
    assert "Invalid value lots for configuration message.max.bytes" in bad.content.decode()
    static = admin_client.post(edit, {"name": "log.dirs", "op": "SET", "value": "/tmp/x", "action": "apply"})
    assert static.status_code == 400
    assert 'id="name-error"' in static.content.decode() and "restart" in static.content.decode()
    unknown = admin_client.post(edit, {"name": "no.such.thing", "op": "SET", "value": "1", "action": "preview"})
    assert unknown.status_code == 400 and "Unknown broker config" in unknown.content.decode()


def test_viewer_sees_configs_without_the_edit_form(client, local_cluster, broker_id):
    viewer = get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")
    client.force_login(viewer)
    url = f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/"
    assert client.get(url).status_code == 404  # no grant: the cluster does not exist for them
    grant(viewer, local_cluster, "viewer")
    html = client.get(url).content.decode()
    assert 'data-config="message.max.bytes"' in html
    assert 'id="edit"' not in html
    # The form appears for an admin of the cluster, who need not be a superuser.
    Grant.objects.filter(user=viewer).update(role="admin")
    assert 'id="edit"' in client.get(url).content.decode()


def test_sensitive_dynamic_config_is_never_shown_nor_audited(api, admin_client, local_cluster, broker_id):
    name = "listener.name.plaintext.plain.sasl.jaas.config"
    secret = f"pw-{uuid.uuid4().hex}"
    value = f'org.apache.kafka.common.security.plain.PlainLoginModule required username="u" password="{secret}";'
    url = f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/"
    try:
        response = api.patch(url, {"configs": [{"name": name, "value": value}]}, format="json")
        assert response.status_code == 200, response.content
        assert secret not in response.content.decode()
        assert response.json()["changes"][0]["after"] == "********"
        listing = api.get(url, {"search": "jaas"})
        assert secret not in listing.content.decode()
        entry = {c["name"]: c for c in listing.json()["results"]}[name]
        assert entry["sensitive"] is True and entry["value"] == "********"
        page = admin_client.get(f"/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/", {"search": "jaas"})
        assert secret not in page.content.decode() and "********" in page.content.decode()
        event = AuditEvent.objects.get(action="broker.config.alter")
        assert secret not in str(event.after) and event.after[name]["value"] == "********"
    finally:
        api.patch(url, {"configs": [{"name": name, "op": "DELETE"}]}, format="json")
    assert name not in {c["name"] for c in api.get(url, {"search": "jaas"}).json()["results"]}


@pytest.fixture
def silent_broker():
    """A port that accepts connections and never answers: a hung broker."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    accepted: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        server.settimeout(0.2)
        while not stop.is_set():
            try:
                accepted.append(server.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"127.0.0.1:{server.getsockname()[1]}"
    stop.set()
    thread.join(2)
    for conn in accepted:
        conn.close()
    server.close()


def test_a_cluster_that_does_not_answer_is_a_504_naming_the_wait(admin_client, silent_broker, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1000
    settings.KAFKA_REQUEST_TIMEOUT_MS = 1000
    cluster = Cluster.objects.create(name="hung", bootstrap_servers=silent_broker)
    ClusterStatus.objects.create(cluster=cluster, brokers=[{"node_id": 7, "host": "h", "port": 1, "rack": None}])
    page = admin_client.get(f"/clusters/{cluster.pk}/brokers/")
    assert page.status_code == 504
    html = page.content.decode()
    assert silent_broker in html and "1 s" in html
    assert f'href="/clusters/{cluster.pk}/brokers/7/configs/"' in html  # last known brokers stay reachable
    configs = admin_client.get(f"/clusters/{cluster.pk}/brokers/7/configs/")
    assert configs.status_code == 504 and silent_broker in configs.content.decode()
