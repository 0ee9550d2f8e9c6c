"""Topic operation pages against the real broker: the same services as the API."""

import pytest

from access.models import AuditEvent, Grant
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant
from topics.models import TopicMeta

pytestmark = pytest.mark.django_db


def base(cluster):
    return f"/clusters/{cluster.pk}/topics/"


def test_create_page_lists_broker_configs_and_creates(page, local_cluster, kafka, topic_name):
    form = page.get(f"{base(local_cluster)}~new/")
    assert form.status_code == 200
    body = form.content.decode()
    assert "retention.ms" in body and "default 604800000" in body
    response = page.post(
        f"{base(local_cluster)}~new/",
        {
            "name": topic_name,
            "partitions": 2,
            "replication_factor": 1,
            "config_key_0": "cleanup.policy",
            "config_value_0": "compact",
            "action": "create",
        },
    )
    assert response.status_code == 302 and response["Location"] == f"{base(local_cluster)}{topic_name}/"
    assert kafka.partitions(topic_name) == 2
    assert kafka.config(topic_name, "cleanup.policy") == ("compact", "DYNAMIC_TOPIC_CONFIG")
    detail = page.get(response["Location"]).content.decode()
    assert 'data-partition="1"' in detail and "topic override" in detail
    assert 'id="consumer-groups"' in detail and "No consumer group has committed offsets on this topic" in detail
    # The list page (the lead's) links to the detail now that the snapshot was refreshed.
    assert (
        f'href="{base(local_cluster)}{topic_name}/"'
        in page.get(f"{base(local_cluster)}?search={topic_name}").content.decode()
    )
    assert AuditEvent.objects.filter(action="topic.create", target=topic_name, result="ok").exists()


def test_dry_run_button_shows_the_verdict_and_creates_nothing(page, local_cluster, kafka, topic_name):
    data = {"name": topic_name, "partitions": 1, "replication_factor": 1, "action": "dry_run"}
    ok = page.post(f"{base(local_cluster)}~new/", data, HTTP_HX_REQUEST="true")
    assert ok.status_code == 200 and "would accept" in ok.content.decode()
    assert not kafka.exists(topic_name)
    data["replication_factor"] = 5
    bad = page.post(f"{base(local_cluster)}~new/", data, HTTP_HX_REQUEST="true")
    text = bad.content.decode()
    assert "would refuse" in text and "replication_factor" in text and "broker" in text
    assert not kafka.exists(topic_name)


def test_create_page_shows_errors_next_to_fields(page, local_cluster, kafka):
    response = page.post(
        f"{base(local_cluster)}~new/",
        {"name": "no spaces", "partitions": 0, "replication_factor": 1, "action": "create"},
    )
    assert response.status_code == 400
    text = response.content.decode()
    assert "may only contain letters" in text and "Must be at least 1" in text
    assert not kafka.exists("no spaces")


