"""A Cluster row on the SASL/SCRAM broker (as its super user), unique user names, and a
login probe that proves a credential by connecting to Kafka with it."""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Iterator

import pytest

from clusters.gateway import GatewayError
from clusters.gateway.connection import open_admin
from clusters.gateway.types import ConnectionSettings


@pytest.fixture
def unique_user(sasl_env) -> Iterator[Callable[[str], str]]:
    """unique_user("app") -> "app-1a2b3c4d5e": the broker is shared by the whole session.
    Whatever credentials the test left behind for these names are deleted afterwards."""
    from kafka import KafkaAdminClient
    from kafka.admin import UserScramCredentialDeletion

    made: list[str] = []

    def make(prefix: str = "scram") -> str:
        made.append(f"{prefix}-{uuid.uuid4().hex[:10]}")
        return made[-1]

    yield make
    admin = KafkaAdminClient(
        bootstrap_servers=sasl_env["KAFKA_SASL_BOOTSTRAP"],
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=sasl_env["KAFKA_SASL_MECHANISM"],
        sasl_plain_username=sasl_env["KAFKA_SASL_USERNAME"],
        sasl_plain_password=sasl_env["KAFKA_SASL_PASSWORD"],
        bootstrap_timeout_ms=5000,
    )
    try:
        for name in made:
            for mechanism in ("SCRAM-SHA-256", "SCRAM-SHA-512"):  # one change per user per request
                admin.alter_user_scram_credentials([UserScramCredentialDeletion(name, mechanism)])
    finally:
        admin.close()


def login(env: dict[str, str], user: str, password: str, mechanism: str = "SCRAM-SHA-512") -> str:
    """Log in to the SASL broker as `user` with a fresh kafka-python admin client and list
    topics: "ok", or the reason it failed ("auth_failed" when the broker refused the login)."""
    settings = ConnectionSettings(
        name=f"login-as-{user}",
        bootstrap_servers=(env["KAFKA_SASL_BOOTSTRAP"],),
        security_protocol="SASL_PLAINTEXT",
        sasl_mechanism=mechanism,
        username=user,
        password=password,
        request_timeout_ms=5000,
        bootstrap_timeout_ms=2500,
    )
    try:
        admin = open_admin(settings)
    except GatewayError as exc:
        return exc.code
    try:
        admin.list_topics()  # a request that needs an authenticated session
        return "ok"
    finally:
        admin.close()


def eventually(probe: Callable[[], str], expected: str, timeout_s: float = 20) -> str:
    """Probe until it answers `expected` (the broker applies credential changes within moments)."""
    deadline = time.monotonic() + timeout_s
    while True:
        got = probe()
        if got == expected or time.monotonic() >= deadline:
            return got
        time.sleep(0.3)
