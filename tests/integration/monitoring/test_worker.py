"""A poll executed by a real Celery worker process (not eager mode) against the
real broker, through the real Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from django.db import connection

from clusters.models import ClusterStatus
from monitoring.tasks import poll_cluster

ROOT = Path(__file__).resolve().parents[3]
pytestmark = pytest.mark.django_db(transaction=True)


def _database_url() -> str:
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


@pytest.fixture
def worker(stack_env, tmp_path):
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "REDIS_URL": stack_env["REDIS_URL"],
        "CELERY_BROKER_URL": stack_env["REDIS_URL"],
        "CELERY_RESULT_BACKEND": stack_env["REDIS_URL"],
    }
    env.pop("SQLITE_TEST_NAME", None)
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "controlplane",
                "worker",
                "--pool=solo",
                "--concurrency=1",
                "--without-gossip",
                "--without-mingle",
                "-n",
                "pytest@%h",
                "--loglevel=INFO",
            ],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )
    try:
        yield proc, log
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()


def test_real_worker_polls_the_cluster(worker, local_cluster, stack_env):
    proc, log = worker
    result = poll_cluster.apply_async(args=[local_cluster.pk], expires=60)
    try:
        outcome = result.get(timeout=60)
    except Exception:
        pytest.fail(f"worker did not run the poll; its log:\n{log.read_text()[-3000:]}")
    assert outcome["outcome"] == "ok", outcome
    assert proc.poll() is None
    status = ClusterStatus.objects.get(cluster=local_cluster)
    assert status.reachable
    assert status.kafka_cluster_id == stack_env["KAFKA_CLUSTER_ID"]
    assert status.broker_count == 1
    assert f"Task monitoring.tasks.poll_cluster[{result.id}] succeeded" in log.read_text()


def test_dispatcher_queues_one_poll_per_due_cluster(worker, local_cluster):
    from monitoring.tasks import _conn, dispatch_polls

    _conn().delete(f"signalbox:poll-due:{local_cluster.pk}")
    assert dispatch_polls() == 1
    assert dispatch_polls() == 0  # not due again within its interval: no double polls
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        status = ClusterStatus.objects.get(cluster=local_cluster)
        if status.checked_at is not None:
            break
        time.sleep(0.3)
    assert status.reachable
