"""SCRAM users against the real SASL/SCRAM broker: every credential made through our API
or pages is proven by logging in to Kafka with it (and failing to, once changed or gone)."""

import json
import logging

import pytest
from kafka import KafkaAdminClient
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters.gateway import KafkaRejected
from clusters.gateway import scram as scram_gateway
from tests.integration.scram.conftest import eventually, login

pytestmark = pytest.mark.django_db

PASSWORD = "Lq4-first-SECRET-9xz"
NEW_PASSWORD = "Rm8-second-SECRET-2wv"


@pytest.fixture
def api(admin_user):
    client = APIClient()
    client.force_authenticate(admin_user)
    return client


def users_url(cluster, name=None):
    base = f"/api/v1/clusters/{cluster.pk}/scram-users/"
    return base if name is None else f"{base}{name}/"


def broker_listing(env, user):
    """What the broker itself says about `user`, asked with kafka-python directly."""
    admin = KafkaAdminClient(
        bootstrap_servers=env["KAFKA_SASL_BOOTSTRAP"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=env["KAFKA_SASL_MECHANISM"],
        sasl_plain_username=env["KAFKA_SASL_USERNAME"],
        sasl_plain_password=env["KAFKA_SASL_PASSWORD"],
        bootstrap_timeout_ms=5000,
    )
    try:
        found = admin.describe_user_scram_credentials([user])[user]
    finally:
        admin.close()
    if found["error"]:
        return None
    return sorted((ci["mechanism"].name.replace("_", "-"), ci["iterations"]) for ci in found["credential_infos"])


def listed(api, cluster, user):
    for row in api.get(users_url(cluster)).json():
        if row["user"] == user:
            return sorted((c["mechanism"], c["iterations"]) for c in row["credentials"])
    return None


def create(api, cluster, user, password=PASSWORD, **extra):
    body = {"user": user, "mechanism": "SCRAM-SHA-512", "password": password, **extra}
    return api.post(users_url(cluster), body, format="json")


def test_create_through_the_api_then_log_in_with_it(api, sasl_cluster, sasl_env, unique_user):
    user = unique_user("app")
    response = create(api, sasl_cluster, user)
    assert response.status_code == 201, response.content
    assert response.json() == {"user": user, "mechanism": "SCRAM-SHA-512", "iterations": 8192, "created": True}
    assert PASSWORD not in response.content.decode()

    # The broker lists what we show, and the page shows it too.
    assert broker_listing(sasl_env, user) == [("SCRAM-SHA-512", 8192)]
    assert listed(api, sasl_cluster, user) == [("SCRAM-SHA-512", 8192)]
    detail = api.get(users_url(sasl_cluster, user))
    assert detail.json() == {"user": user, "credentials": [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}]}

    # Proof: a plain kafka-python client logs in as the new user and lists topics.
    client = KafkaAdminClient(
        bootstrap_servers=sasl_env["KAFKA_SASL_BOOTSTRAP"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism="SCRAM-SHA-512",
        sasl_plain_username=user,
        sasl_plain_password=PASSWORD,
        bootstrap_timeout_ms=10000,
        request_timeout_ms=5000,
    )
    try:
        assert isinstance(client.list_topics(), list)
    finally:
        client.close()
    assert login(sasl_env, user, "Not-the-password-42") == "auth_failed"

    event = AuditEvent.objects.get(action="scram.credential.set", target=user)
    assert event.result == "ok" and event.before is None
    assert event.after == {"user": user, "mechanism": "SCRAM-SHA-512", "iterations": 8192}


def test_change_password_old_one_fails_new_one_works(api, sasl_cluster, sasl_env, unique_user):
    user = unique_user("rotate")
    assert create(api, sasl_cluster, user).status_code == 201
    assert eventually(lambda: login(sasl_env, user, PASSWORD), "ok") == "ok"

    changed = create(api, sasl_cluster, user, password=NEW_PASSWORD, iterations=12000)
    assert changed.status_code == 200, changed.content
    assert changed.json()["created"] is False and changed.json()["iterations"] == 12000

    assert eventually(lambda: login(sasl_env, user, PASSWORD), "auth_failed") == "auth_failed"
    assert login(sasl_env, user, NEW_PASSWORD) == "ok"
    assert broker_listing(sasl_env, user) == [("SCRAM-SHA-512", 12000)] == listed(api, sasl_cluster, user)

    event = AuditEvent.objects.filter(action="scram.credential.set", target=user).first()
    assert event.before == {"user": user, "mechanism": "SCRAM-SHA-512", "iterations": 8192}
    assert event.after == {"user": user, "mechanism": "SCRAM-SHA-512", "iterations": 12000}


def test_delete_then_login_fails(api, sasl_cluster, sasl_env, unique_user):
    user = unique_user("gone")
    assert create(api, sasl_cluster, user).status_code == 201
    assert eventually(lambda: login(sasl_env, user, PASSWORD), "ok") == "ok"

    wrong = api.delete(users_url(sasl_cluster, user) + f"?confirm={user}x")
    assert wrong.status_code == 400 and "confirm" in wrong.json()["errors"]
    assert broker_listing(sasl_env, user) == [("SCRAM-SHA-512", 8192)]  # nothing changed

    response = api.delete(users_url(sasl_cluster, user) + f"?confirm={user}")
    assert response.status_code == 200, response.content
    assert response.json() == {
        "user": user,
        "deleted": [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}],
        "remaining": [],
    }
    assert eventually(lambda: login(sasl_env, user, PASSWORD), "auth_failed") == "auth_failed"
    assert broker_listing(sasl_env, user) is None and listed(api, sasl_cluster, user) is None
    assert api.get(users_url(sasl_cluster, user)).status_code == 404
    again = api.delete(users_url(sasl_cluster, user) + f"?confirm={user}")
    assert again.status_code == 404 and user in again.json()["detail"]

    events = AuditEvent.objects.filter(action="scram.credential.delete", target=user)
    assert [e.result for e in events] == ["error", "ok", "error"]
    ok = events.get(result="ok")
    assert ok.before["credentials"] == [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}]
    assert ok.after["credentials"] == []


