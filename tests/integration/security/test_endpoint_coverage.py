"""Every endpoint refuses a user without the role it needs (issue 6, item 2).

The URL configuration and the OpenAPI schema are walked at run time; each (URL name, method)
must be classified in RULES (rules.py beside this file), or the test fails: a new endpoint
has to say who may use it.
Then every endpoint is called as a stranger, as a user without a grant on the cluster, as a
viewer and as an operator, and the answer must match its classification; nothing may change."""

from __future__ import annotations

from typing import Any

import pytest
from django.test import Client
from rest_framework.test import APIClient

from tests.integration.security.endpoints import (
    CLUSTER_SCOPED,
    UNSAFE,
    Endpoint,
    Rule,
    classify,
    route_of,
    schema_operations,
    schema_path_route,
)
from tests.integration.security.rules import RULES
from tests.integration.security.sweep import world_endpoints, world_state

pytestmark = pytest.mark.django_db


def _operations(world) -> list[tuple[Endpoint, str]]:
    """Every (endpoint, method) of the URL configuration and of the OpenAPI schema."""
    endpoints = world_endpoints(world)
    operations = {(e.path, m): (e, m) for e in endpoints for m in e.methods}
    by_route = {route_of(e.path): e for e in endpoints}
    for template, method in schema_operations():
        endpoint = by_route.get(schema_path_route(template))
        assert endpoint is not None, f"OpenAPI path {template} is served by no walked URL"
        operations.setdefault((endpoint.path, method), (endpoint, method))
    return sorted(operations.values(), key=lambda op: (op[0].path, op[1]))


def _classified(world) -> list[tuple[Endpoint, str, Rule]]:
    result, missing = [], []
    for endpoint, method in _operations(world):
        rule = classify(RULES, endpoint.name, method)
        if rule is None:
            missing.append(f"{method} {endpoint} ({endpoint.route})")
        else:
            result.append((endpoint, method, rule))
    assert not missing, (
        "Endpoints nobody classified: add each to RULES in tests/integration/security/rules.py with the role it needs "
        "(and make the view check it):\n" + "\n".join(missing)
    )
    return result


def _client(user, api: bool) -> Any:
    client = APIClient() if api else Client()
    if user is not None:
        client.force_login(user)
    return client


def _call(client, endpoint: Endpoint, method: str):
    if method == "GET":
        return client.get(endpoint.path)
    if endpoint.api:  # an empty body: a view must refuse before it validates anything
        return client.generic(method, endpoint.path, "{}", content_type="application/json")
    return client.generic(method, endpoint.path, "", content_type="application/x-www-form-urlencoded")


def _body(response) -> str:
    if getattr(response, "streaming", False):
        return b"".join(response.streaming_content).decode(errors="replace")
    return response.content.decode(errors="replace")


def _is_login_redirect(response) -> bool:
    return response.status_code == 302 and response["Location"].startswith("/login/")


def _allowed(response) -> bool:
    return (
        response.status_code < 500
        and response.status_code not in (401, 403, 404, 405)
        and not _is_login_redirect(response)
    )


def _expectation(identity: str, need: str, method: str) -> str | None:
    """What `identity` must get: "refused-anonymous", "forbidden" (403), "hidden" (403 or 404),
    "allowed", or None when the call is not made (it would change the identity's own things)."""
    if need == "public":
        return None
    if identity == "anonymous":
        return "refused-anonymous"
    if need == "self":
        return "allowed" if method == "GET" else None
    if need == "login":
        return "allowed"
    if need == "owner":
        return "hidden"
    if identity == "nogrant":
        return "hidden"  # cluster-scoped and superuser-only alike: the cluster does not exist for them
    if need == "superuser":
        return "forbidden"
    rank = {"viewer": 1, "operator": 2, "admin": 3}
    held = rank[identity]
    if need == "messages":
        return "forbidden"  # neither test user has the read-messages flag
    if rank[need] > held:
        return "forbidden"
    if method in UNSAFE and need != "viewer":
        return None  # allowed, and it would change Kafka: the feature's own tests cover it
    return "allowed"


