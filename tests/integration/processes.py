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


# ---- several workers and beats at once (tests/integration/live_pipeline)


def wait_for_log(proc: Proc, text: str, timeout: float = 60) -> None:
    """Wait until the process has logged `text` (e.g. a worker's "ready."); fail with its log."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not proc.alive():
            raise RuntimeError(f"process exited early; its log:\n{proc.log_text()}")
        if text in proc.log.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise RuntimeError(f"{text!r} not logged within {timeout} s; log:\n{proc.log_text()}")


class Pipeline:
    """Celery workers and beats started together, each with its own log file; `stop()`
    ends them all (SIGTERM to every one at once, SIGKILL to any still running after 15 s)."""

    def __init__(self) -> None:
        self.workers: list[Proc] = []
        self.beats: list[Proc] = []

    def logs(self, tail: int = 3000) -> str:
        return "\n".join(f"--- {p.log.name}\n{p.log_text(tail)}" for p in [*self.workers, *self.beats])

    def alive(self) -> bool:
        return all(p.alive() for p in [*self.workers, *self.beats])

    def pids(self) -> list[int]:
        return [p.popen.pid for p in [*self.workers, *self.beats]]

    def stop(self) -> None:
        procs = [*self.beats, *self.workers]
        for proc in procs:  # all at once: each may take seconds to shut down
            if proc.alive():
                proc.popen.send_signal(signal.SIGTERM)
        deadline = time.monotonic() + 15
        for proc in procs:
            try:
                proc.popen.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                proc.popen.kill()
                proc.popen.wait(timeout=5)


@contextmanager
def pipeline(
    stack_env: dict[str, str], log_dir: Path, workers: tuple[str, ...] = ("pipe-worker",), beats: int = 1, **env: str
) -> Iterator[Pipeline]:
    """Start `workers` (Celery node names) and `beats` beat processes with the product's
    schedule, all on the test database and the stack's Redis, `env` added to their
    environment; wait until every worker is ready and every beat has started."""
    penv = process_env(stack_env, **env)
    running_ = Pipeline()
    try:
        for name in workers:
            running_.workers.append(Proc(worker_argv(name), penv, log_dir / f"{name}.log"))
        for i in range(1, beats + 1):
            argv = beat_argv(log_dir / f"beat-{i}-schedule")
            running_.beats.append(Proc(argv, penv, log_dir / f"beat-{i}.log"))
        for proc in running_.workers:
            wait_for_log(proc, " ready.")
        for proc in running_.beats:
            wait_for_log(proc, "beat: Starting")
        yield running_
    finally:
        running_.stop()
