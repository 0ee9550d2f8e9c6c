"""Broker config changes without a network: input parsing, fallbacks, permissions."""

import pytest
from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters import broker_services
from clusters.gateway.brokers import BrokerConfigChange, ConfigSynonym, config_entry_from_raw
from clusters.models import Cluster
from tests.grants import grant


def test_parse_accepts_set_and_delete():
    changes = broker_services.broker_config_changes_parse(
        [{"name": "message.max.bytes", "value": 2000000}, {"name": "log.cleaner.threads", "op": "delete"}]
    )
    assert changes == [
        BrokerConfigChange("message.max.bytes", "SET", "2000000"),
        BrokerConfigChange("log.cleaner.threads", "DELETE", None),
    ]


@pytest.mark.parametrize(
    ("raw", "field", "fragment"),
    [
        (None, "configs", "at least one"),
        ([], "configs", "at least one"),
        ([{"name": "a.b", "op": "APPEND", "value": "x"}], "a.b", "SET or DELETE"),
        ([{"name": "a.b", "op": "SET"}], "a.b", "needs a value"),
        ([{"name": "a.b", "value": "1"}, {"name": "a.b", "value": "2"}], "a.b", "twice"),
        ([{"value": "1"}], "configs", "name"),
    ],
)
def test_parse_rejects_bad_input_naming_the_field(raw, field, fragment):
    with pytest.raises(ValidationError) as info:
        broker_services.broker_config_changes_parse(raw)
    assert fragment in " ".join(info.value.message_dict[field])


def test_delete_falls_back_to_the_next_source():
    entry = config_entry_from_raw(
        {
            "name": "message.max.bytes",
            "value": "2000000",
            "read_only": False,
            "config_source": 2,
            "is_sensitive": False,
            "synonyms": [
                {"name": "message.max.bytes", "value": "2000000", "source": 2},
                {"name": "message.max.bytes", "value": "1500000", "source": 3},
                {"name": "message.max.bytes", "value": "1048588", "source": 5},
            ],
        }
    )
    assert entry.synonyms[1] == ConfigSynonym("message.max.bytes", "DYNAMIC_DEFAULT_BROKER_CONFIG", "1500000")
    assert broker_services._fallback(entry, "DYNAMIC_BROKER_CONFIG") == ("1500000", "DYNAMIC_DEFAULT_BROKER_CONFIG")
    assert broker_services._fallback(entry, "DYNAMIC_DEFAULT_BROKER_CONFIG") == ("1048588", "DEFAULT_CONFIG")


def test_sensitive_values_are_masked_for_display_and_audit():
    assert broker_services._shown("secret", True) == "********"
    assert broker_services._shown(None, True, "DYNAMIC_BROKER_CONFIG") == "********"
    assert broker_services._shown(None, True, "DEFAULT_CONFIG") is None
    assert broker_services._shown("plain", False) == "plain"


@pytest.fixture
def viewer():
    return get_user_model().objects.create_user("viewer", "v@example.com", "pw-viewer-123")


@pytest.fixture
def admin():
    return get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")


@pytest.mark.django_db
def test_viewer_may_not_edit_and_kafka_is_not_asked(viewer):
    # The bootstrap address is unreachable on purpose: a permission check must come first.
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="127.0.0.1:1")
    grant(viewer, cluster, "viewer")
    with pytest.raises(PermissionDenied):
        broker_services.broker_configs_alter(
            user=viewer,
            cluster=cluster,
            broker_id=1,
            changes=[BrokerConfigChange("message.max.bytes", "SET", "2000000")],
            validate_only=True,
        )
    assert AuditEvent.objects.get(result="denied").action == "broker.config.edit"


@pytest.mark.django_db
def test_api_edit_is_403_for_a_viewer_and_on_a_read_only_cluster(viewer, admin):
    writable = Cluster.objects.create(name="prod", bootstrap_servers="127.0.0.1:1")
    frozen = Cluster.objects.create(name="frozen", bootstrap_servers="127.0.0.1:1", read_only=True)
    body = {"configs": [{"name": "message.max.bytes", "value": "2000000"}], "validate_only": True}
    client = APIClient()
    client.force_authenticate(viewer)
    # Without a grant the cluster does not exist for the viewer.
    response = client.patch(f"/api/v1/clusters/{writable.pk}/brokers/1/configs/", body, format="json")
    assert response.status_code == 404, response.content
    grant(viewer, writable, "viewer")
    response = client.patch(f"/api/v1/clusters/{writable.pk}/brokers/1/configs/", body, format="json")
    assert response.status_code == 403, response.content
    assert "admin role" in response.json()["detail"]
    client.force_authenticate(admin)
    response = client.patch(f"/api/v1/clusters/{frozen.pk}/brokers/1/configs/", body, format="json")
    assert response.status_code == 403, response.content
    assert "read-only" in response.json()["detail"]
    # The 404 probe, the viewer's 403 and the read-only refusal.
    assert AuditEvent.objects.filter(result="denied").count() == 3
    assert not AuditEvent.objects.filter(result="ok").exists()


@pytest.mark.django_db
def test_page_edit_is_403_for_a_viewer(client, viewer):
    cluster = Cluster.objects.create(name="prod", bootstrap_servers="127.0.0.1:1")
    grant(viewer, cluster, "operator")  # editing broker configs needs admin; operator is not enough
    client.force_login(viewer)
    response = client.post(
        f"/clusters/{cluster.pk}/brokers/1/configs/edit/",
        {"name": "message.max.bytes", "op": "SET", "value": "2000000", "action": "apply"},
    )
    assert response.status_code == 403
    assert AuditEvent.objects.get(result="denied").action == "broker.config.edit"
