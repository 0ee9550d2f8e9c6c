"""The schema tests' view of the real registry (registry_env, tests/integration/conftest.py)."""

from __future__ import annotations

import uuid

import pytest


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
