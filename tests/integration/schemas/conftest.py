"""The real schema registry (Apicurio Registry 3, Confluent-compatible API) for the schema tests:
SCHEMA_REGISTRY_URL from the environment when a stack started with --registry runs, otherwise a stack
with only the registry, started here (built once per machine by dev/registry/build.sh)."""

from __future__ import annotations

import os
import uuid

import pytest

from dev.stack import Stack
from tests.integration.conftest import ROOT


@pytest.fixture(scope="session")
def registry_env() -> dict[str, str]:
    if os.environ.get("SCHEMA_REGISTRY_URL"):
        yield {"SCHEMA_REGISTRY_URL": os.environ["SCHEMA_REGISTRY_URL"]}
        return
    stack = Stack(name="pytest-registry", root=ROOT)
    env = stack.up(kafka=False, redis=False, registry=True)
    try:
        yield env
    finally:
        stack.down()


@pytest.fixture
def registry_url(registry_env) -> str:
    return registry_env["SCHEMA_REGISTRY_URL"]


@pytest.fixture
def registry_cluster(local_cluster, registry_url):
    """The test cluster pointing at the real registry."""
    local_cluster.schema_registry_url = registry_url
    local_cluster.save()
    return local_cluster


@pytest.fixture
def subject() -> str:
    """A subject no other test uses (the registry is shared by the session)."""
    return f"sch-{uuid.uuid4().hex[:10]}-value"
