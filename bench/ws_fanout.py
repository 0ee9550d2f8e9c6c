"""Benchmark: live-update fan-out to 1,000 websocket clients on one Daphne process.

Starts Redis (dev/stack.py, stack `fanout`), a throwaway SQLite database with a superuser,
its session and one cluster row (disabled, so nothing polls it), and ONE Daphne process
serving controlplane.asgi. Opens N websocket clients on /ws/live/ in this process (session
cookie, allowed Origin), subscribes each to the cluster, then publishes --rate events per
second for --duration seconds to the group `cluster.<id>` through the channel layer, as
the poller does (monitoring/events.py: group_send of a "live.update" message). Every
client records when each event arrived; the event carries its send time.

Prints messages expected/received/lost, delivery delay p50/p95/p99/max, the time to
connect and subscribe every client, Daphne's CPU (% of one core), the time its event loop
waited for a CPU (the machine is shared), its RSS, the backlog of its channel in Redis, the
errors it logged, and the command. Exits non-zero only when setup fails.

    .venv/bin/python bench/ws_fanout.py [--clients 1000] [--duration 120] [--rate 1]
        [--redis-options '{"socket_timeout": 10}'] [--daphne-log PATH] [--profile PATH]
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import contextlib
import hashlib
import json
import logging
import os
import resource
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

STACK_NAME = "fanout"
CONNECT_CONCURRENCY = 50  # handshakes in flight; Twisted's listen backlog is 50
CONNECT_TIMEOUT_S = 60.0
DRAIN_QUIET_S = 5.0  # after the last event, stop waiting once nothing arrived for this long
DRAIN_MAX_S = 60.0
WS_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TARGET_P95_MS = 250.0


class SetupError(Exception):
    """The bench could not get to the measurement; the message names the cause."""


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def verdict(met: bool) -> str:
    return "target met" if met else "target MISSED"


# ---------------------------------------------------------------------------------------------- websocket client


def _mask(payload: bytes, key: bytes) -> bytes:
    n = len(payload)
    stream = (key * (n // 4 + 1))[:n]
    return (int.from_bytes(payload, "big") ^ int.from_bytes(stream, "big")).to_bytes(n, "big")


def _frame(opcode: int, payload: bytes) -> bytes:
    """One final, masked client frame (RFC 6455 section 5.2)."""
    n = len(payload)
    if n < 126:
        head = bytes([0x80 | opcode, 0x80 | n])
    elif n < 65536:
        head = bytes([0x80 | opcode, 0x80 | 126]) + n.to_bytes(2, "big")
    else:
        head = bytes([0x80 | opcode, 0x80 | 127]) + n.to_bytes(8, "big")
    key = os.urandom(4)
    return head + key + _mask(payload, key)


class LiveClient(asyncio.Protocol):
    """A minimal websocket client: upgrade with the session cookie, subscribe, answer pings,
    and stamp every text frame with the wall clock of the read that brought it."""

    def __init__(self, *, host: str, port: int, cookie: str, cluster_id: int) -> None:
        self.host, self.port, self.cookie, self.cluster_id = host, port, cookie, cluster_id
        self.key = base64.b64encode(os.urandom(16))
        self.subscribed: asyncio.Future[float] = asyncio.get_running_loop().create_future()
        self.transport: asyncio.Transport | None = None
        self.buffer = bytearray()
        self.upgraded = False
        self.fragments: bytearray | None = None
        self.delays: dict[int, float] = {}  # seq -> seconds from send to receive
        self.duplicates = 0
        self.out_of_order = 0
        self.last_seq = -1
        self.errors: list[str] = []
        self.close_code: int | None = None
        self.lost_at: float | None = None
        self.closing = False
        self.handling_s = 0.0  # CPU this client spent in data_received, to bound the bench's own bias

    # asyncio callbacks
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport
        request = (
            "GET /ws/live/ HTTP/1.1\r\n"
            f"Host: {self.host}:{self.port}\r\n"
            "Upgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {self.key.decode()}\r\nSec-WebSocket-Version: 13\r\n"
            f"Origin: http://{self.host}:{self.port}\r\n"
            f"Cookie: {self.cookie}\r\n\r\n"
        )
        transport.write(request.encode())

    def data_received(self, data: bytes) -> None:
        now = time.time()
        t0 = time.perf_counter()
        self.buffer += data
        if not self.upgraded and not self._upgrade():
            self.handling_s += time.perf_counter() - t0
            return
        self._frames(now)
        self.handling_s += time.perf_counter() - t0

    def connection_lost(self, exc: Exception | None) -> None:
        self.lost_at = time.time()
        if not self.subscribed.done():
            why = f"close code {self.close_code}" if self.close_code is not None else str(exc or "connection closed")
            self.subscribed.set_exception(ConnectionError(f"closed before subscribing ({why})"))

    # protocol
    def _upgrade(self) -> bool:
        end = self.buffer.find(b"\r\n\r\n")
        if end < 0:
            return False
        head = bytes(self.buffer[:end]).decode("latin-1")
        del self.buffer[: end + 4]
        lines = head.split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, _, v in (x.partition(":") for x in lines[1:])}
        accept = base64.b64encode(hashlib.sha1(self.key + WS_GUID).digest()).decode()  # noqa: S324 - the RFC's hash
        if " 101 " not in lines[0] + " " or headers.get("sec-websocket-accept") != accept:
            self._fail(f"upgrade refused: {lines[0]!r}")
            return False
        self.upgraded = True
        self.send_text(json.dumps({"action": "subscribe", "cluster": self.cluster_id}))
        return True

    def _frames(self, now: float) -> None:
        buf = self.buffer
        while len(buf) >= 2:
            b0, b1 = buf[0], buf[1]
            length, pos = b1 & 0x7F, 2
            if length == 126:
                if len(buf) < 4:
                    return
                length, pos = int.from_bytes(buf[2:4], "big"), 4
            elif length == 127:
                if len(buf) < 10:
                    return
                length, pos = int.from_bytes(buf[2:10], "big"), 10
            if b1 & 0x80:
                self._fail("server sent a masked frame")
                return
            if len(buf) < pos + length:
                return
            payload = bytes(buf[pos : pos + length])
            del buf[: pos + length]
            opcode, fin = b0 & 0x0F, b0 & 0x80
            if opcode == 0x9:
                self._write(_frame(0xA, payload))
            elif opcode == 0x8:
                self.close_code = int.from_bytes(payload[:2], "big") if len(payload) >= 2 else 1005
                if not self.closing:
                    self.closing = True
                    self._write(_frame(0x8, payload[:2]))
                if self.transport is not None:
                    self.transport.close()
                return
            elif opcode in (0x0, 0x1):
                self.fragments = bytearray(payload) if opcode == 0x1 else (self.fragments or bytearray()) + payload
                if fin:
                    self._message(bytes(self.fragments), now)
                    self.fragments = None

    def _message(self, raw: bytes, now: float) -> None:
        message = json.loads(raw)
        data = message.get("data")
        if isinstance(data, dict) and "seq" in data:
            seq = data["seq"]
            if seq in self.delays:
                self.duplicates += 1
                return
            if seq < self.last_seq:
                self.out_of_order += 1
            self.last_seq = max(self.last_seq, seq)
            self.delays[seq] = now - data["sent_at"]
        elif "subscribed" in message:
            if not self.subscribed.done():
                self.subscribed.set_result(now)
        elif "error" in message:
            self.errors.append(str(message["error"]))
            if not self.subscribed.done():
                self.subscribed.set_exception(SetupError(f"subscribe refused: {message['error']}"))

    def _write(self, data: bytes) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.write(data)

    def _fail(self, why: str) -> None:
        self.errors.append(why)
        if not self.subscribed.done():
            self.subscribed.set_exception(SetupError(why))
        if self.transport is not None:
            self.transport.close()

    def send_text(self, text: str) -> None:
        self._write(_frame(0x1, text.encode()))

    def close(self) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        self.closing = True
        self._write(_frame(0x8, (1000).to_bytes(2, "big")))
        self.transport.close()


# ---------------------------------------------------------------------------------------------- process sampling


def _cpu_ticks(pid: int | str) -> int:
    fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
    return int(fields[11]) + int(fields[12])  # utime + stime (fields 14 and 15 of stat)


def _runqueue_wait_s(pid: int) -> float:
    # Second field of schedstat: time the main thread (Daphne's event loop) waited for a CPU.
    return int(Path(f"/proc/{pid}/schedstat").read_text().split()[1]) / 1e9


def _machine_busy() -> tuple[int, int]:
    fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


@dataclass
class Sample:
    at: float
    span: float  # seconds since the previous sample
    phase: str
    daphne_cpu: float  # % of one core over the last interval
    daphne_rss_mb: float
    bench_cpu: float
    daphne_wait_ms: float  # per second: Daphne's event loop was runnable but had no CPU
    machine_busy: float  # % of all CPUs busy, whoever used them
    backlog: int  # messages waiting in Redis for Daphne's channel


@dataclass
class Sampler:
    pid: int
    phase: str = "idle"
    samples: list[Sample] = field(default_factory=list)
    backlog_key: bytes | None = None

    async def run(self, redis_url: str) -> None:
        from redis import asyncio as aioredis

        client = aioredis.Redis.from_url(redis_url)
        hz = os.sysconf("SC_CLK_TCK")

        def read() -> tuple[float, int, int, float, tuple[int, int]]:
            return (
                time.monotonic(),
                _cpu_ticks(self.pid),
                _cpu_ticks("self"),
                _runqueue_wait_s(self.pid),
                _machine_busy(),
            )

        last = read()
        try:
            while True:
                await asyncio.sleep(1.0)
                now = read()
                span = now[0] - last[0]
                backlog = await client.zcard(self.backlog_key) if self.backlog_key else 0
                self.samples.append(
                    Sample(
                        at=time.time(),
                        span=span,
                        phase=self.phase,
                        daphne_cpu=(now[1] - last[1]) / hz / span * 100,
                        daphne_rss_mb=_rss_mb(self.pid),
                        bench_cpu=(now[2] - last[2]) / hz / span * 100,
                        daphne_wait_ms=(now[3] - last[3]) / span * 1000,
                        machine_busy=(now[4][0] - last[4][0]) / max(1, now[4][1] - last[4][1]) * 100,
                        backlog=int(backlog),
                    )
                )
                last = now
        finally:
            await client.aclose()

    def phase_samples(self, phase: str) -> list[Sample]:
        return [s for s in self.samples if s.phase == phase]


# ---------------------------------------------------------------------------------------------- the run


@dataclass
class Result:
    requested: int
    clients: list[LiveClient]
    failures: dict[str, int]
    connect_s: float
    per_client_connect_ms: list[float]
    published: list[tuple[int, float]]  # (seq, seconds group_send took)
    sampler: Sampler
    rss_idle_mb: float
    over_capacity: list[str]
    drain_s: float  # waited after the last event until every message arrived (or nothing more came)
    publish_window: tuple[float, float]  # wall clock of the first and last event
    closed_at: float  # when the bench closed its clients; a socket lost before that dropped out


class _CapacityLog(logging.Handler):
    """channels-redis reports channels over capacity only as an INFO log line of the sender."""

    def __init__(self) -> None:
        super().__init__(logging.INFO)
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        if "over capacity" in record.getMessage():
            self.lines.append(record.getMessage())


async def run(args: argparse.Namespace, *, port: int, cookie: str, cluster_id: int, daphne_pid: int) -> Result:
    from channels.layers import get_channel_layer
    from django.conf import settings

    from monitoring.events import MESSAGE_TYPE, cluster_group

    loop = asyncio.get_running_loop()
    sampler = Sampler(pid=daphne_pid)
    sampler_task = asyncio.create_task(sampler.run(settings.REDIS_URL))
    rss_idle = _rss_mb(daphne_pid)
    capacity_log = _CapacityLog()
    layer_log = logging.getLogger("channels_redis.core")
    layer_log.addHandler(capacity_log)
    layer_log.setLevel(logging.INFO)
    clients: list[LiveClient] = []
    failures: dict[str, int] = {}
    per_client: list[float] = []
    gate = asyncio.Semaphore(CONNECT_CONCURRENCY)

    async def open_one() -> None:
        async with gate:
            t0 = time.perf_counter()
            try:
                _, client = await asyncio.wait_for(
                    loop.create_connection(
                        lambda: LiveClient(host="127.0.0.1", port=port, cookie=cookie, cluster_id=cluster_id),
                        "127.0.0.1",
                        port,
                    ),
                    CONNECT_TIMEOUT_S,
                )
                clients.append(client)
                await asyncio.wait_for(asyncio.shield(client.subscribed), CONNECT_TIMEOUT_S)
                per_client.append((time.perf_counter() - t0) * 1000)
            except (OSError, SetupError, TimeoutError) as exc:
                why = f"{type(exc).__name__}: {exc}"[:400]
                failures[why] = failures.get(why, 0) + 1

    layer = get_channel_layer()
    group = cluster_group(cluster_id)
    published: list[tuple[int, float]] = []
    first_at = last_at = drain_s = float("nan")
    try:
        sampler.phase = "connect"
        t0 = time.perf_counter()
        await asyncio.gather(*(open_one() for _ in range(args.clients)))
        connect_s = time.perf_counter() - t0
        subscribed = [c for c in clients if c.subscribed.done() and not c.subscribed.exception()]
        print(
            f"{len(subscribed)} of {args.clients} clients subscribed in {connect_s:.1f} s",
            file=sys.stderr,
            flush=True,
        )
        if not subscribed:
            raise SetupError(f"no client could subscribe: {failures}")
        # Every consumer of one Daphne process shares one Redis key: the channel's non-local part.
        from redis import asyncio as aioredis

        probe = aioredis.Redis.from_url(settings.REDIS_URL)
        member: list[Any] = await probe.zrange(layer._group_key(group), 0, 0) if hasattr(layer, "_group_key") else []
        await probe.aclose()
        if member and hasattr(layer, "non_local_name"):
            sampler.backlog_key = (layer.prefix + layer.non_local_name(member[0].decode())).encode()
        await asyncio.sleep(2.0)  # quiet seconds for the "start" RSS sample

        sampler.phase = "publish"
        count = round(args.duration * args.rate)
        start = loop.time() + 0.05
        for seq in range(count):
            delay = start + seq / args.rate - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sent_at = time.time()
            t_send = time.perf_counter()
            data = {"seq": seq, "sent_at": sent_at}
            await layer.group_send(group, {"type": MESSAGE_TYPE, "group": group, "event": "bench.tick", "data": data})
            published.append((seq, time.perf_counter() - t_send))
            first_at = sent_at if seq == 0 else first_at
            last_at = sent_at
            if seq % max(1, round(10 * args.rate)) == 0:
                got = sum(len(c.delays) for c in subscribed)
                print(f"published {seq + 1}/{count}, received {got}", file=sys.stderr, flush=True)
        sampler.phase = "drain"
        expected = len(published) * len(subscribed)
        drain_start = last_change = loop.time()
        last_got = -1
        while loop.time() - drain_start < DRAIN_MAX_S:
            got = sum(len(c.delays) for c in subscribed)
            if got >= expected or loop.time() - last_change >= DRAIN_QUIET_S:
                break
            if got != last_got:
                last_got, last_change = got, loop.time()
            await asyncio.sleep(0.1)
        drain_s = loop.time() - drain_start
        sampler.phase = "end"
        await asyncio.sleep(1.1)  # one sample after the last delivery
    finally:
        closed_at = time.time()
        for client in clients:
            client.close()
        await asyncio.sleep(0.5)
        sampler_task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await sampler_task
        layer_log.removeHandler(capacity_log)
        with contextlib.suppress(Exception):
            await layer.close_pools()
    return Result(
        requested=args.clients,
        clients=subscribed,
        failures=failures,
        connect_s=connect_s,
        per_client_connect_ms=per_client,
        published=published,
        sampler=sampler,
        rss_idle_mb=rss_idle,
        over_capacity=capacity_log.lines,
        drain_s=drain_s,
        publish_window=(first_at, last_at),
        closed_at=closed_at,
    )


def report(result: Result, args: argparse.Namespace) -> None:
    from channels_redis.core import RedisChannelLayer as layer_class
    from django.conf import settings
    from redis import _defaults as redis_defaults
    from redis import asyncio as aioredis

    config = cast(dict[str, Any], settings.CHANNEL_LAYERS["default"]["CONFIG"])
    clients = result.clients
    n_events = len(result.published)
    expected = n_events * len(clients)
    received = sum(len(c.delays) for c in clients)
    lost_by_client = [n_events - len(c.delays) for c in clients]
    lossy = sum(1 for lost in lost_by_client if lost > 0)
    dropped = [c for c in clients if c.lost_at is not None and c.lost_at < result.closed_at]
    delays = [d * 1000 for c in clients for d in c.delays.values()]
    per_event_last = [
        max(c.delays[seq] for c in clients if seq in c.delays) * 1000
        for seq, _ in result.published
        if any(seq in c.delays for c in clients)
    ]
    sends = [s * 1000 for _, s in result.published]
    publish = result.sampler.phase_samples("publish")
    connect = result.sampler.phase_samples("connect")
    rss_all = [s.daphne_rss_mb for s in result.sampler.samples]
    rss_start = result.sampler.phase_samples("connect")[-1].daphne_rss_mb if connect else float("nan")
    rss_end = result.sampler.samples[-1].daphne_rss_mb if result.sampler.samples else float("nan")
    handling_ms = sum(c.handling_s for c in clients) * 1000 / max(1, n_events)
    p95 = percentile(delays, 95)
    lost = expected - received

    def row(label: str, text: str) -> None:
        print(f"{label:<34} {text}")

    print(f"\nws fan-out: {args.clients} clients on one Daphne process, {args.rate:g} event/s for {args.duration:g} s")
    host = config["hosts"][0] if isinstance(config["hosts"][0], dict) else {}
    timeout = host.get(
        "socket_timeout", f"{getattr(redis_defaults, 'DEFAULT_SOCKET_TIMEOUT', None)} (redis-py default)"
    )
    pool = host.get("max_connections", f"{aioredis.ConnectionPool().max_connections} (redis-py default)")
    backend = settings.CHANNEL_LAYERS["default"]["BACKEND"]
    core = backend == f"{layer_class.__module__}.{layer_class.__name__}"
    row(
        "channel layer",
        f"{backend} from {settings.SETTINGS_MODULE}"
        + (
            f": capacity {config.get('capacity', 100)}, expiry {config.get('expiry', 60)} s, "
            f"group_expiry {config.get('group_expiry', 86400)} s"
            if core
            else ""
        ),
    )
    row(
        "  its Redis connections",
        f"socket_timeout {timeout}"
        + (f" (BZPOPMIN blocks {layer_class.brpop_timeout} s)" if core else "")
        + f", max_connections {pool}",
    )
    row("clients connected + subscribed", f"{len(clients)} of {result.requested} in {result.connect_s:.1f} s")
    row(
        "  per client (connect+subscribe)",
        f"p50 {percentile(result.per_client_connect_ms, 50):.0f} ms, "
        f"p95 {percentile(result.per_client_connect_ms, 95):.0f} ms, "
        f"max {max(result.per_client_connect_ms, default=float('nan')):.0f} ms "
        f"({CONNECT_CONCURRENCY} handshakes in flight)",
    )
    for why, count in result.failures.items():
        row("  failed to subscribe", f"{count} x {why}")
    row(
        "events published",
        f"{n_events} (group_send p50 {percentile(sends, 50):.1f} ms, p95 {percentile(sends, 95):.1f} ms, "
        f"max {max(sends, default=float('nan')):.1f} ms)",
    )
    row(
        "messages expected / received",
        f"{expected} / {received} (waited {result.drain_s:.1f} s after the last event)",
    )
    if dropped:
        first, last = result.publish_window
        when = Counter(
            "before the first event"
            if c.lost_at < first
            else "while publishing"
            if c.lost_at <= last + 1
            else "after the last event"
            for c in dropped
            if c.lost_at is not None
        )
        codes = Counter(c.close_code for c in dropped)
        row(
            "  sockets closed by the server",
            f"{len(dropped)}: close codes {dict(codes)}; {', '.join(f'{n} {k}' for k, n in when.items())}",
        )
    row(
        "lost",
        f"{lost} ({lossy} clients lost any; {len(dropped)} sockets closed by the server; "
        f"duplicates {sum(c.duplicates for c in clients)}, out of order {sum(c.out_of_order for c in clients)}) "
        f"[target 0: {verdict(lost == 0)}]",
    )
    row(
        "delivery delay",
        f"p50 {percentile(delays, 50):.1f} ms, p95 {p95:.1f} ms, p99 {percentile(delays, 99):.1f} ms, "
        f"max {max(delays, default=float('nan')):.1f} ms [target p95 < {TARGET_P95_MS:g} ms: "
        f"{verdict(p95 < TARGET_P95_MS)}]",
    )
    row(
        "  event reached every client",
        f"p50 {percentile(per_event_last, 50):.1f} ms, p95 {percentile(per_event_last, 95):.1f} ms, "
        f"max {max(per_event_last, default=float('nan')):.1f} ms",
    )
    if publish:
        cpu = [s.daphne_cpu for s in publish]
        row("Daphne CPU (% of one core)", f"avg {sum(cpu) / len(cpu):.1f} %, max {max(cpu):.1f} % while publishing")
        # Independent of how busy the machine is: the floor of one event's fan-out.
        cpu_s = sum(s.daphne_cpu / 100 * s.span for s in publish)
        per_message_ms = cpu_s / max(1, received) * 1000
        row(
            "  per delivered message",
            f"{per_message_ms * 1000:.0f} us of Daphne CPU: one event to {len(clients)} clients takes "
            f"{per_message_ms * len(clients):.0f} ms of one core",
        )
        wait = [s.daphne_wait_ms for s in publish]
        busy = [s.machine_busy for s in publish]
        row(
            "  waiting for a CPU",
            f"avg {sum(wait) / len(wait):.0f} ms/s, max {max(wait):.0f} ms/s (event loop runnable, CPU taken); "
            f"machine CPUs busy avg {sum(busy) / len(busy):.0f} %",
        )
    if connect:
        row("  while clients connected", f"avg {sum(s.daphne_cpu for s in connect) / len(connect):.1f} %")
    row(
        "Daphne RSS",
        f"idle {result.rss_idle_mb:.0f} MB, start {rss_start:.0f} MB (clients subscribed), "
        f"peak {max(rss_all, default=float('nan')):.0f} MB, end {rss_end:.0f} MB",
    )
    if publish and result.sampler.backlog_key:
        row(
            "Redis backlog of Daphne's channel",
            f"max {max(s.backlog for s in publish)} messages (sampled each second); "
            f"over-capacity reports from group_send: {len(result.over_capacity)}",
        )
    if publish:
        bench_cpu = [s.bench_cpu for s in publish]
        row(
            "bench client process",
            f"CPU avg {sum(bench_cpu) / len(bench_cpu):.1f} %, max {max(bench_cpu):.1f} %; "
            f"{handling_ms:.1f} ms of frame handling per event (upper bound of its own delay bias)",
        )
    row("machine", f"{os.cpu_count()} CPUs, Python {sys.version.split()[0]}")
    print("command: cd /work/main && .venv/bin/python " + " ".join(shlex.quote(a) for a in sys.argv))


# ---------------------------------------------------------------------------------------------- setup


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait_listening(proc: subprocess.Popen[bytes], port: int, log_path: Path, timeout: float = 60.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SetupError(f"Daphne exited with {proc.returncode}; its log:\n{_tail(log_path)}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=1):
            return
        time.sleep(0.2)
    raise SetupError(f"Daphne did not listen on 127.0.0.1:{port} within {timeout:.0f} s; its log:\n{_tail(log_path)}")


def _tail(path: Path, lines: int = 30) -> str:
    try:
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])
    except OSError:
        return "(no log)"


def _raise_fd_limit(clients: int) -> None:
    # Both ends of every socket live on this machine: this process holds N, Daphne (inheriting it) N more.
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = clients + 512
    if soft >= wanted:
        return
    if hard != resource.RLIM_INFINITY and hard < wanted:
        raise SetupError(f"open-file limit {hard} is below the {wanted} that {clients} clients need: ulimit -Hn")
    resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=15)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=5)


def _interrupt(signum: int, frame: Any) -> None:
    raise KeyboardInterrupt  # SIGTERM takes the same cleanup path as Ctrl-C


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=1000, help="websocket clients (default 1000)")
    parser.add_argument("--duration", type=float, default=120.0, help="seconds of publishing (default 120)")
    parser.add_argument("--rate", type=float, default=1.0, help="events per second to the group (default 1)")
    parser.add_argument(
        "--redis-options",
        type=json.loads,
        default=None,
        metavar="JSON",
        help="redis-py options for the channel layer's Redis connections, to try a settings change before making it, "
        """e.g. '{"socket_timeout": 10, "max_connections": 1000}'; default: controlplane/settings.py as it is""",
    )
    parser.add_argument("--daphne-log", metavar="PATH", default="", help="keep Daphne's log (tracebacks) at PATH")
    parser.add_argument(
        "--profile",
        metavar="PATH",
        default="",
        help="run Daphne under cProfile and write its stats to PATH (slows Daphne: not for the figures)",
    )
    args = parser.parse_args()
    if args.clients < 1 or args.duration <= 0 or args.rate <= 0:
        parser.error("--clients, --duration and --rate must be positive")

    signal.signal(signal.SIGTERM, _interrupt)
    from dev.stack import Stack

    stack = Stack(name=STACK_NAME, root=ROOT)
    tmp = Path(tempfile.mkdtemp(prefix="signalbox-fanout-"))
    daphne: subprocess.Popen[bytes] | None = None
    log_file = None
    try:
        _raise_fd_limit(args.clients)
        redis_url = stack.up(kafka=False, redis=True)["REDIS_URL"]
        env = {
            "DJANGO_SETTINGS_MODULE": "controlplane.settings",
            "ENV_FILE": "none",
            "DEBUG": "false",
            "SECRET_KEY": "bench-fanout-secret",
            "FIELD_ENCRYPTION_KEY": "3Fw6k9pTgk0Jb8mS2mAYyE3v3WbVZgK7tH7m3m1e6xI=",
            "DATABASE_URL": f"sqlite:///{tmp}/fanout.sqlite3",
            "REDIS_URL": redis_url,
            "ALLOWED_HOSTS": "127.0.0.1,localhost",
            "LOG_LEVEL": "WARNING",
        }
        if args.redis_options is not None:
            # A settings module of our own, so a fix can be measured before settings.py changes.
            (tmp / "fanout_settings.py").write_text(
                "from controlplane.settings import *\n"
                "CHANNEL_LAYERS['default']['CONFIG']['hosts'] = "
                f"[{{'address': REDIS_URL, **{args.redis_options!r}}}]\n"
            )
            env["DJANGO_SETTINGS_MODULE"] = "fanout_settings"
            env["PYTHONPATH"] = os.pathsep.join([str(tmp), str(ROOT)])
            sys.path.insert(0, str(tmp))
        os.environ.update(env)
        import django

        django.setup()
        from django.conf import settings
        from django.contrib.auth import get_user_model
        from django.core.management import call_command
        from django.test import Client

        from clusters.models import Cluster

        call_command("migrate", verbosity=0)
        user = get_user_model().objects.create_superuser("bench", "bench@example.invalid", "bench-password")
        cluster = Cluster.objects.create(name="fanout", bootstrap_servers="127.0.0.1:1", enabled=False)
        browser = Client()
        browser.force_login(user)
        cookie = f"{settings.SESSION_COOKIE_NAME}={browser.cookies[settings.SESSION_COOKIE_NAME].value}"

        daphne_bin = ROOT / ".venv" / "bin" / "daphne"
        if not daphne_bin.exists():
            daphne_bin = Path(shutil.which("daphne") or daphne_bin)
        port = _free_port()
        log_path = tmp / "daphne.log"
        log_file = log_path.open("wb")
        argv = [str(daphne_bin), "-b", "127.0.0.1", "-p", str(port), "controlplane.asgi:application"]
        if args.profile:
            argv = [str(daphne_bin.parent / "python"), "-m", "cProfile", "-o", str(Path(args.profile).resolve()), *argv]
        daphne = subprocess.Popen(
            argv,
            cwd=ROOT,
            env={**os.environ, **env},
            stdout=log_file,
            stderr=subprocess.STDOUT,
        )
        _wait_listening(daphne, port, log_path)
        time.sleep(1.0)  # let its import-time allocations settle before the idle RSS reading
        print(f"Daphne pid {daphne.pid} on 127.0.0.1:{port}; opening {args.clients} clients", file=sys.stderr)

        result = asyncio.run(run(args, port=port, cookie=cookie, cluster_id=cluster.pk, daphne_pid=daphne.pid))
        if daphne.poll() is not None:
            print(f"Daphne died during the run (exit {daphne.returncode}):\n{_tail(log_path)}", file=sys.stderr)
        time.sleep(1.0)  # the clients just closed: let Daphne log what their disconnects raised
        _stop(daphne)
        report(result, args)
        errors = Counter(
            line.split(" ERROR ", 1)[1]
            for line in log_path.read_text(errors="replace").splitlines()
            if " ERROR " in line
        )
        for message, count in errors.most_common():
            print(f"Daphne logged {count} x ERROR {message}")
        return 0
    except SetupError as exc:
        print(f"setup failed: {exc}", file=sys.stderr)
        return 1
    finally:
        if daphne is not None:
            _stop(daphne)
        if log_file is not None:
            log_file.close()
        if args.daphne_log and (tmp / "daphne.log").exists():
            shutil.copy(tmp / "daphne.log", args.daphne_log)
        shutil.rmtree(tmp, ignore_errors=True)
        stack.down()


if __name__ == "__main__":
    raise SystemExit(main())
