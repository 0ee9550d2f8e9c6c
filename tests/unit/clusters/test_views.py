"""Cluster pages without a network: forms show field errors and save nothing."""

import pytest
from django.contrib.auth import get_user_model

from clusters.models import Cluster
from tests.grants import grant

pytestmark = pytest.mark.django_db


@pytest.fixture
def admin(client):
    user = get_user_model().objects.create_superuser("root", "r@example.com", "pw-root-123")
    client.force_login(user)
    return client


def test_pages_need_login(client):
    response = client.get("/clusters/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_empty_list_says_what_to_do(admin):
    body = admin.get("/clusters/").content.decode()
    assert "No clusters yet" in body and "Add cluster" in body


def test_create_form_shows_field_errors_and_saves_nothing(admin):
    response = admin.post(
        "/clusters/new/",
        {"name": "x", "bootstrap_servers": "PLAINTEXT://h:9092", "security_protocol": "SASL_SSL", "poll_interval_s": 5},
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "no scheme like PLAINTEXT://" in body
    assert "Choose a SASL mechanism" in body
    assert Cluster.objects.count() == 0


def test_create_then_edit_never_renders_the_password(admin):
    response = admin.post(
        "/clusters/new/",
        {
            "name": "sasl",
            "bootstrap_servers": "h:9092",
            "security_protocol": "SASL_PLAINTEXT",
            "sasl_mechanism": "SCRAM-SHA-256",
            "sasl_username": "u",
            "sasl_password": "top-secret-pw",
            "poll_interval_s": 5,
            "enabled": "on",
        },
    )
    cluster = Cluster.objects.get(name="sasl")
    assert response.status_code == 302 and response["Location"] == f"/clusters/{cluster.pk}/"
    for url in (f"/clusters/{cluster.pk}/", f"/clusters/{cluster.pk}/edit/", "/clusters/"):
        body = admin.get(url).content.decode()
        assert "top-secret-pw" not in body
        assert cluster.sasl_password_encrypted not in body
    assert "A password is stored" in admin.get(f"/clusters/{cluster.pk}/edit/").content.decode()


def test_delete_needs_the_name_typed(admin):
    cluster = Cluster.objects.create(name="keep", bootstrap_servers="h:9092")
    assert admin.post(f"/clusters/{cluster.pk}/delete/", {"confirm_name": "nope"}).status_code == 400
    assert Cluster.objects.filter(pk=cluster.pk).exists()
    assert admin.post(f"/clusters/{cluster.pk}/delete/", {"confirm_name": "keep"}).status_code == 302
    assert not Cluster.objects.filter(pk=cluster.pk).exists()


def test_viewer_gets_403_on_admin_pages(client):
    user = get_user_model().objects.create_user("v", "v@example.com", "pw-viewer-123")
    client.force_login(user)
    cluster = Cluster.objects.create(name="c", bootstrap_servers="h:9092")
    assert client.get(f"/clusters/{cluster.pk}/").status_code == 404  # no grant: the cluster does not exist
    grant(user, cluster, "viewer")
    assert client.get(f"/clusters/{cluster.pk}/").status_code == 200
    for url in ("/clusters/new/", f"/clusters/{cluster.pk}/edit/", f"/clusters/{cluster.pk}/delete/"):
        assert client.get(url).status_code == 403, url
    assert client.post("/clusters/test-connection/", {"name": "x", "bootstrap_servers": "h:1"}).status_code == 403
