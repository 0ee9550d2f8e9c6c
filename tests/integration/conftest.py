"""Real services for integration tests, started once per session by dev/stack.py.

`make test` starts the `test` stack (Kafka, Redis, PostgreSQL) and passes its
addresses in the environment; run alone, these fixtures start what is missing.
Nothing here is mocked."""

from __future__ import annotations

import os
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from dev.stack import Stack  # noqa: E402

pytestmark = pytest.mark.integration


def pytest_collection_modifyitems(items):
    for item in items:
        if "/integration/" in str(item.fspath):
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack_env() -> dict[str, str]:
    """Kafka (1 broker) and Redis: from the environment when `make test` started them,
    otherwise started here and stopped at the end of the session."""
    if os.environ.get("KAFKA_BOOTSTRAP") and os.environ.get("REDIS_URL"):
        yield {k: v for k, v in os.environ.items() if k.startswith(("KAFKA_", "REDIS_", "CONNECT_"))}
        return
    stack = Stack(name="pytest", root=ROOT)
    env = stack.up(kafka=True, redis=True)
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture(scope="session")
def sasl_env() -> dict[str, str]:
    """A second broker with a SASL/SCRAM-SHA-512 listener and the StandardAuthorizer: from the
    environment when KAFKA_SASL_BOOTSTRAP is set (a stack started with --sasl), otherwise started here."""
    if os.environ.get("KAFKA_SASL_BOOTSTRAP"):
        env = {k: v for k, v in os.environ.items() if k.startswith("KAFKA_SASL_")}
        # A --sasl stack's only listener is the SASL one: KAFKA_BOOTSTRAP means it here too.
        yield {**env, "KAFKA_BOOTSTRAP": env["KAFKA_SASL_BOOTSTRAP"]}
        return
    stack = Stack(name="pytest-sasl", root=ROOT)
    env = stack.up(kafka=True, sasl=True, redis=False)
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture
def sasl_cluster(sasl_env, db):
    """A Cluster row for the SASL/SCRAM broker, logged in as its super user."""
    from clusters.models import Cluster, ClusterStatus

    cluster = Cluster(
        name="secure",
        bootstrap_servers=sasl_env["KAFKA_SASL_BOOTSTRAP"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=sasl_env["KAFKA_SASL_MECHANISM"],
        sasl_username=sasl_env["KAFKA_SASL_USERNAME"],
    )
    cluster.sasl_password = sasl_env["KAFKA_SASL_PASSWORD"]
    cluster.save()
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, one per test module."""
    import shutil

    from playwright.sync_api import sync_playwright

    chromium = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
    if not shutil.which(chromium) and not os.path.exists(chromium):
        pytest.fail(f"{chromium} is missing: `make test` installs Debian's chromium package")
    os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    with sync_playwright() as p:
        args = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update"]
        launched = p.chromium.launch(executable_path=chromium, args=[*args, "--disable-sync", "--no-first-run"])
        yield launched
        launched.close()


@pytest.fixture(scope="session")
def registry_env() -> dict[str, str]:
    """The real schema registry (Apicurio Registry 3, Confluent-compatible API): SCHEMA_REGISTRY_URL
    from the environment when a stack started with --registry runs (make test), otherwise started here
    (built once per machine by dev/registry/build.sh)."""
    if os.environ.get("SCHEMA_REGISTRY_URL"):
        yield {"SCHEMA_REGISTRY_URL": os.environ["SCHEMA_REGISTRY_URL"]}
        return
    stack = Stack(name="pytest-registry", root=ROOT)
    env = stack.up(kafka=False, redis=False, registry=True)
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture(autouse=True)
def _real_redis(stack_env, settings):
    """Point Channels and Celery at the stack's Redis for every integration test."""
    from channels.layers import channel_layers

    from controlplane.celery import app as celery_app

    url = stack_env["REDIS_URL"]
    settings.REDIS_URL = url
    settings.CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                "hosts": [{"address": url, "socket_timeout": None}],
                "prefix": "signalbox-test",
                "capacity": 1000,
            },
        }
    }
    channel_layers.backends.clear()
    celery_app.conf.broker_url = url
    celery_app.conf.result_backend = url
    yield
    channel_layers.backends.clear()


@pytest.fixture
def api(admin_user):
    """A REST client logged in as the admin."""
    from rest_framework.test import APIClient

    client = APIClient()
    client.force_authenticate(admin_user)
    return client


@pytest.fixture
def page(client, admin_user):
    """The Django test client logged in as the admin (for pages)."""
    client.force_login(admin_user)
    return client


@pytest.fixture
def viewer(django_user_model):
    """A logged-in user without admin rights."""
    return django_user_model.objects.create_user("viewer", "viewer@example.com", "viewer-pass-123")


@pytest.fixture
def admin_user(django_user_model):
    return django_user_model.objects.create_superuser("admin", "admin@example.com", "admin-pass-123")


@pytest.fixture
def local_cluster(stack_env, db):
    from clusters.models import Cluster, ClusterStatus

    cluster = Cluster.objects.create(name="local", bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    ClusterStatus.objects.create(cluster=cluster)
    return cluster


@pytest.fixture
def asgi_server(stack_env, transactional_db, tmp_path):
    """Daphne serving the product (pages, API, websockets) on the test database.
    Yields its base URL, e.g. http://127.0.0.1:41234."""
    from tests.integration.processes import daphne_argv, free_port, process_env, running, wait_for_port

    port = free_port()
    with running(daphne_argv(port), process_env(stack_env), tmp_path / "daphne.log") as proc:
        wait_for_port(port, proc)
        yield f"http://127.0.0.1:{port}"


@pytest.fixture
def celery_worker(stack_env, transactional_db, tmp_path):
    """A real Celery worker (threads pool, as in `make demo`) on the test database."""
    from tests.integration.processes import process_env, running, worker_argv

    with running(worker_argv("pytest-worker"), process_env(stack_env), tmp_path / "worker.log") as proc:
        yield proc


@pytest.fixture
def celery_beat(stack_env, transactional_db, tmp_path):
    """Real Celery beat with the product's schedule (a dispatcher tick every second)."""
    from tests.integration.processes import beat_argv, process_env, running

    with running(beat_argv(tmp_path / "beat-schedule"), process_env(stack_env), tmp_path / "beat.log") as proc:
        yield proc