def test_sha256_credentials_are_created_listed_and_deleted_alone(api, sasl_cluster, sasl_env, unique_user):
    user = unique_user("both")
    assert create(api, sasl_cluster, user).status_code == 201
    sha256 = create(api, sasl_cluster, user, mechanism="SCRAM-SHA-256", iterations=4096)
    assert sha256.status_code == 201, sha256.content  # a new credential for the other mechanism
    both = [("SCRAM-SHA-256", 4096), ("SCRAM-SHA-512", 8192)]
    assert broker_listing(sasl_env, user) == both == listed(api, sasl_cluster, user)

    response = api.delete(users_url(sasl_cluster, user), {"confirm": user, "mechanism": "SCRAM-SHA-256"}, format="json")
    assert response.status_code == 200, response.content
    assert response.json()["remaining"] == [{"mechanism": "SCRAM-SHA-512", "iterations": 8192}]
    assert broker_listing(sasl_env, user) == [("SCRAM-SHA-512", 8192)]
    # The listener only enables SCRAM-SHA-512; that credential still logs in.
    assert eventually(lambda: login(sasl_env, user, PASSWORD), "ok") == "ok"
    missing = api.delete(users_url(sasl_cluster, user) + f"?confirm={user}&mechanism=SCRAM-SHA-256")
    assert missing.status_code == 404 and "it has: SCRAM-SHA-512" in missing.json()["detail"]


