"""Shared fixtures for the broker tests: API clients and the id of the test broker."""

import pytest


@pytest.fixture
def broker_id(stack_env):
    from kafka import KafkaAdminClient  # test setup only

    admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
    try:
        return int(admin.describe_cluster()["controller_id"])
    finally:
        admin.close()


@pytest.fixture
def restore_config(api, local_cluster, broker_id):
    """Configs a test changes on the shared broker are DELETEd (back to default) afterwards."""
    names: list[str] = []
    yield names
    if names:
        api.patch(
            f"/api/v1/clusters/{local_cluster.pk}/brokers/{broker_id}/configs/",
            {"configs": [{"name": n, "op": "DELETE"} for n in names]},
            format="json",
        )