def test_config_page_preview_then_apply(page, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    url = f"{base(local_cluster)}{topic_name}/configs/"
    assert 'name="value:retention.ms"' in page.get(url).content.decode()
    preview = page.post(url, {"value:retention.ms": "90000", "action": "preview"}, HTTP_HX_REQUEST="true")
    assert preview.status_code == 200 and "accepts 1 change" in preview.content.decode()
    assert kafka.config(topic_name, "retention.ms")[1] == "DEFAULT_CONFIG"
    bad = page.post(url, {"value:retention.ms": "soon", "action": "preview"}, HTTP_HX_REQUEST="true")
    assert "retention.ms" in bad.content.decode() and "Not changed" in bad.content.decode()
    applied = page.post(url, {"value:retention.ms": "90000", "action": "apply"})
    assert applied.status_code == 302
    assert kafka.config(topic_name, "retention.ms") == ("90000", "DYNAMIC_TOPIC_CONFIG")
    reset = page.post(url, {"reset:retention.ms": "1", "action": "apply"})
    assert reset.status_code == 302 and kafka.config(topic_name, "retention.ms")[1] == "DEFAULT_CONFIG"


def test_partitions_page_warns_dry_runs_and_adds(page, local_cluster, kafka, topic_name):
    kafka.create(topic_name, partitions=1)
    url = f"{base(local_cluster)}{topic_name}/partitions/"
    assert "Keyed ordering changes" in page.get(url).content.decode()
    dry = page.post(url, {"partitions": 3, "action": "dry_run"}, HTTP_HX_REQUEST="true")
    assert "1 → 3" in dry.content.decode() and kafka.partitions(topic_name) == 1
    lower = page.post(url, {"partitions": 1, "action": "apply"})
    assert lower.status_code == 400 and "never remove" in lower.content.decode()
    added = page.post(url, {"partitions": 3, "action": "apply"})
    assert added.status_code == 302 and kafka.partitions(topic_name) == 3


def test_records_page_deletes_and_purges(page, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    kafka.produce(topic_name, 4)
    url = f"{base(local_cluster)}{topic_name}/records/"
    shown = page.get(url).content.decode()
    assert 'data-partition="0"><td class="num">0</td><td class="num">0</td><td class="num">4</td>' in shown
    out = page.post(url, {"offset_0": 40, "action": "delete"})
    assert out.status_code == 400 and "out of range" in out.content.decode()
    done = page.post(url, {"offset_0": 2, "action": "delete"})
    assert done.status_code == 302 and kafka.earliest(topic_name) == 2
    purged = page.post(url, {"action": "purge"})
    assert purged.status_code == 302 and kafka.earliest(topic_name) == 4


def test_delete_page_shows_groups_and_needs_the_name(page, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    kafka.produce(topic_name, 1)
    kafka.commit_group(topic_name, f"{topic_name}-g")
    url = f"{base(local_cluster)}{topic_name}/delete/"
    shown = page.get(url).content.decode()
    assert f'data-group="{topic_name}-g"' in shown
    wrong = page.post(url, {"confirm": "nope"})
    assert wrong.status_code == 400 and "exactly to confirm" in wrong.content.decode()
    assert kafka.exists(topic_name)
    done = page.post(url, {"confirm": topic_name})
    assert done.status_code == 302 and not kafka.exists(topic_name)
    assert not TopicMeta.objects.filter(cluster=local_cluster, name=topic_name).exists()


def test_viewer_sees_detail_but_gets_403_on_change_pages(client, viewer, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    client.force_login(viewer)
    assert client.get(f"{base(local_cluster)}{topic_name}/").status_code == 404  # no grant: no such cluster
    grant(viewer, local_cluster, "viewer")
    detail = client.get(f"{base(local_cluster)}{topic_name}/")
    assert detail.status_code == 200 and "Delete topic" not in detail.content.decode()
    for suffix in ("~new/", f"{topic_name}/configs/", f"{topic_name}/partitions/", f"{topic_name}/records/"):
        assert client.get(f"{base(local_cluster)}{suffix}").status_code == 403, suffix
    assert client.post(f"{base(local_cluster)}{topic_name}/delete/", {"confirm": topic_name}).status_code == 403
    assert kafka.exists(topic_name)
    # The delete button shows for an admin of the cluster, superuser or not.
    Grant.objects.filter(user=viewer).update(role="admin")
    assert "Delete topic" in client.get(f"{base(local_cluster)}{topic_name}/").content.decode()


def test_read_only_cluster_page_says_why(page, local_cluster, kafka, topic_name):
    kafka.create(topic_name)
    local_cluster.read_only = True
    local_cluster.save()
    response = page.post(f"{base(local_cluster)}{topic_name}/partitions/", {"partitions": 2, "action": "apply"})
    assert response.status_code == 403 and "read-only" in response.content.decode()
    assert kafka.partitions(topic_name) == 1


def test_detail_falls_back_to_the_snapshot_when_kafka_fails(page, db, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1000
    cluster = Cluster.objects.create(name="away", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=cluster)
    TopicMeta.objects.create(cluster=cluster, name="orders", partition_count=6, replication_factor=3)
    response = page.get(f"{base(cluster)}orders/")
    assert response.status_code == 200
    text = response.content.decode()
    assert 'id="live-error"' in text and "127.0.0.1:1" in text
    assert 'id="snapshot-row"' in text and "<dd>6</dd>" in text


def test_change_on_unreachable_cluster_is_an_error_page_not_a_500(page, db, settings):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1000
    cluster = Cluster.objects.create(name="away", bootstrap_servers="127.0.0.1:1")
    ClusterStatus.objects.create(cluster=cluster)
    response = page.get(f"{base(cluster)}orders/partitions/")
    assert response.status_code == 502
    assert "127.0.0.1:1" in response.content.decode()


@pytest.fixture
def silent_broker():
    """A TCP port that accepts connections and never answers: a hung broker."""
    import socket

    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    yield f"127.0.0.1:{server.getsockname()[1]}"
    server.close()


def test_hung_broker_gives_an_error_page_naming_it_and_the_wait(page, db, settings, silent_broker):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 1000
    settings.KAFKA_REQUEST_TIMEOUT_MS = 1000
    cluster = Cluster.objects.create(name="hung", bootstrap_servers=silent_broker)
    ClusterStatus.objects.create(cluster=cluster)
    response = page.post(f"{base(cluster)}~new/", {"name": "t1", "partitions": 1, "replication_factor": 1})
    assert response.status_code == 504, response.content.decode()[-600:]
    text = response.content.decode()
    assert silent_broker in text and "1 s" in text
    detail = page.get(f"{base(cluster)}t1/")
    assert detail.status_code == 200 and silent_broker in detail.content.decode()
