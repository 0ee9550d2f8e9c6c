#!/usr/bin/env python3
"""Start the real backing services of Signalbox (Kafka, Kafka Connect, Redis, PostgreSQL, a schema registry) as plain
background processes on 127.0.0.1, for dev, demo, tests and benchmarks.

No Docker, no virtualenv: Python 3.11 stdlib only, so it runs on a fresh machine.

CLI (progress goes to stderr; stdout carries only KEY=value lines, so it can be eval'ed):
    python3 dev/stack.py jars                  # ensure the Kafka jars (mvn into .cache/kafka/libs, or $KAFKA_HOME/libs)
                                               # and the Prometheus JMX exporter agent (.cache/kafka/agent)
    python3 dev/stack.py install [--postgres]  # apt-get install the servers that are missing
    python3 dev/stack.py up [--name NAME] [--kafka] [--brokers N] [--sasl] [--connect] [--redis] [--postgres]
                            [--registry]
    python3 dev/stack.py registry              # ensure the schema registry is built (.cache/registry, once)
    python3 dev/stack.py run [same flags]      # like up, in the foreground; SIGINT/SIGTERM stops the stack
    python3 dev/stack.py env [--name NAME]     # print the env of a running stack (exit 1 if none)
    python3 dev/stack.py down [--name NAME]    # stop it and delete its data
    python3 dev/stack.py kafka-node stop|start [--name NAME] [--node N] [--kill]
                                               # stop one broker keeping its port and data / start it again
`up` without service flags starts kafka (1 broker) + connect + redis. NAME defaults to "dev".

API (pytest fixtures, benchmarks):
    from dev.stack import Stack
    stack = Stack(name="test")  # root= the project checkout whose .cache/stack/ holds the state (default: this one)
    env = stack.up(kafka=True, brokers=1, sasl=False, connect=False, redis=True, postgres=False, registry=False)
    ...
    stack.kafka_node_stop(1)   # fault tests: the broker goes away, its port and data stay
    stack.kafka_node_start(1)  # ... and comes back as the same broker
    stack.down()

Stack NAME lives in <root>/.cache/stack/NAME/ (state.json, logs/, data), except its Postgres cluster, which is in
/tmp/signalbox-pg-NAME because it must be owned by the `postgres` user. Ports are the usual ones when free, else ports
picked by the OS, so stacks with different names run side by side.

Every broker runs the Prometheus JMX exporter agent (rules in dev/jmx-exporter.yml) on a loopback port of its own;
KAFKA_METRICS_URLS lists their /metrics URLs, comma-separated, in node order.

The schema registry is Apicurio Registry 3 (in-memory storage), built from Maven Central by dev/registry/build.sh into
.cache/registry/ the first time it is needed; SCHEMA_REGISTRY_URL is its Confluent-compatible API (/apis/ccompat/v7).
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import fcntl
import hashlib
import json
import os
import re
import secrets
import shutil
import signal
import socket
import struct
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

DEV_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEV_DIR.parent
LOG4J_CONFIG = DEV_DIR / "log4j2.properties"
POM = DEV_DIR / "pom.xml"
JMX_EXPORTER_CONFIG = DEV_DIR / "jmx-exporter.yml"
# The jars belong to this checkout's dev/pom.xml, whatever `root` a Stack keeps its state in.
CACHED_LIBS = REPO_ROOT / ".cache" / "kafka" / "libs"
# Off the classpath: the agent is a shaded jar that only -javaagent loads.
CACHED_AGENT = REPO_ROOT / ".cache" / "kafka" / "agent" / "jmx_prometheus_javaagent.jar"
REGISTRY_BUILD_SCRIPT = DEV_DIR / "registry" / "build.sh"
CACHED_REGISTRY = REPO_ROOT / ".cache" / "registry" / "build"
REGISTRY_JAR = Path("target") / "apicurio-runner-1-runner.jar"  # inside CACHED_REGISTRY, with target/lib/ beside it
REGISTRY_API = "/apis/ccompat/v7"
REQUIRED_JARS = ("kafka_2.13-", "kafka-tools-", "connect-runtime-", "connect-file-", "connect-json-", "log4j-core-")
# metrics: the JMX exporter agent's usual port.
DEFAULT_PORTS = {"kafka": 9092, "controller": 9093, "sasl": 9094, "connect": 8083, "redis": 6379, "postgres": 5432}
DEFAULT_PORTS |= {"metrics": 7071, "registry": 8081}
TIMEOUTS = {"kafka": 60, "connect": 90, "redis": 15, "postgres": 30, "registry": 120}  # seconds
SASL_MECHANISM, SASL_USER = "SCRAM-SHA-512", "admin"
DB_USER = DB_PASSWORD = DB_NAME = "signalbox"  # noqa: S105 - throwaway local test database
SCRAM_JAAS = 'org.apache.kafka.common.security.scram.ScramLoginModule required username="{}" password="{}";'
# The printed env, in this order: the contract with settings, tests and scripts.
ENV_ORDER = (
    *("KAFKA_BOOTSTRAP", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CLUSTER_ID", "KAFKA_BROKER_COUNT", "KAFKA_METRICS_URLS"),
    "KAFKA_SASL_BOOTSTRAP",
    *("KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME", "KAFKA_SASL_PASSWORD", "CONNECT_URL", "REDIS_URL", "DATABASE_URL"),
    "SCHEMA_REGISTRY_URL",
)
# Stop order: Connect before Kafka, or it logs errors while the brokers vanish.
STOP_ORDER = ("connect", "kafka", "redis", "postgres", "registry")
ENV_PREFIX = {"postgres": "DATABASE_", "registry": "SCHEMA_REGISTRY_"}  # a service's keys in the env, if not NAME_
# GC flags of Kafka's own start scripts. Heaps are small: the suite runs several JVMs on a 2-core machine.
JVM_FLAGS = (
    "-XX:+UseG1GC -XX:MaxGCPauseMillis=20 -XX:InitiatingHeapOccupancyPercent=35 -XX:+ExplicitGCInvokesConcurrent"
)
JVM_FLAGS += " -XX:+ExitOnOutOfMemoryError -Djava.awt.headless=true"


class StackError(Exception):
    """A failure whose message names the cause and the fix."""


def log(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


# ---------------------------------------------------------------------------------------------- tools & packages


def apt_install(*packages: str) -> None:
    """apt-get install; `apt-get update` first only when the package lists are empty or the install fails."""
    cmd = "apt-get install -y " + " ".join(packages)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise StackError(f"{', '.join(packages)} missing: run `sudo {cmd}` (needs root and apt)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    argv = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if not any("_Packages" in p.name for p in Path("/var/lib/apt/lists").glob("*")):
        log("apt package lists are empty: apt-get update")
        subprocess.run(["apt-get", "update"], stdout=sys.stderr, env=env)
    log(f"installing: {cmd}")
    if subprocess.run(argv, stdout=sys.stderr, env=env).returncode != 0:
        log("install failed: apt-get update, then again")
        subprocess.run(["apt-get", "update"], stdout=sys.stderr, env=env)
        if subprocess.run(argv, stdout=sys.stderr, env=env).returncode != 0:
            raise StackError(f"`{cmd}` failed (see the apt output above)")


def ensure_java() -> str:
    """Path of a Java 17+ (Kafka 4 needs it), installing openjdk-17-jre-headless if there is no java."""
    if not shutil.which("java"):
        apt_install("openjdk-17-jre-headless")
    java = shutil.which("java")
    if not java:
        raise StackError("java not found: install openjdk-17-jre-headless")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < 17:
        raise StackError(f"{java} is not Java 17+ ({out.strip()[:60]!r}): apt-get install -y openjdk-17-jre-headless")
    return java


def _mvn(goals: list[str], what: str) -> None:
    if not shutil.which("mvn"):
        apt_install("maven")
    ensure_java()
    cmd = ["mvn", "-q", "-B", "-Dstyle.color=never", "-f", str(POM), *goals]
    log(f"fetching {what}: " + " ".join(cmd))
    done = subprocess.run(cmd, capture_output=True, text=True)  # -q still prints colour codes on success
    if done.returncode != 0:
        raise StackError(
            f"mvn could not fetch {what} (its output below): fix dev/pom.xml or the network, "
            f"or set KAFKA_HOME\n{done.stdout}{done.stderr}"
        )


def ensure_jars() -> Path:
    """Directory with the Kafka and Connect jars: $KAFKA_HOME/libs if set, else .cache/kafka/libs (mvn fetches them
    there from dev/pom.xml when missing or when the pom changed). The JMX exporter agent comes along (ensure_agent)."""
    if os.environ.get("KAFKA_HOME"):
        libs = Path(os.environ["KAFKA_HOME"]) / "libs"
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise StackError(
                f"KAFKA_HOME={libs.parent} has no libs/kafka_2.13-*.jar: point it at an unpacked Kafka 4.x"
            )
        return libs
    marker, digest = CACHED_LIBS / ".pom-sha256", hashlib.sha256(POM.read_bytes()).hexdigest()
    with _flock(CACHED_LIBS.parent / ".jars.lock"):  # two `up`s on a fresh machine: one mvn
        have = all(any(CACHED_LIBS.glob(f"{j}*.jar")) for j in REQUIRED_JARS) and CACHED_AGENT.exists()
        stale = marker.exists() and marker.read_text() != digest
        if stale or not have:
            if stale:
                log("dev/pom.xml changed since the jars were fetched: fetching them again")
            # Fetched beside and swapped in: JVMs of running stacks open jars lazily by path, and find them there
            # (under the same names unless a version changed: restart those stacks then).
            fresh_libs, fresh_agent = CACHED_LIBS.with_name("libs.new"), CACHED_AGENT.parent.with_name("agent.new")
            for d in (fresh_libs, fresh_agent):
                shutil.rmtree(d, ignore_errors=True)
            # One mvn run for both: each run is a JVM start and a pass over the local repository.
            goals = ["dependency:copy-dependencies", "-DincludeScope=runtime", f"-DoutputDirectory={fresh_libs}"]
            goals += ["dependency:copy@jmx-agent", f"-Djmx.agent.dir={fresh_agent}"]
            _mvn(goals, "the Kafka jars and the JMX exporter agent")
            for fresh, final in ((fresh_libs, CACHED_LIBS), (fresh_agent, CACHED_AGENT.parent)):
                old = final.with_name(final.name + ".old")
                shutil.rmtree(old, ignore_errors=True)
                if final.exists():
                    final.rename(old)
                fresh.rename(final)
                shutil.rmtree(old, ignore_errors=True)
        marker.write_text(digest)
    return CACHED_LIBS


def ensure_agent() -> Path:
    """The Prometheus JMX exporter javaagent jar (version in dev/pom.xml), fetched into .cache/kafka/agent."""
    if not os.environ.get("KAFKA_HOME"):
        ensure_jars()  # fetches the agent together with the jars, and again when the pom changed
    with _flock(CACHED_LIBS.parent / ".jars.lock"):
        if not CACHED_AGENT.exists():
            _mvn(["dependency:copy@jmx-agent", f"-Djmx.agent.dir={CACHED_AGENT.parent}"], "the JMX exporter agent")
    return CACHED_AGENT


def ensure_registry() -> Path:
    """The runnable Apicurio Registry jar, built once per machine by dev/registry/build.sh into .cache/registry/build
    (again when the script changed). Needs a JDK (javac), mvn, curl and unzip; the build takes a few minutes cold."""
    marker = CACHED_REGISTRY.parent / ".build-sha256"
    digest = hashlib.sha256(REGISTRY_BUILD_SCRIPT.read_bytes()).hexdigest()
    with _flock(CACHED_REGISTRY.parent / ".build.lock"):  # two `up`s on a fresh machine: one build
        fresh = marker.exists() and marker.read_text() == digest
        if fresh and (CACHED_REGISTRY / REGISTRY_JAR).exists():
            return CACHED_REGISTRY / REGISTRY_JAR
        missing = [t for t in ("mvn", "javac", "jar", "curl", "unzip") if not shutil.which(t)]
        if missing:
            raise StackError(
                f"building the schema registry needs {', '.join(missing)}: "
                "apt-get install -y maven openjdk-17-jdk-headless curl unzip"
            )
        ensure_java()
        # Built beside and swapped in, so an interrupted build never counts as done.
        new = CACHED_REGISTRY.with_name("build.new")
        shutil.rmtree(new, ignore_errors=True)
        log(f"building the schema registry (Apicurio, Maven Central) into {_rel(CACHED_REGISTRY)}; minutes when cold")
        t0 = time.monotonic()
        done = subprocess.run(["bash", str(REGISTRY_BUILD_SCRIPT), str(new)], capture_output=True, text=True)
        if done.returncode != 0 or not (new / REGISTRY_JAR).exists():
            raise StackError(
                f"dev/registry/build.sh failed (exit {done.returncode}; its output below): check the network to "
                f"Maven Central, or fix the script\n{done.stdout[-4000:]}{done.stderr[-4000:]}"
            )
        shutil.rmtree(CACHED_REGISTRY, ignore_errors=True)
        new.rename(CACHED_REGISTRY)
        marker.write_text(digest)
        log(f"schema registry built in {time.monotonic() - t0:.0f} s")
    return CACHED_REGISTRY / REGISTRY_JAR


def ensure_redis() -> str:
    if not shutil.which("redis-server"):
        apt_install("redis-server")
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def ensure_postgres() -> Path:
    """bin dir of the newest installed PostgreSQL server (Debian layout), installing `postgresql` if there is none."""

    def newest() -> Path | None:
        bins = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
        return max(bins, key=lambda p: int(p.parent.name), default=None)

    if newest() is None:
        apt_install("postgresql")
    found = newest()
    if found is None:
        raise StackError("no /usr/lib/postgresql/*/bin/postgres: apt-get install -y postgresql")
    return found


# ---------------------------------------------------------------------------------------------- small helpers


@contextlib.contextmanager
def _flock(path: Path) -> Iterator[None]:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)  # released when the file closes
        yield


def _port_free(port: int) -> bool:
    with socket.socket() as s:
        # SO_REUSEADDR as the servers themselves use it, so a port in TIME_WAIT still counts as free.
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _os_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _proc_start(pid: int) -> int | None:
    """Start time of a live (non-zombie) pid: tells our process from a recycled pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _alive(proc: dict) -> bool:
    return _proc_start(proc["pid"]) == proc["start"]


