"""The product's own processes for integration tests: Daphne (HTTP + websockets),
Celery worker and Celery beat, started as subprocesses against the test database and
the stack's Redis, exactly as `make demo` runs them. Nothing is mocked."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[2]


def database_url() -> str:
    """The test database (not the configured one) as a DATABASE_URL for subprocesses."""
    s = connection.settings_dict
    if s["ENGINE"].endswith("sqlite3"):
        return f"sqlite:///{s['NAME']}"
    return f"postgres://{s['USER']}:{s['PASSWORD']}@{s['HOST']}:{s['PORT']}/{s['NAME']}"


def process_env(stack_env: dict[str, str], **extra: str) -> dict[str, str]:
    from django.conf import settings

    env = {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "tests.settings",
        "DATABASE_URL": database_url(),
        "REDIS_URL": stack_env["REDIS_URL"],
        "CELERY_BROKER_URL": stack_env["REDIS_URL"],
        "CELERY_RESULT_BACKEND": stack_env["REDIS_URL"],
        "CHANNELS_PREFIX": settings.CHANNEL_LAYERS["default"]["CONFIG"]["prefix"],
        "PYTHONUNBUFFERED": "1",
        **extra,
    }
    env.pop("SQLITE_TEST_NAME", None)
    return env


class Proc:
    def __init__(self, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.log = log
        with log.open("w") as out:
            self.popen = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)

    def log_text(self, tail: int = 4000) -> str:
        return self.log.read_text(errors="replace")[-tail:]

    def alive(self) -> bool:
        return self.popen.poll() is None

    def stop(self) -> None:
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGTERM)
            try:
                self.popen.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait(timeout=5)


@contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[Proc]:
    proc = Proc(argv, env, log)
    try:
        yield proc
    finally:
        proc.stop()


def worker_argv(name: str, concurrency: int = 4) -> list[str]:
    return [
        sys.executable,
        "-m",
        "celery",
        "-A",
        "controlplane",
        "worker",
        "--pool=threads",
        f"--concurrency={concurrency}",
        "--without-gossip",
        "--without-mingle",
        "--without-heartbeat",
        "-n",
        f"{name}@%h",
        "--loglevel=INFO",
    ]


def beat_argv(schedule: Path) -> list[str]:
    return [sys.executable, "-m", "celery", "-A", "controlplane", "beat", "-s", str(schedule), "--loglevel=INFO"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def daphne_argv(port: int) -> list[str]:
    return [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "controlplane.asgi:application"]


def wait_for_port(port: int, proc: Proc, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"process exited early; its log:\n{proc.log_text()}")
        with socket.socket() as s:
            s.settimeout(0.5)
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"nothing listened on port {port} within {timeout} s; log:\n{proc.log_text()}")
