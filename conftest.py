"""Root pytest hooks: say which real services this run uses."""

import os


def pytest_report_header(config):
    database = os.environ.get("DATABASE_URL", "sqlite (default)").split("@")[-1]
    kafka = os.environ.get("KAFKA_BOOTSTRAP", "started by the integration fixtures")
    return f"signalbox: database {database}; kafka {kafka}"