def _signal(proc: dict, sig: str, group: bool) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        (os.killpg if group else os.kill)(proc["pid"], getattr(signal, "SIG" + sig))


def _gone(procs: list[dict], timeout: float) -> bool:
    """Wait until none of procs is alive, reaping those that are our own children."""
    deadline = time.monotonic() + timeout
    while True:
        for p in procs:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(p["pid"], os.WNOHANG)
        if not any(_alive(p) for p in procs):
            return True
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rel(path: Path | str) -> str:
    with contextlib.suppress(ValueError):
        return str(Path(path).relative_to(Path.cwd()))
    return str(path)


def kafka_cluster_id() -> str:
    """Random id like Kafka's Uuid.randomUuid(): base64url of 16 bytes without padding, not starting with '-'
    (the command line would take it for a flag)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def kafka_answers(port: int, timeout: float = 2.0) -> bool:
    """Send a Kafka ApiVersions v0 request and check for an error-free answer. Brokers allow it before SASL
    authentication, so it works on every listener."""
    client = b"signalbox-stack"
    req = struct.pack(">hhih", 18, 0, 4242, len(client)) + client  # api key, version, correlation id, client id
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(struct.pack(">i", len(req)) + req)
            buf = b""
            while len(buf) < 4 or len(buf) < 4 + struct.unpack(">i", buf[:4])[0]:
                chunk = s.recv(65536)
                if not chunk:
                    return False
                buf += chunk
        corr, err = struct.unpack(">ih", buf[4:10])
        return corr == 4242 and err == 0
    except (OSError, struct.error):
        return False


def http_json(url: str, timeout: float = 2.0) -> tuple[int, Any]:
    """(status, parsed JSON or None); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:  # noqa: S310 - always http://127.0.0.1
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, ValueError):
        return 0, None


