"""Schemathesis against our own OpenAPI schema (/api/v1/schema/): every operation, generated
valid and invalid input, sent with a valid read-write API token of a user who is viewer
(with the read-messages flag) on a cluster of the real test broker. Changes must come back
403 (never 5xx); reads run against real topics, groups and messages; every response must
match the schema where the schema documents its status code.

Bounded and reproducible: a fixed seed, derandomized, a few examples per operation, no
shrinking and no coverage phase, so the run stays around a minute or two."""

from __future__ import annotations

import hypothesis
import pytest
import schemathesis
from django.core import signals
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from kafka.admin import KafkaAdminClient
from schemathesis import GenerationMode
from schemathesis.checks import not_a_server_error
from schemathesis.core.failures import FailureGroup
from schemathesis.core.result import Err
from schemathesis.specs.openapi.checks import response_schema_conformance

from access.models import ApiToken
from access.tokens import token_create
from tests.grants import grant
from tests.integration.kafka_setup import caught_up_group
from tests.integration.security.endpoints import classify, route_of
from tests.integration.security.rules import RULES

pytestmark = pytest.mark.django_db

EXAMPLES_PER_OPERATION = 5
SEED = 20261128


@pytest.fixture(scope="module")
def broker_objects(stack_env):
    topic, group = caught_up_group(stack_env["KAFKA_BOOTSTRAP"], "hyg-st", messages=5)
    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        broker_id = admin.describe_cluster()["brokers"][0]["broker_id"]
    finally:
        admin.close()
    return topic, group, broker_id


@pytest.fixture
def viewer_token(local_cluster, viewer, broker_objects):
    from monitoring.services import cluster_poll

    cluster_poll(cluster=local_cluster)
    grant(viewer, local_cluster, "viewer", read_messages=True)
    token, raw = token_create(user=viewer, name="schemathesis", scope="write", expires_in_days=1)
    return token, raw


@pytest.fixture
def keep_test_connection():
    """The WSGI app closes the database connection after each request; in a test that would
    close the test's transaction, so (as Django's test client does) it is kept open."""
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    yield
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.fixture
def api_schema(viewer_token, keep_test_connection):
    _, raw = viewer_token
    config = schemathesis.Config.from_dict(
        {
            "seed": SEED,
            "headers": {"Authorization": f"Bearer {raw}"},
            "generation": {"deterministic": True, "with-security-parameters": False},
        }
    )
    return schemathesis.openapi.from_wsgi("/api/v1/schema/", get_wsgi_application(), config=config)


def _run(operation, mode, fixed, token, raw, seen: list[tuple[str, int]]) -> None:
    """A bounded Hypothesis run of one operation in one generation mode; records each status."""

    @hypothesis.settings(
        max_examples=EXAMPLES_PER_OPERATION,
        derandomize=True,
        database=None,
        deadline=None,
        phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],  # no shrinking: report the first
        suppress_health_check=list(hypothesis.HealthCheck),
    )
    @hypothesis.given(case=operation.as_strategy(mode, path_parameters=fixed))
    def run(case) -> None:
        # A generated DELETE /api/v1/tokens/{id}/ may hit this very token: keep it usable.
        ApiToken.objects.filter(pk=token.pk).update(revoked_at=None)
        response = case.call(headers={"Authorization": f"Bearer {raw}"})
        seen.append((case.formatted_path, response.status_code))
        case.validate_response(response, checks=[not_a_server_error, response_schema_conformance])

    run()


def _refused_before_anything(operation, fixed: dict[str, object]) -> bool:
    """A change this viewer may not make, on an object that exists: it must answer 403 to any input."""
    names = {p.name for p in operation.path_parameters}
    if operation.method.upper() == "GET" or names - set(fixed):
        return False
    concrete = operation.path.format(**fixed)
    rule = classify(RULES, route_of(concrete)[0], operation.method.upper())
    return rule is not None and rule.need in ("operator", "admin", "superuser")


# schemathesis.pytest.from_fixture(...).parametrize() does not run under pytest 9.2 (it sets
# Node._nodeid, which pytest no longer has), so the operations are walked here instead.
def test_api_never_fails_and_matches_its_schema(api_schema, viewer_token, local_cluster, broker_objects):
    token, raw = viewer_token
    topic, group, broker_id = broker_objects
    # Real objects in the paths, so reads exercise real data instead of 404s.
    real = {"cluster_id": local_cluster.pk, "name": topic, "group_id": group, "broker_id": broker_id}
    failures: list[str] = []
    statuses: dict[str, list[int]] = {}
    for result in api_schema.get_all_operations():
        if isinstance(result, Err):
            failures.append(f"schema error: {result.err()}")
            continue
        operation = result.ok()
        fixed = {k: v for k, v in real.items() if k in {p.name for p in operation.path_parameters}}
        seen: list[tuple[str, int]] = []
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            try:
                _run(operation, mode, fixed, token, raw, seen)
            except hypothesis.errors.Unsatisfiable:
                continue  # nothing in this operation can be made invalid
            except (Exception, FailureGroup) as exc:  # every other failure is a finding: collect them all
                failures.append(f"{operation.label} [{mode.value}]: {type(exc).__name__}: {str(exc)[:1500]}")
        statuses[operation.label] = [status for _, status in seen]
        if _refused_before_anything(operation, fixed):
            wrong = sorted({f"{status} for {path}" for path, status in seen if status != 403})
            if wrong:
                failures.append(f"{operation.label}: a viewer's read-write token got {wrong[:3]}, expected 403 always")
    assert len(statuses) > 40, f"only {len(statuses)} operations ran: did the schema load?"
    answered = [label for label, codes in statuses.items() if any(200 <= c < 300 for c in codes)]
    assert len(answered) > 20, f"too few operations answered 2xx, the run saw little real data: {answered}"
    assert not failures, f"{len(failures)} schemathesis finding(s):\n\n" + "\n\n".join(failures)