def _sweep(world, identity: str) -> list[str]:
    user = {"anonymous": None, "nogrant": world.nogrant, "viewer": world.viewer, "operator": world.operator}[identity]
    secrets = world.secrets_for(identity)
    failures = []
    clients = {True: _client(user, api=True), False: _client(user, api=False)}
    for endpoint, method, rule in _classified(world):
        expected = _expectation(identity, rule.need, method)
        if expected is None:
            continue
        response = _call(clients[endpoint.api], endpoint, method)
        status = response.status_code
        body = _body(response)
        where = f"{method} {endpoint.path} [{endpoint.name}, needs {rule.need}]"
        if expected == "refused-anonymous":
            ok = status in (401, 403) if endpoint.api else _is_login_redirect(response)
            want = "401/403" if endpoint.api else "a redirect to /login/"
        elif expected == "forbidden":
            ok, want = status == 403, "403"
        elif expected == "hidden":
            ok, want = status in (403, 404), "403 or 404"
        else:
            ok, want = _allowed(response), "to be let through"
        if not ok:
            location = f" -> {response['Location']}" if status in (301, 302) else ""
            failures.append(f"{where}: {identity} got {status}{location}, expected {want}; body: {body[:200]!r}")
        leaked = [s for s in secrets if s in body]
        if leaked:
            failures.append(f"{where}: {identity} got {status} showing {leaked}")
    return failures


@pytest.mark.parametrize("identity", ["anonymous", "nogrant", "viewer", "operator"])
def test_every_endpoint_refuses_whoever_lacks_the_role_and_changes_nothing(world, identity):
    before = world_state(world)
    failures = _sweep(world, identity)
    after = world_state(world)
    changed = {k: (before[k], after[k]) for k in before if before[k] != after[k]}
    assert not failures, f"{len(failures)} endpoint(s) broke the rules for {identity}:\n" + "\n".join(failures)
    assert not changed, f"requests by {identity} changed state: {changed}"


def test_every_endpoint_is_classified_and_covered(world):
    classified = _classified(world)
    names = {e.name for e, _, _ in classified}
    # The walk is dynamic, but it must at least find the areas this test was written against.
    for expected in ("topics:detail", "api-topic-list", "cluster-detail", "acl-list", "grant-list", "token-list"):
        assert expected in names, f"{expected} not found by the URL walk"
    by_need: dict[str, int] = {}
    for _, _, rule in classified:
        by_need[rule.need] = by_need.get(rule.need, 0) + 1
    assert set(by_need) >= CLUSTER_SCOPED | {"superuser", "public", "login", "self", "owner"}


def test_every_api_endpoint_is_in_the_openapi_schema(world):
    documented = {(schema_path_route(t)[1], m) for t, m in schema_operations()}
    undocumented = [
        f"{m} {e} ({e.route})"
        for e in world_endpoints(world)
        if e.api and e.name not in ("api-root", "api-schema", "api-docs")
        for m in e.methods
        if (route_of(e.path)[1], m) not in documented
    ]
    assert not undocumented, "API endpoints missing from /api/v1/schema/:\n" + "\n".join(undocumented)


def test_the_superuser_can_open_every_page_and_read_every_api_endpoint(world):
    clients = {True: _client(world.admin, api=True), False: _client(world.admin, api=False)}
    failures = []
    for endpoint, method, rule in _classified(world):
        if method != "GET" or rule.need == "public":
            continue
        response = clients[endpoint.api].get(endpoint.path)
        if response.status_code >= 500 or response.status_code in (401, 403) or _is_login_redirect(response):
            failures.append(f"GET {endpoint} [{endpoint.name}]: {response.status_code} {_body(response)[:200]!r}")
    assert not failures, "The superuser was refused or hit an error:\n" + "\n".join(failures)