def metrics_answer(port: int, timeout: float = 2.0) -> bool:
    """Whether the JMX exporter agent on this port serves its Prometheus text."""
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=timeout) as r:
            return r.status == 200 and b"# TYPE" in r.read(1 << 20)
    except (OSError, ValueError):
        return False


def redis_ping(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def pg_ready(bindir: Path, port: int) -> bool:
    argv = [str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port), "-t", "1"]
    return subprocess.run(argv).returncode == 0


# ---------------------------------------------------------------------------------------------- the stack


class Stack:
    """One named set of services. Its state is in <root>/.cache/stack/<name>/state.json, so any process (CLI,
    pytest, a benchmark) can find, reuse or stop a stack that another one started."""

    def __init__(self, name: str = "dev", root: Path | str | None = None):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise StackError(f"bad stack name {name!r}: use letters, digits, '-' or '_'")
        self.name = name
        self.root = Path(root or REPO_ROOT).resolve()
        self.stacks_dir = self.root / ".cache" / "stack"
        self.dir = self.stacks_dir / name
        self.logs = self.dir / "logs"
        self.state_file = self.dir / "state.json"
        self.pg_dir = Path(f"/tmp/signalbox-pg-{name}")  # the postgres user may not reach the checkout
        self.state: dict = {}

    # ---- public API

    def up(
        self,
        kafka: bool = True,
        brokers: int | None = None,
        sasl: bool | None = None,
        connect: bool = False,
        redis: bool = True,
        postgres: bool = False,
        registry: bool = False,
    ) -> dict[str, str]:
        """Start what is asked and return the env of the whole stack. A healthy running stack of this name is
        reused, and gets the services it lacks; a partly dead one is restarted afresh. Connect, sasl and brokers
        imply Kafka; brokers/sasl default to 1/False, or to what the running Kafka has."""
        kafka = kafka or connect or bool(sasl) or brokers is not None
        if brokers is not None and not 1 <= brokers <= 9:
            raise StackError(f"--brokers {brokers}: use 1 to 9")
        with _flock(self.stacks_dir / f"{self.name}.lock"):  # a concurrent `up` of this name waits, then reuses
            self.state = self._load()
            if self.state and not self._healthy():
                log(f"stack {self.name!r} is partly dead: stopping the rest and starting afresh")
                for line in self._stop():
                    log(line)
            if not self.state:
                self._wipe()
                self.state = {"name": self.name, "procs": [], "ports": [], "env": {}}
            k = self.state.get("kafka") or {"brokers": brokers or 1, "sasl": bool(sasl)}
            if (brokers or k["brokers"], k["sasl"] if sasl is None else sasl) != (k["brokers"], k["sasl"]):
                raise StackError(
                    f"stack {self.name!r} runs Kafka with brokers={k['brokers']} sasl={k['sasl']}: "
                    f"run `python3 dev/stack.py down --name {self.name}` first, or use another --name"
                )
            wanted = {"kafka": kafka, "connect": connect, "redis": redis, "postgres": postgres, "registry": registry}
            todo = [s for s, want in wanted.items() if want and s not in self.state]
            if not todo:
                log(f"stack {self.name!r} is already running")
                return self.env()
            fresh, t0 = not self.state["procs"], time.monotonic()
            try:
                self._start(todo, k["brokers"], k["sasl"])
            except BaseException:  # also Ctrl-C: leave nothing half-started behind
                log("startup failed: stopping what was started (logs are kept)")
                self._stop(None if fresh else todo)
                if fresh:
                    self._wipe()
                raise
            took = time.monotonic() - t0
            log(f"stack {self.name!r} up in {took:.1f} s ({', '.join(todo)}); logs in {_rel(self.logs)}")
            return self.env()

    def down(self) -> list[str]:
        """Stop every process of the stack and delete its data (logs stay); returns what was stopped."""
        with _flock(self.stacks_dir / f"{self.name}.lock"):
            self.state = self._load()
            stopped = self._stop()
            self._wipe()
            return stopped

    def env(self) -> dict[str, str]:
        """KEY=value env of the stack as recorded (empty if none was started)."""
        env = (self.state or self._load()).get("env", {})
        return {k: env[k] for k in ENV_ORDER if k in env}

    def running(self) -> bool:
        self.state = self._load()
        return bool(self.state) and self._healthy()

    # ---- one Kafka node of a running stack, for fault-injection tests (`kafka-node stop|start`)

    def kafka_node_stop(self, node_id: int = 1, kill: bool = False) -> str:
        """Stop one Kafka node (SIGTERM, or SIGKILL with kill=True: a crash), keeping its ports, config and data so
        that kafka_node_start brings the same broker back. Until then the stack counts as partly dead (`up` would
        restart it afresh); `down` works as usual. Returns what was done."""
        with _flock(self.stacks_dir / f"{self.name}.lock"):
            self.state = self._load()
            node = self._kafka_node(node_id)
            proc = node["proc"]
            if not _alive(proc):
                return f"kafka-{node_id} was not running"
            t0 = time.monotonic()
            _signal(proc, "KILL" if kill else proc["signal"], group=True)
            how = "killed" if kill else "stopped"
            if not _gone([proc], 30):
                _signal(proc, "KILL", group=True)
                _gone([proc], 5)
                how = "killed (did not stop within 30 s)"
            return f"kafka-{node_id} (pid {proc['pid']}) {how} in {time.monotonic() - t0:.1f} s"

    def kafka_node_start(self, node_id: int = 1) -> str:
        """Start a node that kafka_node_stop stopped, on the same ports with the same data, and wait until it serves
        requests again. Returns what was done."""
        with _flock(self.stacks_dir / f"{self.name}.lock"):
            self.state = self._load()
            node = self._kafka_node(node_id)
            if _alive(node["proc"]):
                return f"kafka-{node_id} is already running (pid {node['proc']['pid']})"
            busy = [
                p for p in (node["client_port"], node["controller_port"], node["metrics_port"]) if not _port_free(p)
            ]
            if busy:
                raise StackError(f"kafka-{node_id} cannot start again: port(s) {busy} are taken by another process")
            java, libs, agent = ensure_java(), ensure_jars(), ensure_agent()
            log_file, out = self.logs / f"kafka-{node_id}.log", self.logs / f"kafka-{node_id}.out"
            # The readiness check looks for "Kafka Server started": the previous run's line must not count.
            if log_file.exists():
                log_file.replace(log_file.with_name(f"kafka-{node_id}.previous.log"))
            t0 = time.monotonic()
            self.state["procs"] = [p for p in self.state["procs"] if p != node["proc"]]
            argv = self._kafka_node_argv(java, libs, agent, node)
            node["proc"] = self._spawn("kafka", f"kafka-{node_id}", argv, out, log_file)
            self._save()
            self._wait_kafka()
            return f"kafka-{node_id} (pid {node['proc']['pid']}) started again in {time.monotonic() - t0:.1f} s"

    def _kafka_node(self, node_id: int) -> dict[str, Any]:
        nodes = {n["id"]: n for n in (self.state.get("kafka") or {}).get("nodes", [])}
        if node_id not in nodes:
            have = ", ".join(map(str, nodes)) or "none"
            raise StackError(f"stack {self.name!r} has no Kafka node {node_id} (nodes: {have}); start it with `up`")
        return nodes[node_id]

    # ---- state and processes

    def _load(self) -> dict:
        try:
            return dict(json.loads(self.state_file.read_text()))
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2))
        tmp.replace(self.state_file)  # atomic: readers never see half a file

    def _wipe(self) -> None:
        """Remove the data dirs and the state; the logs stay for post-mortems."""
        for p in self.dir.glob("*"):
            if p.name != "logs":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        shutil.rmtree(self.pg_dir, ignore_errors=True)

    def _ports(self, *preferred: int | None) -> list[int]:
        """Reserve ports: the preferred one when free, else one from the OS. Under a lock shared by all stacks, and
        skipping the ports other stacks reserved, since they may not have bound them yet."""
        with _flock(self.stacks_dir / ".ports.lock"):
            taken = set(self.state["ports"])
            for f in self.stacks_dir.glob("*/state.json"):
                if f.parent.name != self.name:
                    with contextlib.suppress(OSError, ValueError):
                        taken.update(json.loads(f.read_text()).get("ports", []))
            out = []
            for want in preferred:
                port = want if want and want not in taken and _port_free(want) else _os_port()
                while port in taken:
                    port = _os_port()
                taken.add(port)
                out.append(port)
            self.state["ports"] += out
            self._save()
        return out

    def _spawn(self, service: str, label: str, argv: list, out: Path, log_file: Path | None = None, **kw: Any) -> dict:
        """Start a background process in a session of its own (Ctrl-C in the calling shell doesn't reach it; `down`
        kills its whole process group) and record it in state.json at once, so that `down` can clean up after an
        interrupted `up`. stdout+stderr go to `out`; `log_file` is where the process logs, if elsewhere (log4j)."""
        sig = kw.pop("sig", "TERM")
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as fh:
            argv = [str(a) for a in argv]
            p = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=fh, stderr=fh, start_new_session=True, **kw)
        # The service outlives this Popen on purpose: mark it done, so that Popen neither warns ("subprocess is still
        # running" ResourceWarning) nor waits for it. _gone() reaps it.
        p.returncode = 0
        proc = {"service": service, "label": label, "pid": p.pid, "start": _proc_start(p.pid), "signal": sig}
        proc |= {"out": str(out), "log": str(log_file or out)}
        self.state["procs"].append(proc)
        self._save()
        return proc

    def _healthy(self) -> bool:
        st = self.state
        checks: list[Callable[[], bool]] = [lambda: bool(st.get("procs")) and all(_alive(p) for p in st["procs"])]
        if "kafka" in st:
            checks.append(lambda: all(kafka_answers(n["client_port"], 1) for n in st["kafka"]["nodes"]))
        if "connect" in st:
            checks.append(lambda: http_json(st["env"]["CONNECT_URL"] + "/")[0] == 200)
        if "redis" in st:
            checks.append(lambda: redis_ping(st["redis"]["port"]))
        if "postgres" in st:
            checks.append(lambda: pg_ready(Path(st["postgres"]["bin"]), st["postgres"]["port"]))
        if "registry" in st:
            checks.append(lambda: http_json(st["registry"]["health_url"])[0] == 200)
        return all(check() for check in checks)

    def _stop(self, only: list[str] | None = None) -> list[str]:
        """Stop the processes of the stack (or of the `only` services): SIGTERM (SIGINT to postgres, whose SIGTERM
        waits for clients to leave), one service at a time and all its processes together; SIGKILL after 15 s."""
        procs = [p for p in self.state.get("procs", []) if only is None or p["service"] in only]
        stopped = []
        for service in STOP_ORDER:
            batch = [p for p in procs if p["service"] == service and _alive(p)]
            for p in batch:
                _signal(p, p["signal"], group=service != "postgres")
            _gone(batch, 15)
            for p in batch:
                how = "stopped"
                if _alive(p):
                    how = "killed (did not stop within 15 s)"
                    _signal(p, "KILL", group=True)
                stopped.append(f"{p['label']} (pid {p['pid']}) {how}")
            _gone(batch, 5)
        keep = [p for p in self.state.get("procs", []) if p not in procs]
        if keep:
            self.state["procs"] = keep
            for service in only or ():
                self.state.pop(service, None)
                prefix = ENV_PREFIX.get(service, service.upper() + "_")
                self.state["env"] = {k: v for k, v in self.state["env"].items() if not k.startswith(prefix)}
            self._save()
        else:
            self.state = {}
            self.state_file.unlink(missing_ok=True)
        return stopped

    def _wait(self, what: str, proc: dict, ready: Callable[[], bool], timeout: float) -> None:
        """Poll ready() until true. Fail at once if the process exits, else after `timeout`, showing the end of its
        log and of its stdout (where the JVM reports errors such as a bad option)."""
        deadline = time.monotonic() + timeout
        while not ready():
            why = None if _alive(proc) else "exited during startup"
            if why is None and time.monotonic() > deadline:
                why = f"did not answer within {timeout:.0f} s"
            if why:
                logs = [Path(f) for f in dict.fromkeys([proc["log"], proc["out"]])]
                shown = [f for f in logs if f.exists() and f.stat().st_size] or logs[:1]
                tails = "\n".join(_tail(f) for f in shown)
                raise StackError(f"{what} {why}; see {' and '.join(_rel(f) for f in shown)}:\n{tails}")
            time.sleep(0.25)

    # ---- services

    def _start(self, todo: list[str], brokers: int, sasl: bool) -> None:
        """Launch the JVMs first, and start Redis and Postgres while they boot."""
        java, libs = (ensure_java(), ensure_jars()) if {"kafka", "connect"} & set(todo) else ("", Path())
        if "registry" in todo:  # boots alongside the rest: it needs none of them
            self._launch_registry(ensure_java(), ensure_registry())
        if "kafka" in todo:
            self._launch_kafka(java, libs, ensure_agent(), brokers, sasl)
        # With one broker, Connect may boot alongside it: a broker opens its client port only once unfenced, and
        # Connect retries until then. With more, Connect could create its internal topics (replication factor 3)
        # before every broker registered, and die.
        early = "connect" in todo and self.state["kafka"]["brokers"] == 1
        if early:
            self._launch_connect(java, libs)
        if "redis" in todo:
            self._start_redis()
        if "postgres" in todo:
            self._start_postgres()
        if "kafka" in todo:
            self._wait_kafka()
        if "connect" in todo:
            if not early:
                self._launch_connect(java, libs)
            self._wait_connect()
        if "registry" in todo:
            self._wait_registry()

    def _java(self, java: str, libs: Path, heap: str, log_name: str, *main: Any) -> list:
        """`heap` is any extra JVM options, space-separated (heap sizes, a -javaagent)."""
        return [
            *(java, *heap.split(), *JVM_FLAGS.split(), f"-Dlog4j2.configurationFile={LOG4J_CONFIG}"),
            *(f"-Dkafka.logs.dir={self.logs}", f"-Dsignalbox.log.name={log_name}", f"-Dsignalbox.stack={self.name}"),
            *("-cp", f"{libs}/*", *main),
        ]

    def _kafka_node_argv(self, java: str, libs: Path, agent: Path, node: dict[str, Any]) -> list:
        """The command line of one formatted KRaft node (first start and restarts alike)."""
        conf_file = self.dir / f"kafka-{node['id']}" / "server.properties"
        # host:port:config binds the exporter's HTTP server to loopback only.
        exporter = f"-javaagent:{agent}=127.0.0.1:{node['metrics_port']}:{JMX_EXPORTER_CONFIG}"
        return self._java(java, libs, f"-Xms256m -Xmx512m {exporter}", f"kafka-{node['id']}", "kafka.Kafka", conf_file)

    def _launch_kafka(self, java: str, libs: Path, agent: Path, n: int, sasl: bool) -> None:
        """Format and start KRaft nodes 1..n, each a combined broker+controller, with a static voter set, and each with
        the JMX exporter agent serving /metrics on a loopback port of its own."""
        nodes: list[dict[str, Any]] = []
        well_known = (DEFAULT_PORTS["sasl" if sasl else "kafka"], DEFAULT_PORTS["controller"], DEFAULT_PORTS["metrics"])
        for i in range(1, n + 1):  # node 1 gets the well-known ports, the others free ones
            client, ctrl, metrics = self._ports(*(well_known if i == 1 else (None, None, None)))
            nodes.append({"id": i, "client_port": client, "controller_port": ctrl, "metrics_port": metrics})
        cid, password = kafka_cluster_id(), secrets.token_hex(12)
        rf, min_isr, lst = min(n, 3), 1 if n == 1 else 2, "SASL_PLAINTEXT" if sasl else "PLAINTEXT"
        voters = ",".join(f"{x['id']}@127.0.0.1:{x['controller_port']}" for x in nodes)
        protocols = "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT"
        formats = []
        for node in nodes:
            home = self.dir / f"kafka-{node['id']}"
            (home / "data").mkdir(parents=True, exist_ok=True)
            addr, ctrl_addr = f"127.0.0.1:{node['client_port']}", f"127.0.0.1:{node['controller_port']}"
            conf: dict[str, Any] = {
                "process.roles": "broker,controller",
                "node.id": node["id"],
                "controller.quorum.voters": voters,
                "controller.listener.names": "CONTROLLER",
                "listeners": f"{lst}://{addr},CONTROLLER://{ctrl_addr}",
                "advertised.listeners": f"{lst}://{addr}",
                "listener.security.protocol.map": protocols,
                "inter.broker.listener.name": lst,
                "log.dirs": home / "data",
                "num.partitions": 1,
                "default.replication.factor": rf,
                "offsets.topic.replication.factor": rf,
                "transaction.state.log.replication.factor": rf,
                "transaction.state.log.min.isr": min_isr,
                "share.coordinator.state.topic.replication.factor": rf,
                "share.coordinator.state.topic.min.isr": min_isr,
                # 10 partitions instead of 50: the first consumer group or transaction is ready much sooner.
                "offsets.topic.num.partitions": 10,
                "transaction.state.log.num.partitions": 10,
                "share.coordinator.state.topic.num.partitions": 10,
                "group.initial.rebalance.delay.ms": 0,
                "auto.create.topics.enable": "false",
                # The log cleaner's default 128 MiB buffer would take a quarter of the small heap.
                "log.cleaner.dedupe.buffer.size": 16 * 1024 * 1024,
            }
            if sasl:
                conf |= {
                    "sasl.enabled.mechanisms": SASL_MECHANISM,
                    "sasl.mechanism.inter.broker.protocol": SASL_MECHANISM,
                    "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config": SCRAM_JAAS.format(
                        SASL_USER, password
                    ),
                    "authorizer.class.name": "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    # ANONYMOUS is the PLAINTEXT controller listener: broker<->controller and controller<->controller.
                    "super.users": f"User:{SASL_USER};User:ANONYMOUS",
                }
            (home / "server.properties").write_text("".join(f"{k}={v}\n" for k, v in conf.items()))
            argv = self._java(java, libs, "-Xmx256m", f"kafka-{node['id']}-format", "kafka.tools.StorageTool")
            argv += ["format", "-t", cid, "-c", home / "server.properties"]
            if sasl:  # the SCRAM credential goes into the bootstrap metadata, so it exists from the first start
                argv += ["--add-scram", f"{SASL_MECHANISM}=[name={SASL_USER},password={password}]"]
            argv = [str(a) for a in argv]
            formats.append(subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True))
        log(f"formatting {n} KRaft node(s), cluster id {cid}")
        for f in formats:  # formatted in parallel: each one is a JVM start
            out = f.communicate()[0]
            if f.returncode != 0:
                raise StackError(f"kafka-storage format failed (exit {f.returncode}):\n{out}")
        for node in nodes:
            i = node["id"]
            argv = self._kafka_node_argv(java, libs, agent, node)
            node["proc"] = self._spawn(
                "kafka", f"kafka-{i}", argv, self.logs / f"kafka-{i}.out", self.logs / f"kafka-{i}.log"
            )
            log(
                f"started kafka-{i} (pid {node['proc']['pid']}) on 127.0.0.1:{node['client_port']}, "
                f"metrics on 127.0.0.1:{node['metrics_port']}"
            )
        bootstrap = ",".join(f"127.0.0.1:{x['client_port']}" for x in nodes)
        self.state["kafka"] = {"brokers": n, "sasl": sasl, "cluster_id": cid, "nodes": nodes}
        env = {"KAFKA_BOOTSTRAP": bootstrap, "KAFKA_SECURITY_PROTOCOL": lst, "KAFKA_CLUSTER_ID": cid}
        env["KAFKA_BROKER_COUNT"] = str(n)
        env["KAFKA_METRICS_URLS"] = ",".join(f"http://127.0.0.1:{x['metrics_port']}/metrics" for x in nodes)
        if sasl:
            env |= {"KAFKA_SASL_BOOTSTRAP": bootstrap, "KAFKA_SASL_MECHANISM": SASL_MECHANISM}
            env |= {"KAFKA_SASL_USERNAME": SASL_USER, "KAFKA_SASL_PASSWORD": password}
        self.state["env"] |= env
        self._save()

    def _wait_kafka(self) -> None:
        """Each node must log "Kafka Server started" (it does once unfenced) AND answer a real ApiVersions request."""
        nodes = self.state["kafka"]["nodes"]
        timeout = TIMEOUTS["kafka"] + 20 * (len(nodes) - 1)  # n JVMs share 2 cores
        for node in nodes:

            def ready(node: dict = node) -> bool:
                with contextlib.suppress(OSError):
                    if b"Kafka Server started" in Path(node["proc"]["log"]).read_bytes():
                        # The agent serves before Kafka starts; checked so a broken exporter config shows up here.
                        return kafka_answers(node["client_port"]) and metrics_answer(node["metrics_port"])
                return False

            self._wait(f"Kafka node {node['id']}", node["proc"], ready, timeout)
        log(f"kafka ready: {self.state['env']['KAFKA_BOOTSTRAP']}")

    def _launch_connect(self, java: str, libs: Path) -> None:
        k, env = self.state["kafka"], self.state["env"]
        (port,) = self._ports(DEFAULT_PORTS["connect"])
        home = self.dir / "connect"
        home.mkdir(parents=True, exist_ok=True)
        rf, group = min(k["brokers"], 3), f"signalbox-connect-{self.name}"
        conf: dict[str, Any] = {
            "bootstrap.servers": env["KAFKA_BOOTSTRAP"],
            "group.id": group,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "config.storage.topic": f"{group}-configs",
            "offset.storage.topic": f"{group}-offsets",
            "status.storage.topic": f"{group}-status",
            "config.storage.replication.factor": rf,
            "offset.storage.replication.factor": rf,
            "status.storage.replication.factor": rf,
            "offset.storage.partitions": 5,
            "offset.flush.interval.ms": 10000,
            "listeners": f"http://127.0.0.1:{port}",
            "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": port,
            # Every plugin on our classpath has a ServiceLoader manifest; the default mode also scans the whole
            # classpath by reflection, which costs ~8 s per start.
            "plugin.discovery": "service_load",
        }
        if k["sasl"]:  # the worker and its connectors' producers, consumers and admins all log in as admin
            jaas = SCRAM_JAAS.format(SASL_USER, env["KAFKA_SASL_PASSWORD"])
            for prefix in ("", "producer.", "consumer.", "admin."):
                conf |= {f"{prefix}security.protocol": "SASL_PLAINTEXT", f"{prefix}sasl.mechanism": SASL_MECHANISM}
                conf[f"{prefix}sasl.jaas.config"] = jaas
        (home / "connect.properties").write_text("".join(f"{k}={v}\n" for k, v in conf.items()))
        main = ("org.apache.kafka.connect.cli.ConnectDistributed", home / "connect.properties")
        argv = self._java(java, libs, "-Xms128m -Xmx384m", "connect", *main)
        proc = self._spawn("connect", "connect", argv, self.logs / "connect.out", self.logs / "connect.log")
        self.state["connect"] = {"port": port, "proc": proc}
        env["CONNECT_URL"] = url = f"http://127.0.0.1:{port}"
        self._save()
        log(f"started connect (pid {proc['pid']}) on {url}")

    def _wait_connect(self) -> None:
        url = self.state["env"]["CONNECT_URL"]

        def ready() -> bool:
            # /health (KIP-1017) answers 200 only once the worker has joined its group and read its config topic.
            return http_json(url + "/health")[0] == 200 and "version" in (http_json(url + "/")[1] or {})

        self._wait("Kafka Connect", self.state["connect"]["proc"], ready, TIMEOUTS["connect"])
        log(f"connect ready: {url}")

    def _launch_registry(self, java: str, jar: Path) -> None:
        (port,) = self._ports(DEFAULT_PORTS["registry"])
        argv = [java, "-Xmx256m", "-XX:+ExitOnOutOfMemoryError", "-Djava.awt.headless=true"]
        argv += ["-Dquarkus.http.host=127.0.0.1", f"-Dquarkus.http.port={port}", "-jar", jar]
        proc = self._spawn("registry", "registry", argv, self.logs / "registry.log", cwd=jar.parent)
        base = f"http://127.0.0.1:{port}"
        self.state["registry"] = {"port": port, "proc": proc, "health_url": f"{base}/health/ready"}
        self.state["env"]["SCHEMA_REGISTRY_URL"] = base + REGISTRY_API
        self._save()
        log(f"started schema registry (pid {proc['pid']}) on {base}")

    def _wait_registry(self) -> None:
        reg, url = self.state["registry"], self.state["env"]["SCHEMA_REGISTRY_URL"]
        self._wait("Schema registry", reg["proc"], lambda: http_json(reg["health_url"])[0] == 200, TIMEOUTS["registry"])
        log(f"schema registry ready: {url}")

    def _start_redis(self) -> None:
        redis = ensure_redis()
        (port,) = self._ports(DEFAULT_PORTS["redis"])
        data = self.dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        argv = [redis, "--bind", "127.0.0.1", "--port", port, "--save", "", "--appendonly", "no"]
        proc = self._spawn("redis", "redis", [*argv, "--daemonize", "no", "--dir", data], self.logs / "redis.log")
        self.state["redis"] = {"port": port}
        self.state["env"]["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        self._save()
        self._wait("Redis", proc, lambda: redis_ping(port), TIMEOUTS["redis"])
        log(f"redis ready on 127.0.0.1:{port} (pid {proc['pid']})")

    def _start_postgres(self) -> None:
        """A throwaway cluster: initdb as `postgres`, fsync off, role and database `signalbox` (SUPERUSER, so that
        Django can create its test database). Trust on the unix socket, SCRAM passwords over TCP."""
        bindir = ensure_postgres()
        (port,) = self._ports(DEFAULT_PORTS["postgres"])
        shutil.rmtree(self.pg_dir, ignore_errors=True)
        data, run = self.pg_dir / "data", self.pg_dir / "run"
        for d in (self.pg_dir, run):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.chown(d, "postgres", "postgres")
        env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}
        as_pg: dict[str, Any] = {
            "user": "postgres",
            "group": "postgres",
            "extra_groups": [],
            "cwd": self.pg_dir,
            "env": env,
        }
        initdb = [bindir / "initdb", "-D", data, "-U", "postgres", "-E", "UTF8", "--locale=C", "--no-sync"]
        initdb += ["--auth-local=trust", "--auth-host=scram-sha-256"]
        init = subprocess.run([str(a) for a in initdb], capture_output=True, text=True, **as_pg)
        if init.returncode != 0:
            raise StackError(f"initdb failed in {data}:\n{init.stdout}{init.stderr}")
        argv = [bindir / "postgres", "-D", data, "-p", port, "-k", run, "-c", "listen_addresses=127.0.0.1"]
        argv += ["-c", "fsync=off", "-c", "synchronous_commit=off", "-c", "full_page_writes=off"]
        proc = self._spawn("postgres", "postgres", argv, self.logs / "postgres.log", sig="INT", **as_pg)
        self.state["postgres"] = {"port": port, "bin": str(bindir)}
        self._save()
        self._wait("PostgreSQL", proc, lambda: pg_ready(bindir, port), TIMEOUTS["postgres"])
        sql = [
            f"CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'",
            f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}",
        ]
        psql = [str(bindir / "psql"), "-h", str(run), "-p", str(port), "-U", "postgres", "-d", "postgres", "-q"]
        psql += ["-v", "ON_ERROR_STOP=1", *[a for s in sql for a in ("-c", s)]]
        done = subprocess.run(psql, capture_output=True, text=True)
        if done.returncode != 0:
            raise StackError(f"creating role/database {DB_NAME} failed: {done.stderr.strip()}")
        self.state["env"]["DATABASE_URL"] = f"postgres://{DB_USER}:{DB_PASSWORD}@127.0.0.1:{port}/{DB_NAME}"
        self._save()
        log(f"postgres ready on 127.0.0.1:{port} (pid {proc['pid']}, data {data})")


