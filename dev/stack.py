#!/usr/bin/env python3
"""Start the real backing services of Signalbox (Kafka, Kafka Connect, Redis, PostgreSQL)
as plain background processes on 127.0.0.1, for dev, demo, tests and benchmarks.

No Docker, no virtualenv: Python 3.11 stdlib only, so it runs on a fresh machine.

CLI (progress goes to stderr; stdout carries only KEY=value lines, so it can be eval'ed):
    python3 dev/stack.py jars                    # ensure the Kafka jars (mvn, or $KAFKA_HOME/libs)
    python3 dev/stack.py install [--postgres]    # apt-get install what is missing
    python3 dev/stack.py up   [--name NAME] [--kafka] [--brokers N] [--sasl] [--connect]
                              [--redis] [--postgres]
    python3 dev/stack.py run  [same flags]       # like up, foreground, stops on SIGINT/SIGTERM
    python3 dev/stack.py env  [--name NAME]      # print the env of a running stack
    python3 dev/stack.py down [--name NAME]      # stop it and delete its data
`up` without service flags starts kafka (1 broker) + connect + redis. NAME defaults to "dev".

API (pytest fixtures, benchmarks):
    from dev.stack import Stack
    stack = Stack(name="test")            # root= the project checkout (default: this repo)
    env = stack.up(kafka=True, brokers=1, sasl=False, connect=False, redis=True, postgres=False)
    ...; stack.down()

Everything of stack NAME lives in <root>/.cache/stack/NAME/ (state.json, logs/, data), except
the Postgres cluster, which lives in /tmp/signalbox-pg-NAME because it must be owned by the
`postgres` user. Ports are the usual defaults when free, otherwise free ones picked by the OS,
so stacks with different names run side by side.
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
from pathlib import Path

DEV_DIR = Path(__file__).resolve().parent
REPO_ROOT = DEV_DIR.parent
LOG4J_CONFIG = DEV_DIR / "log4j2.properties"
POM = DEV_DIR / "pom.xml"
# The jars belong to this checkout's dev/pom.xml, whatever `root` a Stack uses for its state.
CACHED_LIBS = REPO_ROOT / ".cache" / "kafka" / "libs"
REQUIRED_JARS = ("kafka_2.13-", "kafka-tools-", "connect-runtime-", "connect-file-",
                 "connect-json-", "log4j-core-")
DEFAULT_PORTS = {"kafka": 9092, "controller": 9093, "sasl": 9094, "connect": 8083,
                 "redis": 6379, "postgres": 5432}
TIMEOUTS = {"kafka": 60, "connect": 90, "redis": 15, "postgres": 30}
SASL_MECHANISM = "SCRAM-SHA-512"
SASL_USER = "admin"
DB_USER = DB_PASSWORD = DB_NAME = "signalbox"
# Canonical order of the printed env (also the contract with settings/tests).
ENV_ORDER = ("KAFKA_BOOTSTRAP", "KAFKA_SECURITY_PROTOCOL", "KAFKA_CLUSTER_ID", "KAFKA_BROKER_COUNT",
             "KAFKA_SASL_BOOTSTRAP", "KAFKA_SASL_MECHANISM", "KAFKA_SASL_USERNAME",
             "KAFKA_SASL_PASSWORD", "CONNECT_URL", "REDIS_URL", "DATABASE_URL")
# Stop order: Connect before Kafka (it would log errors while the brokers vanish).
STOP_ORDER = ("connect", "kafka", "redis", "postgres")
# Same GC flags as Kafka's own start scripts; small heaps because the suite runs several JVMs
# on a 2-core machine.
JVM_FLAGS = ["-XX:+UseG1GC", "-XX:MaxGCPauseMillis=20", "-XX:InitiatingHeapOccupancyPercent=35",
             "-XX:+ExplicitGCInvokesConcurrent", "-XX:+ExitOnOutOfMemoryError",
             "-Djava.awt.headless=true"]


class StackError(Exception):
    """A failure whose message names the cause and the fix."""


def log(msg: str) -> None:
    print(f"[stack] {msg}", file=sys.stderr, flush=True)


# --------------------------------------------------------------------------- tools & packages

def apt_install(*packages: str) -> None:
    """apt-get install; `apt-get update` only when the lists are empty or the install fails."""
    cmd = "apt-get install -y " + " ".join(packages)
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise StackError(f"{', '.join(packages)} missing: run `sudo {cmd}` (needs root and apt)")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    lists = Path("/var/lib/apt/lists")
    if not any("_Packages" in p.name for p in lists.glob("*")):
        log("apt package lists are empty: apt-get update")
        subprocess.run(["apt-get", "update"], stdout=sys.stderr, env=env, check=False)
    log(f"installing: {cmd}")
    argv = ["apt-get", "install", "-y", "--no-install-recommends", *packages]
    if subprocess.run(argv, stdout=sys.stderr, env=env).returncode != 0:
        log("install failed; apt-get update and retry")
        subprocess.run(["apt-get", "update"], stdout=sys.stderr, env=env, check=False)
        if subprocess.run(argv, stdout=sys.stderr, env=env).returncode != 0:
            raise StackError(f"`{cmd}` failed (see the apt output above)")


def ensure_java() -> str:
    """Path of a Java >= 17 (Kafka 4 needs 17), installing openjdk-17-jre-headless if missing."""
    if not shutil.which("java"):
        apt_install("openjdk-17-jre-headless")
    java = shutil.which("java")
    if not java:
        raise StackError("java not found: install openjdk-17-jre-headless")
    out = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    m = re.search(r'version "(\d+)', out)
    if not m or int(m.group(1)) < 17:
        raise StackError(f"{java} is not Java 17+ ({out.strip()[:60]!r}): "
                         "apt-get install -y openjdk-17-jre-headless")
    return java


def _pom_digest() -> str:
    return hashlib.sha256(POM.read_bytes()).hexdigest()


def ensure_jars() -> Path:
    """Directory with the Kafka/Connect jars: $KAFKA_HOME/libs, else .cache/kafka/libs via mvn."""
    if os.environ.get("KAFKA_HOME"):
        libs = Path(os.environ["KAFKA_HOME"]) / "libs"
        if not any(libs.glob("kafka_2.13-*.jar")):
            raise StackError(f"KAFKA_HOME={os.environ['KAFKA_HOME']} has no libs/kafka_2.13-*.jar: "
                             "point it at an unpacked Kafka 4.x release, or unset it")
        return libs
    marker = CACHED_LIBS / ".pom-sha256"
    CACHED_LIBS.parent.mkdir(parents=True, exist_ok=True)
    with _flock(CACHED_LIBS.parent / ".jars.lock"):  # two `up`s on a fresh machine: one mvn
        have = all(any(CACHED_LIBS.glob(f"{j}*.jar")) for j in REQUIRED_JARS)
        if have and marker.exists() and marker.read_text() != _pom_digest():
            log("dev/pom.xml changed since the jars were fetched: refetching them")
            shutil.rmtree(CACHED_LIBS)
            have = False
        if not have:
            if not shutil.which("mvn"):
                apt_install("maven")
            ensure_java()
            cmd = ["mvn", "-q", "-B", "-f", str(POM), "dependency:copy-dependencies",
                   "-DincludeScope=runtime", f"-DoutputDirectory={CACHED_LIBS}"]
            log("fetching the Kafka jars: " + " ".join(cmd))
            if subprocess.run(cmd, stdout=sys.stderr).returncode != 0:
                raise StackError("mvn could not fetch the Kafka jars (see its output above); "
                                 "fix the network/Maven settings or set KAFKA_HOME to a Kafka 4.x")
        marker.write_text(_pom_digest())
    return CACHED_LIBS


def ensure_redis() -> str:
    if not shutil.which("redis-server"):
        apt_install("redis-server")
    return shutil.which("redis-server") or "/usr/bin/redis-server"


def ensure_postgres() -> Path:
    """bin dir of the newest installed PostgreSQL server (Debian layout)."""
    def newest():
        bins = [p.parent for p in Path("/usr/lib/postgresql").glob("*/bin/postgres")]
        return max(bins, key=lambda p: int(p.parent.name), default=None)
    if newest() is None:
        apt_install("postgresql")
    if newest() is None:
        raise StackError("no /usr/lib/postgresql/*/bin/postgres: apt-get install -y postgresql")
    return newest()


# --------------------------------------------------------------------------- small helpers

@contextlib.contextmanager
def _flock(path: Path):
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "a") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def _port_free(port: int) -> bool:
    # SO_REUSEADDR like the servers themselves, so a port in TIME_WAIT still counts as free.
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
            return True
        except OSError:
            return False


def _os_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _proc_start(pid: int) -> int | None:
    """Start time of a live (non-zombie) pid, to tell our process from a recycled pid."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return None
    return None if fields[0] in ("Z", "X") else int(fields[19])


