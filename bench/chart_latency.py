"""Benchmark: produce -> point on the chart in the browser.

Runs the product as `make demo` does (Daphne, a Celery worker and beat on a fresh
SQLite file, a local Kafka and Redis from dev/stack.py, stack `bench-chart`), opens a
topic's page in Debian's Chromium, then repeatedly: waits a random part of the poll
interval, produces a burst of messages, and times how long until the topic's
messages/s chart in the page holds a new non-zero point. The page records every
change of the chart's data itself (10 ms sampling), so the browser's clock stamps the
arrival; both clocks are this machine's.

    .venv/bin/python bench/chart_latency.py [--intervals 1,5] [--samples 20] [--screenshots DIR]

Target (issue 5): p95 <= poll interval + 1 s.
"""

from __future__ import annotations

import argparse
import os
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")

# Installed before the page's scripts: sample the chart's data every 10 ms and keep
# (browser time, number of points, last value) whenever it changes.
WATCHER = """
window.__points = [];
(function watch() {
  let last = -1;
  setInterval(() => {
    const el = document.querySelector('#chart-messages .chart-plot');
    if (!el || !el.data || !el.data[0]) return;
    const y = el.data[0].y;
    if (y.length !== last) {
      last = y.length;
      window.__points.push([Date.now(), y.length, y[y.length - 1]]);
    }
  }, 10);
})();
"""


QUIET = ["--without-gossip", "--without-mingle", "--loglevel=WARNING"]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def _env(tmp: Path, redis_url: str) -> dict[str, str]:
    from cryptography.fernet import Fernet

    return {
        **os.environ,
        "DJANGO_SETTINGS_MODULE": "controlplane.settings",
        "SECRET_KEY": "bench-" + uuid.uuid4().hex,
        "FIELD_ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DATABASE_URL": f"sqlite:///{tmp / 'bench.sqlite3'}",
        "REDIS_URL": redis_url,
        "CELERY_BROKER_URL": redis_url,
        "CELERY_RESULT_BACKEND": redis_url,
        "CHANNELS_PREFIX": "bench-chart",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "DEBUG": "false",
        "PYTHONUNBUFFERED": "1",
    }


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_port(port: int, proc: subprocess.Popen[bytes], timeout: float = 30) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError("daphne exited early")
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"daphne did not listen on {port}")


