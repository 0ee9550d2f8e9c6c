"""Passwords and tokens are never shown back or logged: SASL passwords (API and page, right and
wrong, against the real SASL/SCRAM broker), API tokens (API and page), user passwords (API,
page and the login form) go through Signalbox with every logger at DEBUG and every SQL
statement captured; none of them may appear in a later response, a log line, an audit event
or a query (so they are not stored in plain text either)."""

from __future__ import annotations

import logging
import re
import uuid

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from rest_framework.test import APIClient

from access.models import AuditEvent
from clusters.models import Cluster

pytestmark = pytest.mark.django_db


def _secret(label: str) -> str:
    return f"{label}-{uuid.uuid4().hex}"


@pytest.fixture
def every_logger_at_debug(caplog):
    """Root and every known logger at DEBUG, except kafka-python's: its DEBUG dump of the client
    config holds the SASL password, which settings refuse to enable (KAFKA_CLIENT_LOG_LEVEL)."""
    caplog.set_level(logging.DEBUG)
    for name in list(logging.root.manager.loggerDict):
        if name != "kafka" and not name.startswith("kafka."):
            caplog.set_level(logging.DEBUG, logger=name)
    return caplog


def _everything_logged(caplog) -> str:
    lines = []
    for record in caplog.records:
        lines.append(record.getMessage())
        lines.append(repr(record.args))
        lines.append(repr(getattr(record, "request", "")))
        if record.exc_info:
            lines.append(logging.Formatter().formatException(record.exc_info))
    return "\n".join(lines) + caplog.text