def _alive(proc: dict) -> bool:
    return _proc_start(proc["pid"]) == proc["start"]


def _tail(path: Path, lines: int = 15) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _rel(path: Path) -> str:
    with contextlib.suppress(ValueError):
        return str(path.relative_to(Path.cwd()))
    return str(path)


def kafka_cluster_id() -> str:
    """Random id like Kafka's Uuid.randomUuid(): base64url of 16 bytes, no padding, no '-' first
    (it would be parsed as a command-line flag)."""
    while True:
        cid = base64.urlsafe_b64encode(uuid.uuid4().bytes).rstrip(b"=").decode()
        if not cid.startswith("-"):
            return cid


def kafka_answers(port: int, timeout: float = 2.0) -> bool:
    """Send a Kafka ApiVersions v0 request and check for an error-free answer. Allowed before
    SASL authentication, so it works on every listener."""
    client = b"signalbox-stack"
    req = struct.pack(">hhih", 18, 0, 4242, len(client)) + client
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


def http_json(url: str, timeout: float = 2.0):
    """(status, parsed JSON or None); status 0 when nothing answers."""
    try:
        with urllib.request.urlopen(url, timeout=timeout) as r:
            return r.status, json.loads(r.read() or b"null")
    except urllib.error.HTTPError as e:
        return e.code, None
    except (OSError, ValueError):
        return 0, None