# ---------------------------------------------------------------------------------------------- CLI


def _print_env(env: dict[str, str]) -> None:
    print("".join(f"{k}={v}\n" for k, v in env.items()), end="", flush=True)


def _services(args: argparse.Namespace) -> dict[str, Any]:
    chosen = (args.kafka, args.connect, args.redis, args.postgres, args.sasl, args.registry)
    if not any(chosen) and args.brokers is None:
        return {"kafka": True, "connect": True, "redis": True, "postgres": False}  # the default stack
    flags = {"kafka": args.kafka, "brokers": args.brokers, "sasl": args.sasl or None, "connect": args.connect}
    return flags | {"redis": args.redis, "postgres": args.postgres, "registry": args.registry}


def _interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def _run(stack: Stack, services: dict[str, Any]) -> None:
    """`run`: up, then watch until SIGINT/SIGTERM or until a service dies (so a Procfile manager notices), then down."""
    for sig in (signal.SIGINT, signal.SIGTERM):  # also when started with SIGINT ignored
        signal.signal(sig, _interrupt)
    try:
        _print_env(stack.up(**services))
        log("running; Ctrl-C or SIGTERM stops the stack")
        while True:
            time.sleep(2)
            for p in stack.state["procs"]:
                if not _alive(p):
                    raise StackError(f"{p['label']} died; see {_rel(p['log'])}")
    except KeyboardInterrupt:
        log("stopping")
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):  # a second Ctrl-C must not interrupt the shutdown
            signal.signal(sig, signal.SIG_IGN)
        for line in stack.down():
            log(line)


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="dev/stack.py", description=(__doc__ or "").split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("jars", help="ensure the Kafka jars are present")
    sub.add_parser("registry", help="ensure the schema registry is built")
    sub.add_parser("install", help="apt-get install missing servers").add_argument("--postgres", action="store_true")
    for cmd in ("up", "run", "down", "env"):
        p = sub.add_parser(cmd)
        p.add_argument("--name", default="dev")
        if cmd in ("up", "run"):
            p.add_argument("--brokers", type=int, metavar="N")
            for flag in ("--kafka", "--sasl", "--connect", "--redis", "--postgres", "--registry"):
                p.add_argument(flag, action="store_true")
    node = sub.add_parser("kafka-node", help="stop or start one Kafka node of a running stack (fault tests)")
    node.add_argument("action", choices=("stop", "start"))
    node.add_argument("--name", default="dev")
    node.add_argument("--node", type=int, default=1, metavar="N", help="node id (default 1)")
    node.add_argument("--kill", action="store_true", help="stop with SIGKILL (a crash) instead of SIGTERM")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "kafka-node":
            stack = Stack(args.name)
            done = (
                stack.kafka_node_stop(args.node, args.kill)
                if args.action == "stop"
                else stack.kafka_node_start(args.node)
            )
            log(done)
        elif args.cmd == "jars":
            print(f"KAFKA_LIBS={ensure_jars()}")
            print(f"KAFKA_METRICS_AGENT={ensure_agent()}")
        elif args.cmd == "registry":
            print(f"SCHEMA_REGISTRY_JAR={ensure_registry()}")
        elif args.cmd == "install":
            log(f"java: {ensure_java()}; kafka jars: {ensure_jars()}; agent: {ensure_agent()}; redis: {ensure_redis()}")
            if args.postgres:
                log(f"postgres: {ensure_postgres()}")
        elif args.cmd == "env":
            stack = Stack(args.name)
            if not stack.running():
                log(f"no running stack named {args.name!r}: start it with `python3 dev/stack.py up --name {args.name}`")
                return 1
            _print_env(stack.env())
        elif args.cmd == "down":
            stopped = Stack(args.name).down()
            print("".join(f"{line}\n" for line in stopped), end="")
            print(f"stack {args.name!r}: {'stopped' if stopped else 'nothing was running'}; data removed")
        elif args.cmd == "up":
            _print_env(Stack(args.name).up(**_services(args)))
        else:
            _run(Stack(args.name), _services(args))
    except StackError as e:
        log(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