def test_secrets_are_never_shown_back_logged_audited_or_stored_in_clear(
    admin_user, sasl_env, every_logger_at_debug, settings
):
    settings.KAFKA_BOOTSTRAP_TIMEOUT_MS = 3000
    caplog = every_logger_at_debug
    sasl = {
        "bootstrap_servers": sasl_env["KAFKA_SASL_BOOTSTRAP"],
        "security_protocol": "SASL_PLAINTEXT",
        "sasl_mechanism": sasl_env["KAFKA_SASL_MECHANISM"],
        "sasl_username": sasl_env["KAFKA_SASL_USERNAME"],
    }
    right = sasl_env["KAFKA_SASL_PASSWORD"]
    wrong_api, wrong_unsaved, page_password = _secret("wrong-api"), _secret("unsaved"), _secret("page-pw")
    user_pw_api, user_pw_patch, user_pw_page = _secret("Api-pw-1"), _secret("Patch-pw-2"), _secret("Page-pw-3")
    wrong_login = _secret("wrong-login")
    api = APIClient()
    api.force_login(admin_user)
    page = Client()
    page.force_login(admin_user)
    bodies: list[tuple[str, str]] = []  # (what, body) of every response that must hold no secret

    def keep(what: str, response, status: int | tuple[int, ...]) -> str:
        body = response.content.decode(errors="replace")
        wanted = status if isinstance(status, tuple) else (status,)
        assert response.status_code in wanted, f"{what}: {response.status_code} {body[:300]}"
        bodies.append((what, body))
        return body

    with CaptureQueriesContext(connection) as queries:
        # SASL passwords through the API: the right one logs in to the real broker, a wrong one fails.
        created = api.post("/api/v1/clusters/", {"name": "sasl-api", **sasl, "sasl_password": right}, format="json")
        keep("API cluster create", created, 201)
        cid = created.json()["id"]
        keep("API test-connection (right)", api.post(f"/api/v1/clusters/{cid}/test-connection/"), 200)
        patched = api.patch(f"/api/v1/clusters/{cid}/", {"sasl_password": wrong_api}, format="json")
        keep("API cluster patch", patched, 200)
        keep("API test-connection (wrong)", api.post(f"/api/v1/clusters/{cid}/test-connection/"), 502)
        unsaved = {"name": "sasl-unsaved", **sasl, "sasl_password": wrong_unsaved}
        keep("API test unsaved", api.post("/api/v1/clusters/test-connection/", unsaved, format="json"), 502)
        # A SASL password through the page form.
        form = {"name": "sasl-page", **sasl, "sasl_password": page_password, "poll_interval_s": 5, "enabled": "on"}
        keep("page cluster create", page.post("/clusters/new/", form), 302)
        page_cluster = Cluster.objects.get(name="sasl-page")
        keep("page test-connection", page.post(f"/clusters/{page_cluster.pk}/test-connection/"), (200, 502))
        # API tokens: shown exactly once, in the response that creates them.
        made = api.post("/api/v1/tokens/", {"name": "ci", "scope": "write", "expires_in_days": 7}, format="json")
        assert made.status_code == 201, made.content
        api_token = made.json()["token"]
        assert made.content.decode().count(api_token) == 1
        made_page = page.post("/account/tokens/", {"name": "ci-page", "scope": "read", "expires_in_days": 30})
        assert made_page.status_code == 200 and made_page["Cache-Control"] == "no-store"
        found = re.search(r'id="tokens-secret"[^>]*value="(sbx_[^"]+)"', made_page.content.decode())
        assert found, "the tokens page did not show the new secret"
        page_token = found.group(1)
        bearer = APIClient()
        for raw in (api_token, page_token):
            keep("bearer request", bearer.get("/api/v1/me/access/", HTTP_AUTHORIZATION=f"Bearer {raw}"), 200)
        # User passwords: created and changed over the API and on the page, then used to log in.
        new_user = api.post("/api/v1/users/", {"username": "carol", "password": user_pw_api}, format="json")
        uid = keep("API user create", new_user, 201) and new_user.json()["id"]
        keep("API password change", api.patch(f"/api/v1/users/{uid}/", {"password": user_pw_patch}, format="json"), 200)
        pair = {"password": user_pw_page, "password_again": user_pw_page}
        keep("page password change", page.post(f"/access/users/{uid}/password/", pair), 302)
        keep("login (wrong)", Client().post("/login/", {"username": "carol", "password": wrong_login}), 200)
        keep("login (right)", Client().post("/login/", {"username": "carol", "password": user_pw_page}), 302)
        # Everything that shows these objects afterwards.
        for path in (
            f"/clusters/{cid}/",
            f"/clusters/{cid}/edit/",
            f"/clusters/{page_cluster.pk}/edit/",
            "/clusters/",
            "/account/tokens/",
            f"/access/users/{uid}/",
            "/audit/",
        ):
            keep(f"GET {path}", page.get(path), 200)
        for path in (f"/api/v1/clusters/{cid}/", "/api/v1/clusters/", "/api/v1/tokens/", f"/api/v1/users/{uid}/"):
            keep(f"GET {path}", api.get(path), 200)
        keep("GET /api/v1/audit/", api.get("/api/v1/audit/?limit=500"), 200)
        export = api.get("/api/v1/audit/export.csv")
        bodies.append(("audit CSV", b"".join(export.streaming_content).decode()))

    secrets = {
        "SASL password (right)": right,
        "SASL password (API, wrong)": wrong_api,
        "SASL password (unsaved test)": wrong_unsaved,
        "SASL password (page)": page_password,
        "API token (API)": api_token,
        "API token (page)": page_token,
        "user password (API create)": user_pw_api,
        "user password (API change)": user_pw_patch,
        "user password (page change)": user_pw_page,
        "user password (failed login)": wrong_login,
    }
    logged = _everything_logged(caplog)
    assert "Failed sign-in for username 'carol'" in logged  # the capture does see our loggers
    audit = "\n".join(f"{e.target} {e.before} {e.after} {e.error}" for e in AuditEvent.objects.all())
    assert "cluster.create" in "".join(AuditEvent.objects.values_list("action", flat=True))
    sql = "\n".join(f"{q['sql']}" for q in queries.captured_queries)
    assert len(queries.captured_queries) > 50
    leaks = []
    for label, secret in secrets.items():
        leaks += [f"{label} in the response to {what}" for what, body in bodies if secret in body]
        leaks += [f"{label} in the log" for _ in [0] if secret in logged]
        leaks += [f"{label} in the audit trail" for _ in [0] if secret in audit]
        leaks += [f"{label} in an SQL statement (stored in clear?)" for _ in [0] if secret in sql]
    assert not leaks, "\n".join(leaks)