def test_pages_create_change_and_delete(client, admin_user, sasl_cluster, sasl_env, unique_user):
    client.force_login(admin_user)
    user = unique_user("page")
    base = f"/clusters/{sasl_cluster.pk}/scram-users/"
    form = {"user": user, "mechanism": "SCRAM-SHA-512", "iterations": "8192"}
    created = client.post(f"{base}~new/", {**form, "password": PASSWORD, "password_confirm": PASSWORD})
    assert created.status_code == 302, created.content.decode()[:2000]
    listing = client.get(base)
    html = listing.content.decode()
    assert f'data-user="{user}"' in html and 'data-mechanism="SCRAM-SHA-512" data-iterations="8192"' in html
    assert "Create user" in html and f"{base}{user}/password/" in html
    assert "Signalbox&#x27;s login" in html or "Signalbox's login" in html  # the admin row is marked
    assert eventually(lambda: login(sasl_env, user, PASSWORD), "ok") == "ok"

    page = client.get(f"{base}{user}/password/")
    assert page.status_code == 200 and 'autocomplete="new-password"' in page.content.decode()
    weak = client.post(
        f"{base}{user}/password/",
        {
            "mechanism": "SCRAM-SHA-512",
            "iterations": "8192",
            "password": user + "-pw-123",
            "password_confirm": user + "-pw-123",
        },
    )
    assert weak.status_code == 400 and "user name" in weak.content.decode()
    assert user + "-pw-123" not in weak.content.decode()
    changed = client.post(
        f"{base}{user}/password/",
        {
            "mechanism": "SCRAM-SHA-512",
            "iterations": "8192",
            "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD,
        },
    )
    assert changed.status_code == 302
    assert eventually(lambda: login(sasl_env, user, NEW_PASSWORD), "ok") == "ok"

    refused = client.post(f"{base}{user}/delete/", {"mechanism": "SCRAM-SHA-512", "confirm": "nope"})
    assert refused.status_code == 400 and "exactly to confirm" in refused.content.decode()
    deleted = client.post(f"{base}{user}/delete/", {"mechanism": "SCRAM-SHA-512", "confirm": user})
    assert deleted.status_code == 302
    assert eventually(lambda: login(sasl_env, user, NEW_PASSWORD), "auth_failed") == "auth_failed"
    assert f'data-user="{user}"' not in client.get(base).content.decode()


def test_read_only_cluster_lists_without_change_controls(client, admin_user, sasl_cluster, api, unique_user):
    user = unique_user("ro")
    assert create(api, sasl_cluster, user).status_code == 201
    sasl_cluster.read_only = True
    sasl_cluster.save()
    client.force_login(admin_user)
    html = client.get(f"/clusters/{sasl_cluster.pk}/scram-users/").content.decode()
    assert f'data-user="{user}"' in html
    assert "Create user" not in html and "/password/" not in html and "/delete/" not in html
    assert create(api, sasl_cluster, unique_user("ro")).status_code == 403


