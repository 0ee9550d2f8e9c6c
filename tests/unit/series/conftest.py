"""Fixtures shared by the metric-history tests."""

import pytest

from clusters.models import Cluster
from monitoring import series as store
from monitoring import series_window


@pytest.fixture(autouse=True)
def _fresh_cache():
    # Rolled-back test transactions can reuse ids; start every test without the per-process cache.
    store._states.clear()
    series_window._windows.clear()
    yield
    store._states.clear()
    series_window._windows.clear()


@pytest.fixture
def cluster(db):
    return Cluster.objects.create(name="a", bootstrap_servers="h:9092")
