import pytest
from django.core.exceptions import ValidationError

from clusters.models import Cluster


def _cluster(**kw):
    fields = {"name": "c", "bootstrap_servers": "localhost:9092"}
    fields.update(kw)
    return Cluster(**fields)


@pytest.mark.django_db
def test_sasl_requires_mechanism_username_and_password():
    cluster = _cluster(security_protocol="SASL_PLAINTEXT")
    with pytest.raises(ValidationError) as info:
        cluster.full_clean()
    errors = info.value.message_dict
    assert "Choose a SASL mechanism" in errors["sasl_mechanism"][0]
    assert "username is required" in errors["sasl_username"][0]
    assert "password is required" in errors["sasl_password"][0]


@pytest.mark.django_db
def test_password_is_stored_encrypted_and_read_back():
    cluster = _cluster(security_protocol="SASL_SSL", sasl_mechanism="SCRAM-SHA-512", sasl_username="u")
    cluster.sasl_password = "hunter2-secret"
    cluster.full_clean()
    cluster.save()
    raw = Cluster.objects.filter(pk=cluster.pk).values_list("sasl_password_encrypted", flat=True).get()
    assert "hunter2" not in raw
    assert Cluster.objects.get(pk=cluster.pk).sasl_password == "hunter2-secret"
    assert Cluster.objects.get(pk=cluster.pk).connection().password == "hunter2-secret"
    assert "hunter2" not in repr(cluster.connection())


@pytest.mark.django_db
def test_plaintext_drops_credentials_and_rejects_a_ca():
    cluster = _cluster(sasl_mechanism="PLAIN", sasl_username="u")
    cluster.sasl_password = "p"
    cluster.full_clean()
    assert (cluster.sasl_mechanism, cluster.sasl_username, cluster.sasl_password_encrypted) == ("", "", "")
    with_ca = _cluster(ca_certificate="-----BEGIN CERTIFICATE-----")
    with pytest.raises(ValidationError) as info:
        with_ca.full_clean()
    assert "ca_certificate" in info.value.message_dict


@pytest.mark.django_db
def test_bootstrap_servers_are_normalised():
    cluster = _cluster(bootstrap_servers=" a:1 ,\n b:2 ")
    cluster.full_clean()
    assert cluster.bootstrap_servers == "a:1,b:2"
    assert cluster.connection().bootstrap_servers == ("a:1", "b:2")


@pytest.mark.django_db
def test_poll_interval_bounds():
    with pytest.raises(ValidationError) as info:
        _cluster(poll_interval_s=0).full_clean()
    assert "poll_interval_s" in info.value.message_dict
