"""SCRAM services without a network: permission first, input checked before Kafka is
asked, every refusal audited, and no password in any audit row or error."""

import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from access.models import AuditEvent
from scram import services
from tests.unit.scram.conftest import PASSWORD

pytestmark = pytest.mark.django_db


def set_credential(user, cluster, **overrides):
    args = {"name": "alice", "mechanism": "SCRAM-SHA-512", "password": PASSWORD, "iterations": 8192}
    args.update(overrides)
    return services.scram_credential_set(user=user, cluster=cluster, **args)


def audit_text():
    return json.dumps(list(AuditEvent.objects.values("target", "before", "after", "error")))


@pytest.mark.parametrize(
    ("overrides", "field", "fragment"),
    [
        ({"name": ""}, "user", "Give the user name"),
        ({"name": "User:alice"}, "user", "'User:' prefix"),
        ({"name": "a,b"}, "user", "','"),
        ({"name": "n" * 256}, "user", "at most 255"),
        ({"password": ""}, "password", "Give a password"),
        ({"password": None}, "password", "Give a password"),
        ({"password": "short-pw"}, "password", "at least 12"),
        ({"password": "zzzzzzzzzzzzzz"}, "password", "5 different"),
        ({"password": "my-alice-password-1"}, "password", "user name"),
        ({"password": "qwerty123456"}, "password", "Too common"),
        ({"mechanism": "SCRAM-SHA-1"}, "mechanism", "Unknown SCRAM mechanism"),
        ({"mechanism": "PLAIN"}, "mechanism", "Unknown SCRAM mechanism"),
        ({"iterations": 4095}, "iterations", "4096 to 16384"),
        ({"iterations": 20000}, "iterations", "4096 to 16384"),
        ({"iterations": "lots"}, "iterations", "whole number"),
    ],
)
def test_set_refuses_bad_input_before_asking_kafka(superuser, cluster, kafka_calls, overrides, field, fragment):
    with pytest.raises(ValidationError) as caught:
        set_credential(superuser, cluster, **overrides)
    assert fragment in " ".join(caught.value.message_dict[field])
    assert kafka_calls == []
    event = AuditEvent.objects.get(action="scram.credential.set")
    assert event.result == "error" and field in event.error
    assert event.before is None and event.after is None


def test_set_reports_every_bad_field_at_once(superuser, cluster, kafka_calls):
    with pytest.raises(ValidationError) as caught:
        set_credential(superuser, cluster, name="", password="", mechanism="MD5", iterations=1)
    assert set(caught.value.message_dict) == {"user", "password", "mechanism", "iterations"}


def test_no_password_in_errors_or_audit(superuser, cluster, kafka_calls):
    weak = "alice-" + PASSWORD  # contains the user name: refused
    with pytest.raises(ValidationError) as caught:
        set_credential(superuser, cluster, password=weak)
    assert weak not in str(caught.value)
    assert weak not in audit_text() and PASSWORD not in audit_text()


@pytest.mark.parametrize("role_user", ["viewer", "operator", "cluster_admin_on_other"])
def test_non_admins_are_refused_and_nothing_reaches_kafka(request, cluster, kafka_calls, role_user, django_user_model):
    if role_user == "cluster_admin_on_other":
        from clusters.models import Cluster
        from tests.grants import grant

        other = Cluster.objects.create(name="other", bootstrap_servers="127.0.0.1:1")
        user = django_user_model.objects.create_user("adele", "a@example.com", "pw-adele-123")
        grant(user, other, "admin")
        grant(user, cluster, "viewer")
    else:
        user = request.getfixturevalue(role_user)
    with pytest.raises(PermissionDenied):
        set_credential(user, cluster, password="")  # refused for the role, not the input
    with pytest.raises(PermissionDenied):
        services.scram_credential_delete(user=user, cluster=cluster, name="alice", confirm="alice")
    assert kafka_calls == []
    denied = AuditEvent.objects.filter(result="denied").values_list("action", flat=True)
    assert sorted(denied) == ["scram.edit", "scram.edit"]
    assert not AuditEvent.objects.filter(result="ok").exists()


def test_read_only_cluster_refuses_even_a_superuser(superuser, cluster, kafka_calls):
    cluster.read_only = True
    cluster.save()
    with pytest.raises(PermissionDenied, match="read-only"):
        set_credential(superuser, cluster)
    with pytest.raises(PermissionDenied, match="read-only"):
        services.scram_credential_delete(user=superuser, cluster=cluster, name="alice", confirm="alice")
    assert kafka_calls == []
    assert AuditEvent.objects.filter(result="denied", action="scram.edit").count() == 2


def test_cluster_admin_passes_the_permission_check(cluster_admin, cluster, kafka_calls):
    # Past the check, only validation stops it (so the tripwire stays untouched).
    with pytest.raises(ValidationError):
        set_credential(cluster_admin, cluster, password="short")
    assert AuditEvent.objects.get().result == "error"


@pytest.mark.parametrize(
    ("kwargs", "field", "fragment"),
    [
        ({"confirm": "alicE"}, "confirm", "Type the user name 'alice' exactly"),
        ({"confirm": ""}, "confirm", "Type the user name"),
        ({"confirm": "alice", "mechanism": "SCRAM-SHA-1"}, "mechanism", "Unknown SCRAM mechanism"),
        ({"name": "", "confirm": ""}, "user", "Give the user name"),
    ],
)
def test_delete_needs_the_typed_name_and_a_known_mechanism(superuser, cluster, kafka_calls, kwargs, field, fragment):
    args = {"name": "alice"} | kwargs
    with pytest.raises(ValidationError) as caught:
        services.scram_credential_delete(user=superuser, cluster=cluster, **args)
    assert fragment in " ".join(caught.value.message_dict[field])
    assert kafka_calls == []
    assert AuditEvent.objects.get(action="scram.credential.delete").result == "error"


def test_signalbox_own_login_cannot_be_changed_here(superuser, kafka_calls):
    from clusters.models import Cluster

    cluster = Cluster(
        name="secure",
        bootstrap_servers="127.0.0.1:1",
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_username="signalbox",
    )
    cluster.sasl_password = "the-clusters-own-secret"
    cluster.save()
    with pytest.raises(ValidationError) as caught:
        set_credential(superuser, cluster, name="signalbox", password=PASSWORD)
    assert "lock Signalbox out" in caught.value.message_dict["user"][0]
    assert kafka_calls == []
    # Another mechanism of the same user is a different credential: it passes validation.
    with pytest.raises(AssertionError, match="reached Kafka"):
        set_credential(superuser, cluster, name="signalbox", mechanism="SCRAM-SHA-256", password=PASSWORD)