def test_a_cluster_without_sasl_lists_its_users_too(client, admin_user, local_cluster):
    # SCRAM credentials live in KRaft metadata whatever the listeners: the plain broker answers as well.
    client.force_login(admin_user)
    page = client.get(f"/clusters/{local_cluster.pk}/scram-users/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'id="scram-users"' in html or 'id="scram-empty"' in html


def test_a_user_made_elsewhere_with_an_odd_name_can_be_deleted(api, sasl_cluster, sasl_env, unique_user):
    from urllib.parse import quote

    from kafka.admin import UserScramCredentialUpsertion

    odd = unique_user("made by/cli")  # a space and a slash: refused for new users here, legal in Kafka
    admin = KafkaAdminClient(
        bootstrap_servers=sasl_env["KAFKA_SASL_BOOTSTRAP"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=sasl_env["KAFKA_SASL_MECHANISM"],
        sasl_plain_username=sasl_env["KAFKA_SASL_USERNAME"],
        sasl_plain_password=sasl_env["KAFKA_SASL_PASSWORD"],
        bootstrap_timeout_ms=5000,
    )
    try:
        admin.alter_user_scram_credentials([UserScramCredentialUpsertion(odd, "SCRAM-SHA-256", PASSWORD)])
    finally:
        admin.close()
    assert eventually(lambda: "ok" if listed(api, sasl_cluster, odd) else "missing", "ok") == "ok"
    detail = api.get(users_url(sasl_cluster, quote(odd)))
    assert detail.status_code == 200 and detail.json()["user"] == odd
    response = api.delete(users_url(sasl_cluster, quote(odd)), {"confirm": odd}, format="json")
    assert response.status_code == 200, response.content
    assert broker_listing(sasl_env, odd) is None


def test_a_read_only_token_lists_but_cannot_change(sasl_cluster, admin_user, unique_user):
    from access.tokens import token_create

    _, raw = token_create(user=admin_user, name="ro-scram", scope="read", expires_in_days=1)
    reader = APIClient()
    reader.credentials(HTTP_AUTHORIZATION=f"Bearer {raw}")
    listing = reader.get(users_url(sasl_cluster))
    assert listing.status_code == 200 and any(row["user"] == "admin" for row in listing.json())
    user = unique_user("token")
    refused = create(reader, sasl_cluster, user)
    assert refused.status_code == 403 and "read-only" in refused.json()["detail"]
    assert listed(reader, sasl_cluster, user) is None


def test_signalbox_own_credential_cannot_be_deleted(api, sasl_cluster, sasl_env):
    own = sasl_env["KAFKA_SASL_USERNAME"]
    response = api.delete(users_url(sasl_cluster, own) + f"?confirm={own}")
    assert response.status_code == 400 and "lock Signalbox out" in response.json()["errors"]["user"][0]
    assert login(sasl_env, own, sasl_env["KAFKA_SASL_PASSWORD"]) == "ok"


def test_weak_password_changes_nothing_on_the_broker(api, sasl_cluster, sasl_env, unique_user):
    user = unique_user("weak")
    response = create(api, sasl_cluster, user, password="password1234")
    assert response.status_code == 400 and "Too common" in response.json()["errors"]["password"][0]
    assert broker_listing(sasl_env, user) is None
    assert AuditEvent.objects.get(target=user).result == "error"


def test_broker_refusals_name_the_field(sasl_cluster, unique_user):
    settings = sasl_cluster.connection()
    with pytest.raises(KafkaRejected) as caught:
        scram_gateway.scram_credential_upsert(settings, unique_user("few"), "SCRAM-SHA-512", PASSWORD, 1000)
    assert caught.value.field == "iterations" and "Too few iterations" in caught.value.message
    assert PASSWORD not in caught.value.message


@pytest.fixture
def every_log_at_debug(caplog):
    """caplog at DEBUG for every logger, including kafka-python's non-propagating ones."""
    caplog.set_level(logging.DEBUG)
    names = set(logging.root.manager.loggerDict) | {"kafka", "kafka.net.connection", "kafka.protocol.parser"}
    saved = []
    for name in names:
        logger = logging.getLogger(name)
        saved.append((logger, logger.level, logger.disabled))
        logger.setLevel(logging.DEBUG)
        logger.disabled = False
        if not logger.propagate:
            logger.addHandler(caplog.handler)
    yield caplog
    for logger, level, disabled in saved:
        logger.setLevel(level)
        logger.disabled = disabled
        if caplog.handler in logger.handlers:
            logger.removeHandler(caplog.handler)


def test_the_password_is_in_no_log_line_response_or_audit_row(api, sasl_cluster, unique_user, every_log_at_debug):
    caplog = every_log_at_debug
    user = unique_user("quiet")
    secret = "Zx9-never-LOGGED-pw-7q"
    created = create(api, sasl_cluster, user, password=secret)
    changed = create(api, sasl_cluster, user, password=secret + "-2")
    refused = create(api, sasl_cluster, user, password=user + "-" + secret)
    listed_body = api.get(users_url(sasl_cluster)).content.decode()
    assert (created.status_code, changed.status_code, refused.status_code) == (201, 200, 400)

    lines = [caplog.text] + [r.getMessage() for r in caplog.records] + [repr(r.args) for r in caplog.records]
    everything = "\n".join(lines)
    assert len(caplog.records) > 10  # kafka-python's DEBUG lines were captured, not silenced
    assert secret not in everything
    assert "AlterUserScramCredentialsRequest(" not in everything  # its salt and hash are redacted
    assert scram_gateway._SECRET_FILTER.REDACTED in everything
    for response in (created, changed, refused):
        assert secret not in response.content.decode()
    assert secret not in listed_body
    rows = json.dumps(list(AuditEvent.objects.values()), default=str)
    assert secret not in rows and user in rows
