"""API tokens against the real broker and the real Daphne: a read-write token changes Kafka,
a read-only one is refused before Kafka is touched, and the audit CSV streams over ASGI."""

from __future__ import annotations

import csv
import io
import uuid

import pytest
import requests
from kafka import KafkaAdminClient  # test setup only
from rest_framework.test import APIClient

from access.models import ApiToken, AuditEvent
from access.tokens import token_create
from clusters.models import Cluster, ClusterStatus
from tests.grants import grant
from tests.unit.access_tokens.conftest import expire


@pytest.fixture
def kafka_topics(stack_env):
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    yield admin
    admin.close()


@pytest.fixture
def dev(django_user_model, settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    return django_user_model.objects.create_user("dev", "dev@example.com", "dev-pass-123")


def _bearer(raw: str, ip: str = "10.20.30.40") -> APIClient:
    client = APIClient(REMOTE_ADDR=ip)
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    return client


def test_read_write_token_creates_a_topic_read_only_token_is_refused(dev, local_cluster, kafka_topics):
    grant(dev, local_cluster, "admin")
    _, read_raw = token_create(user=dev, name="reader", scope="read", expires_in_days=1)
    writer, write_raw = token_create(user=dev, name="writer", scope="write", expires_in_days=1)
    name = f"tok-{uuid.uuid4().hex[:10]}"
    url = f"/api/v1/clusters/{local_cluster.pk}/topics/"
    body = {"name": name, "partitions": 1, "replication_factor": 1}

    refused = _bearer(read_raw).post(url, body, format="json")
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert name not in kafka_topics.list_topics()
    denied = AuditEvent.objects.get(result="denied", token_name__startswith="reader (")
    assert denied.action == "topic.create" and denied.cluster == local_cluster and denied.source_ip == "10.20.30.40"

    created = _bearer(write_raw).post(url, body, format="json")
    assert created.status_code == 201, created.content
    assert name in kafka_topics.list_topics()
    event = AuditEvent.objects.get(action="topic.create", result="ok", target=name)
    assert event.actor == "dev" and event.token_name == f"writer ({writer.prefix})"
    writer.refresh_from_db()
    assert writer.last_used_ip == "10.20.30.40" and writer.last_used_at is not None

    # The read-only token still reads the same cluster.
    listed = _bearer(read_raw).get(f"/api/v1/clusters/{local_cluster.pk}/")
    assert listed.status_code == 200 and listed.json()["name"] == "local"
    kafka_topics.delete_topics([name])


def test_tokens_over_real_http_and_the_csv_streams_from_daphne(asgi_server, stack_env, dev):
    cluster = Cluster.objects.create(name="live", bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    ClusterStatus.objects.create(cluster=cluster)
    grant(dev, cluster, "admin")
    token, raw = token_create(user=dev, name="http", scope="read", expires_in_days=1)
    headers = {"Authorization": f"Bearer {raw}"}

    clusters = requests.get(f"{asgi_server}/api/v1/clusters/", headers=headers, timeout=10)
    assert clusters.status_code == 200 and [c["name"] for c in clusters.json()["results"]] == ["live"]
    token.refresh_from_db()
    assert token.last_used_ip == "127.0.0.1"

    # More events than one export batch, all in the cluster dev administers.
    AuditEvent.objects.bulk_create(
        AuditEvent(actor="someone", cluster=cluster, cluster_name="live", action="topic.create", target=f"=t{i}")
        for i in range(2500)
    )
    with requests.get(
        f"{asgi_server}/api/v1/audit/export.csv",
        params={"cluster": cluster.pk, "action": "topic."},
        headers={**headers, "Accept": "text/csv"},
        stream=True,
        timeout=30,
    ) as response:
        assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/csv")
        assert "Content-Length" not in response.headers  # streamed, not buffered
        text = b"".join(response.iter_content(chunk_size=8192)).decode()
    rows = list(csv.reader(io.StringIO(text)))
    assert len(rows) == 2501 and all(r[8].startswith("'=t") for r in rows[1:])

    page = requests.get(f"{asgi_server}/api/v1/audit/", params={"limit": 5}, headers=headers, timeout=10).json()
    assert len(page["results"]) == 5 and page["next"].startswith(asgi_server)

    minted = requests.post(
        f"{asgi_server}/api/v1/tokens/",
        json={"name": "minted", "scope": "write", "expires_in_days": 365},
        headers=headers,
        timeout=10,
    )
    assert minted.status_code == 403 and not ApiToken.objects.filter(name="minted").exists()

    expire(token)
    expired = requests.get(f"{asgi_server}/api/v1/clusters/", headers=headers, timeout=10)
    assert expired.status_code == 401 and "expired on" in expired.json()["detail"]
    assert AuditEvent.objects.filter(action="token.use", result="denied", source_ip="127.0.0.1").exists()
