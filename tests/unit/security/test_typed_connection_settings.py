"""Cluster connection settings are typed: no raw client properties (sasl.jaas.config and the
like) can be stored or handed to the Kafka client, from the API or from the page."""

from __future__ import annotations

import dataclasses

import pytest
from django.contrib.auth import get_user_model
from django.test import Client
from rest_framework.test import APIClient

from clusters.forms import ClusterForm
from clusters.gateway.connection import client_config
from clusters.gateway.types import ConnectionSettings
from clusters.models import Cluster

pytestmark = pytest.mark.django_db

RAW = {"properties": {"sasl.jaas.config": "org.apache.kafka...LoginModule required;"}, "sasl.jaas.config": "x"}
# Everything the gateway may ever pass to kafka-python for a cluster.
CLIENT_KEYS = {
    "bootstrap_servers",
    "client_id",
    "security_protocol",
    "request_timeout_ms",
    "reconnect_backoff_max_ms",
    "sasl_mechanism",
    "sasl_plain_username",
    "sasl_plain_password",
    "ssl_context",
}


@pytest.fixture
def root():
    return get_user_model().objects.create_superuser("root", "root@example.com", "pw-root-123")


def test_connection_settings_hold_only_typed_scalars():
    for f in dataclasses.fields(ConnectionSettings):
        assert f.type in ("str", "int", "tuple[str, ...]"), f"{f.name}: {f.type} could carry raw properties"
    sasl_tls = ConnectionSettings(
        name="c", bootstrap_servers=("k:9093",), security_protocol="SASL_SSL", sasl_mechanism="PLAIN", username="u"
    )
    assert set(client_config(sasl_tls)) <= CLIENT_KEYS


def test_the_model_and_the_form_have_no_free_form_settings():
    free_form = {"JSONField", "TextField"}
    for field in Cluster._meta.concrete_fields:
        if field.get_internal_type() in free_form:
            # Only the URL lists (JSON lists of validated URLs), the CA (PEM) and the encrypted password.
            assert field.name in {"connect_urls", "metrics_urls", "ca_certificate", "sasl_password_encrypted"}, field
    assert not {"properties", "config", "client_config", "extra"} & set(ClusterForm.base_fields)


def test_the_page_ignores_raw_properties_and_none_reach_the_client(root):
    client = Client()
    client.force_login(root)
    form = {"name": "typed", "bootstrap_servers": "k:9092", "security_protocol": "PLAINTEXT", "poll_interval_s": 5}
    response = client.post("/clusters/new/", {**form, "properties": "sasl.jaas.config=x", "sasl.jaas.config": "y"})
    assert response.status_code == 302
    cluster = Cluster.objects.get(name="typed")
    assert set(client_config(cluster.connection())) <= CLIENT_KEYS


def test_the_api_never_stores_raw_properties(root):
    api = APIClient()
    api.force_authenticate(root)
    api.post("/api/v1/clusters/", {"name": "typed-api", "bootstrap_servers": "k:9092", **RAW}, format="json")
    for cluster in Cluster.objects.filter(name="typed-api"):
        assert set(client_config(cluster.connection())) <= CLIENT_KEYS
        assert "jaas" not in str(cluster.__dict__)


@pytest.mark.parametrize("method", ["post", "patch"])
def test_the_api_rejects_unknown_fields_naming_them(root, method):
    api = APIClient()
    api.force_authenticate(root)
    existing = Cluster.objects.create(name="typed-existing", bootstrap_servers="k:9092")
    path = "/api/v1/clusters/" if method == "post" else f"/api/v1/clusters/{existing.pk}/"
    response = getattr(api, method)(path, {"name": "typed-new", "bootstrap_servers": "k:9092", **RAW}, format="json")
    assert response.status_code == 400, response.content
    errors = response.json()["errors"]
    assert "properties" in errors and "sasl.jaas.config" in errors
    assert not Cluster.objects.filter(name="typed-new").exists()