def redis_ping(port: int, timeout: float = 1.0) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=timeout) as s:
            s.sendall(b"PING\r\n")
            return s.recv(64).startswith(b"+PONG")
    except OSError:
        return False


def _pg_ready(bindir: Path, port: int) -> bool:
    return subprocess.run([str(bindir / "pg_isready"), "-q", "-h", "127.0.0.1", "-p", str(port),
                           "-t", "1"]).returncode == 0


def _props(values: dict) -> str:
    return "".join(f"{k}={v}\n" for k, v in values.items())


# --------------------------------------------------------------------------- the stack

class Stack:
    """One named set of services. State is in <root>/.cache/stack/<name>/state.json, so any
    process (CLI, pytest, benchmark) can find, reuse or stop a stack started by another."""

    def __init__(self, name: str = "dev", root: Path | str | None = None):
        if not re.fullmatch(r"[A-Za-z0-9_-]{1,40}", name):
            raise StackError(f"bad stack name {name!r}: use letters, digits, '-' or '_'")
        self.name = name
        self.root = Path(root or REPO_ROOT).resolve()
        self.stacks_dir = self.root / ".cache" / "stack"
        self.dir = self.stacks_dir / name
        self.logs = self.dir / "logs"
        self.state_file = self.dir / "state.json"
        self.pg_dir = Path(f"/tmp/signalbox-pg-{name}")  # postgres can't own dirs under /work
        self.state: dict = {}

    # ---- public API

    def up(self, kafka: bool = True, brokers: int | None = None, sasl: bool | None = None,
           connect: bool = False, redis: bool = True, postgres: bool = False) -> dict:
        """Start what is asked (reusing a healthy running stack of this name, adding the
        services it lacks) and return the env of the whole stack. Connect, sasl or brokers
        imply Kafka. brokers/sasl default to 1/False, or to what the running Kafka has."""
        kafka = kafka or connect or bool(sasl) or brokers is not None
        if brokers is not None and not 1 <= brokers <= 9:
            raise StackError(f"--brokers {brokers}: use 1 to 9")
        with _flock(self.stacks_dir / f"{self.name}.lock"):
            self.state = self._load()
            if self.state and not self._healthy():
                log(f"stack {self.name!r} is partly dead: stopping the rest and starting afresh")
                for line in self._stop_all():
                    log(line)
            if not self.state:
                self._wipe()
                self.state = {"name": self.name, "procs": [], "ports": [], "env": {}}
            k = self.state.get("kafka") or {"brokers": brokers or 1, "sasl": bool(sasl)}
            asked = (brokers or k["brokers"], k["sasl"] if sasl is None else sasl)
            if asked != (k["brokers"], k["sasl"]):
                raise StackError(f"stack {self.name!r} already runs Kafka with brokers="
                                 f"{k['brokers']} sasl={k['sasl']}: run `python3 dev/stack.py "
                                 f"down --name {self.name}` first, or use another --name")
            todo = [s for s, want in (("kafka", kafka), ("connect", connect), ("redis", redis),
                                      ("postgres", postgres)) if want and s not in self.state]
            if not todo:
                log(f"stack {self.name!r} is already running")
                return self.env()
            fresh = not self.state["procs"]
            t0 = time.monotonic()
            try:
                self._start(todo, k["brokers"], k["sasl"])
            except BaseException:
                log("startup failed: stopping what was started (logs are kept)")
                if fresh:
                    self._stop_all()
                    self._wipe()
                else:
                    self._stop_all(only=todo)
                raise
            log(f"stack {self.name!r} up in {time.monotonic() - t0:.1f} s "
                f"({', '.join(todo)}); logs in {_rel(self.logs)}")
            return self.env()

    def down(self) -> list[str]:
        """Stop every process of the stack and delete its data; returns what was stopped."""
        with _flock(self.stacks_dir / f"{self.name}.lock"):
            self.state = self._load()
            stopped = self._stop_all()
            self._wipe()
            return stopped

    def env(self) -> dict:
        """KEY=value env of the stack as started (empty if none was started)."""
        env = (self.state or self._load()).get("env", {})
        return {k: env[k] for k in ENV_ORDER if k in env}

    def running(self) -> bool:
        self.state = self._load()
        return bool(self.state) and self._healthy()

    # ---- state

    def _load(self) -> dict:
        try:
            return json.loads(self.state_file.read_text())
        except (OSError, ValueError):
            return {}

    def _save(self) -> None:
        self.dir.mkdir(parents=True, exist_ok=True)
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(self.state, indent=2))
        tmp.replace(self.state_file)

    def _wipe(self) -> None:
        """Remove data dirs and state (logs stay for post-mortems)."""
        for p in self.dir.glob("*"):
            if p.name != "logs":
                shutil.rmtree(p) if p.is_dir() else p.unlink()
        shutil.rmtree(self.pg_dir, ignore_errors=True)

    def _ports(self, *preferred: int | None) -> list[int]:
        """Reserve ports: the preferred one when free, else one from the OS. Under a lock shared
        by all stacks, skipping ports that other stacks reserved but may not have bound yet."""
        with _flock(self.stacks_dir / ".ports.lock"):
            taken = set(self.state["ports"])
            for f in self.stacks_dir.glob("*/state.json"):
                if f.parent.name != self.name:
                    with contextlib.suppress(OSError, ValueError):
                        taken.update(json.loads(f.read_text()).get("ports", []))
            out = []
            for want in preferred:
                port = want if want and want not in taken and _port_free(want) else None
                while port is None or port in taken:
                    port = _os_port()
                taken.add(port)
                out.append(port)
            self.state["ports"] += out
            self._save()
        return out

    def _spawn(self, service: str, label: str, argv: list, out: Path, sig: str = "TERM",
               **kw) -> dict:
        """Start a background process in its own session (Ctrl-C in the calling shell doesn't
        reach it; `down` kills its whole process group) and record it in state.json at once,
        so an interrupted `up` can still be cleaned up by `down`."""
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(out, "wb") as fh:
            p = subprocess.Popen([str(a) for a in argv], stdin=subprocess.DEVNULL, stdout=fh,
                                 stderr=subprocess.STDOUT, start_new_session=True, **kw)
        proc = {"service": service, "label": label, "pid": p.pid,
                "start": _proc_start(p.pid), "log": str(out), "signal": sig}
        self.state["procs"].append(proc)
        self._save()
        return proc

    def _healthy(self) -> bool:
        st = self.state
        if not st.get("procs") or not all(_alive(p) for p in st["procs"]):
            return False
        if "kafka" in st and not all(kafka_answers(n["client_port"], 1) for n in st["kafka"]["nodes"]):
            return False
        if "connect" in st and http_json(st["env"]["CONNECT_URL"] + "/", 2)[0] != 200:
            return False
        if "redis" in st and not redis_ping(st["redis"]["port"]):
            return False
        if "postgres" in st and not _pg_ready(Path(st["postgres"]["bin"]), st["postgres"]["port"]):
            return False
        return True

    def _stop_all(self, only: list | None = None) -> list[str]:
        """SIGTERM (SIGINT for postgres: its SIGTERM waits for clients to disconnect) to each
        process group, wait up to 15 s for all of them together, then SIGKILL."""
        procs = [p for p in self.state.get("procs", [])
                 if only is None or p["service"] in only]
        procs.sort(key=lambda p: STOP_ORDER.index(p["service"]))
        stopped = []
        for group in STOP_ORDER:  # Connect first, then the brokers together, ...
            batch = [p for p in procs if p["service"] == group and _alive(p)]
            for p in batch:
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    sig = getattr(signal, "SIG" + p["signal"])
                    os.kill(p["pid"], sig) if group == "postgres" else os.killpg(p["pid"], sig)
            deadline = time.monotonic() + 15
            while any(_alive(p) for p in batch) and time.monotonic() < deadline:
                time.sleep(0.1)
            for p in batch:
                how = "stopped"
                if _alive(p):
                    how = "killed (did not stop within 15 s)"
                    with contextlib.suppress(ProcessLookupError, PermissionError):
                        os.killpg(p["pid"], signal.SIGKILL)
                stopped.append(f"{p['label']} (pid {p['pid']}) {how}")
        if self.state:
            keep = [p for p in self.state.get("procs", []) if p not in procs]
            if only is None or not keep:
                self.state = {}
                with contextlib.suppress(FileNotFoundError):
                    self.state_file.unlink()
            else:
                self.state["procs"] = keep
                for s in only:
                    self.state.pop(s, None)
                self._save()
        return stopped

    def _wait(self, what: str, proc: dict, ready, timeout: float, log_file: Path | None = None):
        """Poll ready() until true; fail fast if the process exits, else after `timeout`.
        `log` is the JVM's log4j file; its stdout file (proc["log"]) has JVM-level errors."""
        deadline = time.monotonic() + timeout
        logs = [p for p in (log_file, Path(proc["log"])) if p]
        while not ready():
            why = None if _alive(proc) else "exited during startup"
            if why is None and time.monotonic() > deadline:
                why = f"did not answer within {timeout:.0f} s"
            if why:
                shown = [p for p in logs if p.exists() and p.stat().st_size] or logs[:1]
                raise StackError(f"{what} {why}; see {' and '.join(_rel(p) for p in shown)}:\n"
                                 + "\n".join(_tail(p) for p in shown))
            time.sleep(0.25)

    # ---- services

    def _start(self, todo: list, brokers: int, sasl: bool) -> None:
        """Launch the JVMs first and do Redis/Postgres while they boot; Connect waits for Kafka
        (its internal topics need all brokers registered)."""
        java = libs = None
        if "kafka" in todo or "connect" in todo:
            java, libs = ensure_java(), ensure_jars()
        if "kafka" in todo:
            self._launch_kafka(java, libs, brokers, sasl)
        # With one broker Connect may boot alongside it: a broker opens its client port only
        # once unfenced, and Connect retries until then. With more, Connect could create its
        # internal topics (replication factor 3) before all brokers registered, and die.
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

    def _java(self, java: str, libs: Path, heap: list, log_name: str, main: list) -> list:
        return [java, *heap, *JVM_FLAGS, f"-Dlog4j2.configurationFile={LOG4J_CONFIG}",
                f"-Dkafka.logs.dir={self.logs}", f"-Dsignalbox.log.name={log_name}",
                f"-Dsignalbox.stack={self.name}", "-cp", f"{libs}/*", *main]

    def _launch_kafka(self, java: str, libs: Path, n: int, sasl: bool) -> None:
        """KRaft combined broker+controller nodes 1..n with a static voter set."""
        first = DEFAULT_PORTS["sasl" if sasl else "kafka"]
        nodes = []
        for i in range(1, n + 1):  # node 1 gets the well-known ports, the others free ones
            client, ctrl = self._ports(first if i == 1 else None,
                                       DEFAULT_PORTS["controller"] if i == 1 else None)
            nodes.append({"id": i, "client_port": client, "controller_port": ctrl})
        cid, password = kafka_cluster_id(), secrets.token_hex(12)
        rf, min_isr = min(n, 3), 1 if n == 1 else 2
        voters = ",".join(f"{x['id']}@127.0.0.1:{x['controller_port']}" for x in nodes)
        lst = "SASL_PLAINTEXT" if sasl else "PLAINTEXT"
        formats = []
        for node in nodes:
            home = self.dir / f"kafka-{node['id']}"
            (home / "data").mkdir(parents=True, exist_ok=True)
            conf = {
                "process.roles": "broker,controller", "node.id": node["id"],
                "controller.quorum.voters": voters, "controller.listener.names": "CONTROLLER",
                "listeners": f"{lst}://127.0.0.1:{node['client_port']},"
                             f"CONTROLLER://127.0.0.1:{node['controller_port']}",
                "advertised.listeners": f"{lst}://127.0.0.1:{node['client_port']}",
                "listener.security.protocol.map":
                    "CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT,SASL_PLAINTEXT:SASL_PLAINTEXT",
                "inter.broker.listener.name": lst,
                "log.dirs": home / "data",
                "num.partitions": 1, "default.replication.factor": rf,
                "offsets.topic.replication.factor": rf,
                "transaction.state.log.replication.factor": rf,
                "transaction.state.log.min.isr": min_isr,
                "share.coordinator.state.topic.replication.factor": rf,
                "share.coordinator.state.topic.min.isr": min_isr,
                # Fewer internal partitions: first consumer group / transaction is much faster.
                "offsets.topic.num.partitions": 10, "transaction.state.log.num.partitions": 10,
                "share.coordinator.state.topic.num.partitions": 10,
                "group.initial.rebalance.delay.ms": 0, "auto.create.topics.enable": "false",
                # The cleaner's 128 MiB default buffer would eat a quarter of the small heap.
                "log.cleaner.dedupe.buffer.size": 16 * 1024 * 1024,
            }
            if sasl:
                conf |= {
                    "sasl.enabled.mechanisms": SASL_MECHANISM,
                    "sasl.mechanism.inter.broker.protocol": SASL_MECHANISM,
                    "listener.name.sasl_plaintext.scram-sha-512.sasl.jaas.config":
                        "org.apache.kafka.common.security.scram.ScramLoginModule required "
                        f'username="{SASL_USER}" password="{password}";',
                    "authorizer.class.name":
                        "org.apache.kafka.metadata.authorizer.StandardAuthorizer",
                    # ANONYMOUS = the PLAINTEXT controller listener (broker<->controller traffic).
                    "super.users": f"User:{SASL_USER};User:ANONYMOUS",
                }
            (home / "server.properties").write_text(_props(conf))
            argv = self._java(java, libs, ["-Xmx256m"], f"kafka-{node['id']}-format",
                              ["kafka.tools.StorageTool", "format", "-t", cid,
                               "-c", home / "server.properties"])
            if sasl:
                argv += ["--add-scram", f"{SASL_MECHANISM}=[name={SASL_USER},password={password}]"]
            formats.append(subprocess.Popen([str(a) for a in argv], stdout=subprocess.PIPE,
                                            stderr=subprocess.STDOUT, text=True))
        log(f"formatting {n} KRaft node(s), cluster id {cid}")
        for f in formats:  # formatted in parallel: each is a JVM start
            out = f.communicate()[0]
            if f.returncode != 0:
                raise StackError(f"kafka-storage format failed (exit {f.returncode}):\n{out}")
        for node in nodes:
            i, home = node["id"], self.dir / f"kafka-{node['id']}"
            argv = self._java(java, libs, ["-Xms256m", "-Xmx512m"], f"kafka-{i}",
                              ["kafka.Kafka", home / "server.properties"])
            node["proc"] = self._spawn("kafka", f"kafka-{i}", argv, self.logs / f"kafka-{i}.out")
            log(f"started kafka-{i} (pid {node['proc']['pid']}) on 127.0.0.1:{node['client_port']}")
        bootstrap = ",".join(f"127.0.0.1:{x['client_port']}" for x in nodes)
        self.state["kafka"] = {"brokers": n, "sasl": sasl, "cluster_id": cid, "nodes": nodes}
        env = {"KAFKA_BOOTSTRAP": bootstrap, "KAFKA_SECURITY_PROTOCOL": lst,
               "KAFKA_CLUSTER_ID": cid, "KAFKA_BROKER_COUNT": str(n)}
        if sasl:
            env |= {"KAFKA_SASL_BOOTSTRAP": bootstrap, "KAFKA_SASL_MECHANISM": SASL_MECHANISM,
                    "KAFKA_SASL_USERNAME": SASL_USER, "KAFKA_SASL_PASSWORD": password}
        self.state["env"] |= env
        self._save()

    def _wait_kafka(self) -> None:
        """Each node must log "Kafka Server started" (logged once it is unfenced) AND answer a
        real ApiVersions request on its client listener."""
        nodes = self.state["kafka"]["nodes"]
        timeout = TIMEOUTS["kafka"] + 20 * (len(nodes) - 1)  # n JVMs share 2 cores
        for node in nodes:
            log_file = self.logs / f"kafka-{node['id']}.log"

            def ready(node=node, log_file=log_file):
                with contextlib.suppress(OSError):
                    if b"Kafka Server started" in log_file.read_bytes():
                        return kafka_answers(node["client_port"])
                return False
            self._wait(f"Kafka node {node['id']}", node["proc"], ready, timeout, log_file)
        log(f"kafka ready: {self.state['env']['KAFKA_BOOTSTRAP']}")

    def _launch_connect(self, java: str, libs: Path) -> None:
        k = self.state["kafka"]
        (port,) = self._ports(DEFAULT_PORTS["connect"])
        home = self.dir / "connect"
        home.mkdir(parents=True, exist_ok=True)
        rf, group = min(k["brokers"], 3), f"signalbox-connect-{self.name}"
        conf = {
            "bootstrap.servers": self.state["env"]["KAFKA_BOOTSTRAP"], "group.id": group,
            "key.converter": "org.apache.kafka.connect.json.JsonConverter",
            "value.converter": "org.apache.kafka.connect.json.JsonConverter",
            "config.storage.topic": f"{group}-configs", "offset.storage.topic": f"{group}-offsets",
            "status.storage.topic": f"{group}-status",
            "config.storage.replication.factor": rf, "offset.storage.replication.factor": rf,
            "status.storage.replication.factor": rf, "offset.storage.partitions": 5,
            "offset.flush.interval.ms": 10000,
            "listeners": f"http://127.0.0.1:{port}", "rest.advertised.host.name": "127.0.0.1",
            "rest.advertised.port": port,
            # All plugins on our classpath have ServiceLoader manifests; the default also
            # reflection-scans the whole classpath, which costs ~8 s per start.
            "plugin.discovery": "service_load",
        }
        if k["sasl"]:  # the worker and its connectors' clients all log in as admin
            env = self.state["env"]
            jaas = ("org.apache.kafka.common.security.scram.ScramLoginModule required "
                    f'username="{SASL_USER}" password="{env["KAFKA_SASL_PASSWORD"]}";')
            for prefix in ("", "producer.", "consumer.", "admin."):
                conf |= {f"{prefix}security.protocol": "SASL_PLAINTEXT",
                         f"{prefix}sasl.mechanism": SASL_MECHANISM, f"{prefix}sasl.jaas.config": jaas}
        (home / "connect-distributed.properties").write_text(_props(conf))
        argv = self._java(java, libs, ["-Xms128m", "-Xmx384m"], "connect",
                          ["org.apache.kafka.connect.cli.ConnectDistributed",
                           home / "connect-distributed.properties"])
        proc = self._spawn("connect", "connect", argv, self.logs / "connect.out")
        self.state["connect"] = {"port": port, "proc": proc}
        self.state["env"]["CONNECT_URL"] = url = f"http://127.0.0.1:{port}"
        self._save()
        log(f"started connect (pid {proc['pid']}) on {url}")

    def _wait_connect(self) -> None:
        url, proc = self.state["env"]["CONNECT_URL"], self.state["connect"]["proc"]

        def ready():
            # /health (KIP-1017) is 200 only once the worker has joined its group; / answers
            # as soon as the REST server is up, so it is the fallback for older workers.
            status, _ = http_json(url + "/health")
            if status == 404:
                status, _ = http_json(url + "/")
            return status == 200 and "version" in (http_json(url + "/")[1] or {})
        self._wait("Kafka Connect", proc, ready, TIMEOUTS["connect"], self.logs / "connect.log")
        log(f"connect ready: {url}")

    def _start_redis(self) -> None:
        redis = ensure_redis()
        (port,) = self._ports(DEFAULT_PORTS["redis"])
        data = self.dir / "redis"
        data.mkdir(parents=True, exist_ok=True)
        proc = self._spawn("redis", "redis", [redis, "--bind", "127.0.0.1", "--port", port,
                                              "--save", "", "--appendonly", "no",
                                              "--daemonize", "no", "--dir", data],
                           self.logs / "redis.log")
        self.state["redis"] = {"port": port}
        self.state["env"]["REDIS_URL"] = f"redis://127.0.0.1:{port}/0"
        self._save()
        self._wait("Redis", proc, lambda: redis_ping(port), TIMEOUTS["redis"])
        log(f"redis ready on 127.0.0.1:{port} (pid {proc['pid']})")

    def _start_postgres(self) -> None:
        """A throwaway cluster: initdb as `postgres`, fsync off, role+db signalbox (SUPERUSER so
        Django can create its test database). Trust on the unix socket, SCRAM on TCP."""
        bindir = ensure_postgres()
        (port,) = self._ports(DEFAULT_PORTS["postgres"])
        shutil.rmtree(self.pg_dir, ignore_errors=True)
        data, run = self.pg_dir / "data", self.pg_dir / "run"
        for d in (self.pg_dir, run):
            d.mkdir(mode=0o700, parents=True, exist_ok=True)
            shutil.chown(d, "postgres", "postgres")
        as_pg = {"user": "postgres", "group": "postgres", "extra_groups": [], "cwd": self.pg_dir,
                 "env": {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LC_ALL": "C"}}
        init = subprocess.run([bindir / "initdb", "-D", data, "-U", "postgres", "-E", "UTF8",
                               "--locale=C", "--auth-local=trust", "--auth-host=scram-sha-256",
                               "--no-sync"], capture_output=True, text=True, **as_pg)
        if init.returncode != 0:
            raise StackError(f"initdb failed in {data}:\n{init.stdout}{init.stderr}")
        proc = self._spawn("postgres", "postgres",
                           [bindir / "postgres", "-D", data, "-p", port, "-k", run,
                            "-c", "listen_addresses=127.0.0.1", "-c", "fsync=off",
                            "-c", "synchronous_commit=off", "-c", "full_page_writes=off"],
                           self.logs / "postgres.log", sig="INT", **as_pg)
        self.state["postgres"] = {"port": port, "bin": str(bindir)}
        self._save()
        self._wait("PostgreSQL", proc, lambda: _pg_ready(bindir, port), TIMEOUTS["postgres"])
        sql = [f"CREATE ROLE {DB_USER} LOGIN SUPERUSER PASSWORD '{DB_PASSWORD}'",
               f"CREATE DATABASE {DB_NAME} OWNER {DB_USER}"]
        psql = subprocess.run([bindir / "psql", "-h", run, "-p", str(port), "-U", "postgres",
                               "-d", "postgres", "-v", "ON_ERROR_STOP=1", "-q",
                               *[a for s in sql for a in ("-c", s)]], capture_output=True, text=True)
        if psql.returncode != 0:
            raise StackError(f"creating role/database {DB_NAME} failed: {psql.stderr.strip()}")
        self.state["env"]["DATABASE_URL"] = (f"postgres://{DB_USER}:{DB_PASSWORD}@127.0.0.1:"
                                             f"{port}/{DB_NAME}")
        self._save()
        log(f"postgres ready on 127.0.0.1:{port} (pid {proc['pid']}, data {data})")


# --------------------------------------------------------------------------- CLI

def _print_env(env: dict) -> None:
    for k, v in env.items():
        print(f"{k}={v}")
    sys.stdout.flush()


def _services(args) -> dict:
    explicit = args.kafka or args.connect or args.redis or args.postgres or args.sasl \
        or args.brokers is not None
    if not explicit:
        return {"kafka": True, "connect": True, "redis": True, "postgres": False}
    return {"kafka": args.kafka, "brokers": args.brokers, "sasl": args.sasl or None,
            "connect": args.connect, "redis": args.redis, "postgres": args.postgres}


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(prog="dev/stack.py", description=__doc__.split("\n\n")[0])
    sub = ap.add_subparsers(dest="cmd", required=True)
    sub.add_parser("jars", help="ensure the Kafka jars are present")
    p = sub.add_parser("install", help="apt-get install missing servers")
    p.add_argument("--postgres", action="store_true")
    for cmd in ("up", "run", "down", "env"):
        p = sub.add_parser(cmd)
        p.add_argument("--name", default="dev")
        if cmd in ("up", "run"):
            p.add_argument("--kafka", action="store_true")
            p.add_argument("--brokers", type=int, metavar="N")
            p.add_argument("--sasl", action="store_true")
            p.add_argument("--connect", action="store_true")
            p.add_argument("--redis", action="store_true")
            p.add_argument("--postgres", action="store_true")
    args = ap.parse_args(argv)
    try:
        if args.cmd == "jars":
            print(f"KAFKA_LIBS={ensure_jars()}")
        elif args.cmd == "install":
            java = ensure_java()
            log(f"java: {java}; kafka jars: {ensure_jars()}; redis: {ensure_redis()}")
            if args.postgres:
                log(f"postgres: {ensure_postgres()}")
        elif args.cmd == "env":
            stack = Stack(args.name)
            if not stack.running():
                log(f"no running stack named {args.name!r}: start it with "
                    f"`python3 dev/stack.py up --name {args.name}`")
                return 1
            _print_env(stack.env())
        elif args.cmd == "down":
            stopped = Stack(args.name).down()
            for line in stopped:
                print(f"{line}")
            print(f"stack {args.name!r}: " + ("stopped, data removed" if stopped
                                              else "nothing was running; data removed"))
        elif args.cmd == "up":
            _print_env(Stack(args.name).up(**_services(args)))
        elif args.cmd == "run":
            for sig in (signal.SIGINT, signal.SIGTERM):  # even if started with SIGINT ignored
                signal.signal(sig, _raise_interrupt)
            stack = Stack(args.name)
            try:  # a requested stop (KeyboardInterrupt from the handler) is a clean exit
                _print_env(stack.up(**_services(args)))
                log("running; Ctrl-C or SIGTERM stops the stack")
                while True:  # a dead service ends the run, so a Procfile manager notices
                    time.sleep(2)
                    dead = [p for p in stack.state["procs"] if not _alive(p)]
                    if dead:
                        raise StackError(f"{dead[0]['label']} died; see {_rel(Path(dead[0]['log']))}")
            except KeyboardInterrupt:
                log("stopping")
            finally:
                signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C must not
                signal.signal(signal.SIGTERM, signal.SIG_IGN)  # interrupt the shutdown
                for line in stack.down():
                    log(line)
    except StackError as e:
        log(f"error: {e}")
        return 1
    except KeyboardInterrupt:
        log("interrupted")
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