def measure(page, bootstrap: str, topic: str, interval: int, samples: int) -> list[float]:  # type: ignore[no-untyped-def]
    from kafka import KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, linger_ms=0)
    latencies: list[float] = []
    for i in range(samples):
        # Wait until the chart shows a rate of 0 again, so the next burst is a new point.
        page.wait_for_function(
            "() => window.__points.length && window.__points[window.__points.length - 1][2] === 0",
            timeout=(interval * 4 + 10) * 1000,
        )
        time.sleep(random.uniform(0, interval))
        for n in range(20):
            producer.send(topic, f"burst-{i}-{n}".encode())
        producer.flush()
        sent_ms = time.time() * 1000
        handle = page.wait_for_function(
            f"() => window.__points.find((p) => p[0] > {sent_ms} && p[2] > 0) || null",
            timeout=(interval * 4 + 10) * 1000,
        )
        arrived_ms = handle.json_value()[0]
        latencies.append((arrived_ms - sent_ms) / 1000)
        print(f"  interval {interval} s, sample {i + 1}/{samples}: {latencies[-1]:.2f} s", flush=True)
    producer.close()
    return latencies


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--intervals", default="1,5", help="poll intervals in seconds, comma-separated")
    parser.add_argument("--samples", type=int, default=20, help="bursts per interval")
    parser.add_argument("--screenshots", default="", help="save the dashboard, topic and group pages here")
    parser.add_argument("--keep", action="store_true", help="leave the bench stack running")
    args = parser.parse_args()
    intervals = [int(v) for v in args.intervals.split(",") if v]

    from kafka import KafkaConsumer
    from kafka.admin import KafkaAdminClient, NewTopic
    from playwright.sync_api import sync_playwright

    from dev.stack import Stack

    stack = Stack(name="bench-chart", root=ROOT)
    stack_env = stack.up(kafka=True, redis=True)
    tmp = Path(tempfile.mkdtemp(prefix="bench-chart-"))
    procs: list[subprocess.Popen[bytes]] = []
    results: dict[int, list[float]] = {}
    try:
        env = _env(tmp, stack_env["REDIS_URL"])
        py = sys.executable
        subprocess.run([py, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
        setup = subprocess.run(
            [
                py,
                "manage.py",
                "demo_setup",
                "--bootstrap",
                stack_env["KAFKA_BOOTSTRAP"],
                "--metrics-urls",
                stack_env.get("KAFKA_METRICS_URLS", ""),
                "--password-file",
                str(tmp / "password"),
            ],
            cwd=ROOT,
            env=env,
            check=True,
            capture_output=True,
            text=True,
        )
        match = re.search(r"login: (\S+) / (\S+)", setup.stdout)
        assert match, setup.stdout
        username, password = match.groups()

        topic = f"latency-{uuid.uuid4().hex[:6]}"
        group = f"latency-reader-{uuid.uuid4().hex[:6]}"
        admin = KafkaAdminClient(bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"])
        admin.create_topics([NewTopic(topic, 1, 1)])
        admin.close()
        consumer = KafkaConsumer(
            topic, bootstrap_servers=stack_env["KAFKA_BOOTSTRAP"], group_id=group, auto_offset_reset="earliest"
        )
        consumer.poll(timeout_ms=2000)
        consumer.commit()
        consumer.close()

        port = _free_port()
        logs = tmp / "logs"
        logs.mkdir()
        for name, argv in {
            "web": [py, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "controlplane.asgi:application"],
            "worker": [py, "-m", "celery", "-A", "controlplane", "worker", "--pool=threads", "--concurrency=4", *QUIET],
            "beat": [py, "-m", "celery", "-A", "controlplane", "beat", "-s", str(tmp / "beat"), "--loglevel=WARNING"],
        }.items():
            out = (logs / f"{name}.log").open("w")
            procs.append(subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT))
        _wait_port(port, procs[0])
        base = f"http://127.0.0.1:{port}"

        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-gpu"])
            page = browser.new_page(viewport={"width": 1400, "height": 1000})
            page.add_init_script(WATCHER)
            page.goto(f"{base}/login/")
            page.fill("#id_username", username)
            page.fill("#id_password", password)
            page.click("button[type=submit]")
            page.wait_for_url(f"{base}/clusters/")
            for interval in intervals:
                subprocess.run([py, "manage.py", "shell", "-c", _set_interval(interval)], cwd=ROOT, env=env, check=True)
                time.sleep(interval + 1)  # the previous due-mark expires
                # The topic is in the snapshot after the first poll; its page 404s until then.
                for _ in range(60):
                    response = page.goto(f"{base}/clusters/1/topics/{topic}/")
                    if response is not None and response.status == 200:
                        break
                    time.sleep(1)
                page.wait_for_selector("html[data-live=connected]", timeout=15000)
                results[interval] = measure(page, stack_env["KAFKA_BOOTSTRAP"], topic, interval, args.samples)
            if args.screenshots:
                shots = Path(args.screenshots)
                shots.mkdir(parents=True, exist_ok=True)
                for name, path in {
                    "dashboard": "/clusters/1/",
                    "topic": f"/clusters/1/topics/{topic}/",
                    "group": f"/clusters/1/groups/{group}/",
                }.items():
                    page.goto(base + path)
                    page.wait_for_timeout(3000)
                    page.screenshot(path=str(shots / f"{name}.png"), full_page=True)
            browser.close()
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
        if not args.keep:
            stack.down()
        shutil.rmtree(tmp, ignore_errors=True)

    print()
    print(f"command: {' '.join([Path(sys.executable).name, *sys.argv])}")
    print("produce -> new point on the topic's messages/s chart in Chromium (seconds)")
    print(f"{'poll interval':>14} {'samples':>8} {'p50':>7} {'p95':>7} {'max':>7}  target p95 <= interval + 1 s")
    for interval, values in results.items():
        p95 = percentile(values, 95)
        verdict = "met" if p95 <= interval + 1 else "missed"
        print(
            f"{interval:>12} s {len(values):>8} {statistics.median(values):>7.2f} {p95:>7.2f} {max(values):>7.2f}"
            f"  {verdict}"
        )
    return 0


def _set_interval(interval: int) -> str:
    return (
        f"from clusters.models import Cluster; Cluster.objects.filter(name='local').update(poll_interval_s={interval})"
    )


if __name__ == "__main__":
    sys.exit(main())
