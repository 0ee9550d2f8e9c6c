"""Reading and writing messages: bounded scans with a consumer that never joins a group
or commits, a live tail that stops on a flag, and producing one message."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from kafka import KafkaConsumer, KafkaProducer, TopicPartition
from kafka import errors as kafka_errors

from clusters.gateway.connection import (
    _bootstrap_lock,
    _diagnose,
    _listen_for_reasons,
    _reasons,
    admins,
    client_config,
    elapsed_ms,
    translate,
)
from clusters.gateway.errors import GatewayError, KafkaNotFound, KafkaRejected, KafkaTimeout
from clusters.gateway.types import ConnectionSettings

log = logging.getLogger(__name__)

TIMESTAMP_TYPES = {0: "CreateTime", 1: "LogAppendTime"}
START_MODES = ("earliest", "latest", "offset", "timestamp", "cursor")


@dataclass(frozen=True)
class RawMessage:
    """One record as Kafka stored it: bytes, not yet decoded."""

    topic: str
    partition: int
    offset: int
    timestamp_ms: int
    timestamp_type: str
    key: bytes | None
    value: bytes | None
    headers: tuple[tuple[str, bytes | None], ...] = ()


@dataclass(frozen=True)
class ScanStart:
    """Where a scan begins: `mode` is one of START_MODES. `latest` starts `count`
    messages before the end of each partition; `cursor` maps partition -> next offset."""

    mode: str = "latest"
    offset: int | None = None
    timestamp_ms: int | None = None
    count: int = 50
    cursor: tuple[tuple[int, int], ...] = ()


@dataclass(frozen=True)
class PartitionProgress:
    partition: int
    start: int  # first offset this scan looked at
    next: int  # next offset a continued scan reads
    end: int  # end offset (high watermark) when the scan began

    @property
    def done(self) -> bool:
        return self.next >= self.end

    @property
    def remaining(self) -> int:
        return max(0, self.end - self.next)


@dataclass(frozen=True)
class ScanResult:
    topic: str
    messages: tuple[RawMessage, ...]
    scanned: int
    elapsed_ms: float
    # "end" (every partition read to its end), "scan_limit", "time_limit" or "result_limit".
    stop_reason: str
    partitions: tuple[PartitionProgress, ...] = field(default_factory=tuple)

    @property
    def done(self) -> bool:
        return all(p.done for p in self.partitions)

    @property
    def cursor(self) -> tuple[tuple[int, int], ...]:
        return tuple((p.partition, p.next) for p in self.partitions)


@dataclass(frozen=True)
class ProducedRecord:
    topic: str
    partition: int
    offset: int
    timestamp_ms: int


def _where(settings: ConnectionSettings) -> str:
    return f"cluster '{settings.name}' ({', '.join(settings.bootstrap_servers)})"


def _open_consumer(settings: ConnectionSettings) -> KafkaConsumer:
    """A consumer without a group: it never joins a group and never commits."""
    config = client_config(settings)
    wait_s = settings.bootstrap_timeout_ms / 1000 * 2 + 1
    if not _bootstrap_lock.acquire(timeout=wait_s):
        raise KafkaTimeout(f"Too many connections to Kafka are being opened; try cluster '{settings.name}' again.")
    _listen_for_reasons()
    start = time.monotonic()
    try:
        return KafkaConsumer(
            **config,
            group_id=None,
            enable_auto_commit=False,
            auto_offset_reset="earliest",
            allow_auto_create_topics=False,
            bootstrap_timeout_ms=settings.bootstrap_timeout_ms,
            max_poll_records=500,
            fetch_max_wait_ms=min(500, settings.request_timeout_ms - 100),
        )
    except Exception as exc:  # kafka-python raises many types; translate them all
        raise _diagnose(settings, _reasons.since(start), exc) from None
    finally:
        _bootstrap_lock.release()


def _close_consumer(consumer: KafkaConsumer) -> None:
    with contextlib.suppress(Exception):
        consumer.close(autocommit=False, timeout_ms=1000)


def _raw(record: Any) -> RawMessage:
    return RawMessage(
        topic=str(record.topic),
        partition=int(record.partition),
        offset=int(record.offset),
        timestamp_ms=int(record.timestamp if record.timestamp is not None else -1),
        timestamp_type=TIMESTAMP_TYPES.get(record.timestamp_type, "NoTimestamp"),
        key=None if record.key is None else bytes(record.key),
        value=None if record.value is None else bytes(record.value),
        headers=tuple((str(k), None if v is None else bytes(v)) for k, v in (record.headers or [])),
    )


def _partitions(consumer: KafkaConsumer, settings: ConnectionSettings, topic: str) -> list[int]:
    found = consumer.partitions_for_topic(topic)
    if not found:
        raise KafkaNotFound(
            f"Topic '{topic}' does not exist in {_where(settings)}; check the name or refresh the list."
        )
    return sorted(int(p) for p in found)


def _starts(
    consumer: KafkaConsumer,
    topic: str,
    tps: list[TopicPartition],
    start: ScanStart,
    begins: dict[TopicPartition, int],
    ends: dict[TopicPartition, int],
) -> dict[TopicPartition, int]:
    """The first offset to read in each partition, or KafkaRejected naming the field."""
    if start.mode == "earliest":
        return dict(begins)
    if start.mode == "latest":
        return {tp: max(begins[tp], ends[tp] - start.count) for tp in tps}
    if start.mode == "offset":
        offset = int(start.offset or 0)
        highest = max(ends.values(), default=0)
        if offset > highest:
            where = f"partition {tps[0].partition}" if len(tps) == 1 else "any partition"
            raise KafkaRejected(
                f"Offset {offset} is beyond the end of {where} of topic '{topic}' (next offset {highest}); "
                f"choose an offset up to {highest}.",
                field="offset",
            )
        return {tp: min(max(offset, begins[tp]), ends[tp]) for tp in tps}
    if start.mode == "timestamp":
        found = consumer.offsets_for_times({tp: int(start.timestamp_ms or 0) for tp in tps})
        # No message at or after that time: start at the end (nothing to read yet).
        return {tp: (found[tp].offset if found.get(tp) is not None else ends[tp]) for tp in tps}
    # cursor: validated against the partitions by the caller
    wanted = dict(start.cursor)
    return {tp: min(max(wanted[tp.partition], begins[tp]), ends[tp]) for tp in tps}


def _selected(
    settings: ConnectionSettings, topic: str, existing: list[int], partition: int | None, start: ScanStart
) -> list[int]:
    if start.mode == "cursor":
        unknown = sorted({p for p, _ in start.cursor} - set(existing))
        if unknown:
            raise KafkaRejected(
                f"The cursor names partition(s) {unknown} that topic '{topic}' does not have "
                f"(it has 0 to {len(existing) - 1}); start a new scan.",
                field="cursor",
            )
        return sorted({p for p, _ in start.cursor})
    if partition is None:
        return existing
    if partition not in existing:
        raise KafkaRejected(
            f"Topic '{topic}' has no partition {partition}; it has partitions 0 to {len(existing) - 1}.",
            field="partition",
        )
    return [partition]


def messages_scan(
    settings: ConnectionSettings,
    topic: str,
    *,
    partition: int | None,
    start: ScanStart,
    keep: Callable[[RawMessage], bool],
    max_results: int,
    max_scanned: int,
    max_seconds: float,
) -> ScanResult:
    """Read `topic` from `start` up to the end offsets it had when the scan began, keeping the
    messages `keep` accepts. Stops after `max_scanned` messages, `max_seconds` or `max_results`
    kept (except `latest`, which keeps the newest `start.count`); the result's cursor says where
    each partition stopped, so a continued scan has no duplicates and no gaps.

    The consumer has no group id and never commits offsets; it is closed before returning."""
    consumer = _open_consumer(settings)
    try:
        existing = _partitions(consumer, settings, topic)
        tps = [TopicPartition(topic, p) for p in _selected(settings, topic, existing, partition, start)]
        begins = consumer.beginning_offsets(tps)
        ends = consumer.end_offsets(tps)
        if start.mode == "cursor":
            for p, wanted in start.cursor:
                end = ends[TopicPartition(topic, p)]
                if wanted > end:
                    raise KafkaRejected(
                        f"The cursor points at offset {wanted} of partition {p}, beyond its end ({end}); "
                        "start a new scan.",
                        field="cursor",
                    )
        starts = _starts(consumer, topic, tps, start, begins, ends)
        next_offsets = {tp: starts[tp] for tp in tps}
        kept: list[RawMessage] = []
        scanned = 0
        reason = "end"
        began = time.perf_counter()
        deadline = time.monotonic() + max_seconds
        active = [tp for tp in tps if next_offsets[tp] < ends[tp]]
        if active:
            consumer.assign(active)
            for tp in active:
                consumer.seek(tp, next_offsets[tp])
        stop_at_results = start.mode != "latest"
        while active:
            if scanned >= max_scanned:
                reason = "scan_limit"
                break
            if stop_at_results and len(kept) >= max_results:
                reason = "result_limit"
                break
            remaining_ms = int((deadline - time.monotonic()) * 1000)
            if remaining_ms <= 0:
                reason = "time_limit"
                break
            batch = consumer.poll(timeout_ms=min(remaining_ms, 500), max_records=min(500, max_scanned - scanned))
            interrupted = False
            for tp, records in batch.items():
                for record in records:
                    if record.offset >= ends[tp]:
                        break  # written after the scan began: the next scan reads it
                    if scanned >= max_scanned or (stop_at_results and len(kept) >= max_results):
                        interrupted = True
                        break
                    scanned += 1
                    next_offsets[tp] = record.offset + 1
                    message = _raw(record)
                    if keep(message):
                        kept.append(message)
                if interrupted:
                    break
            if not interrupted:
                # Control records (transaction markers) move the position without a record.
                for tp in active:
                    position = consumer.position(tp, timeout_ms=1000)
                    if position is not None and position > next_offsets[tp]:
                        next_offsets[tp] = min(int(position), ends[tp])
            finished = [tp for tp in active if next_offsets[tp] >= ends[tp]]
            if finished:
                consumer.pause(*finished)
                active = [tp for tp in active if tp not in finished]
        if start.mode == "latest":
            kept.sort(key=lambda m: (m.timestamp_ms, m.partition, m.offset))
            kept = kept[-start.count :] if start.count else []
        if len(tps) > 1:
            kept.sort(key=lambda m: (m.timestamp_ms, m.partition, m.offset))
        progress = tuple(
            PartitionProgress(partition=tp.partition, start=starts[tp], next=next_offsets[tp], end=ends[tp])
            for tp in tps
        )
        return ScanResult(
            topic=topic,
            messages=tuple(kept),
            scanned=scanned,
            elapsed_ms=elapsed_ms(began),
            stop_reason=reason,
            partitions=progress,
        )
    except GatewayError:
        raise
    except Exception as exc:
        raise translate(exc, settings, f"reading messages of topic '{topic}'") from None
    finally:
        _close_consumer(consumer)


def messages_tail(
    settings: ConnectionSettings,
    topic: str,
    *,
    stop: threading.Event,
    deliver: Callable[[list[RawMessage]], None],
    ready: Callable[[list[int]], None],
) -> None:
    """Follow `topic` from its current end until `stop` is set, handing each batch of new
    messages to `deliver`. `ready` is called with the partitions once the end offsets are
    known (anything produced after that is delivered). Blocking: run it in a thread.
    The consumer has no group, never commits and is closed when the loop ends."""
    consumer = _open_consumer(settings)
    try:
        tps = [TopicPartition(topic, p) for p in _partitions(consumer, settings, topic)]
        ends = consumer.end_offsets(tps)
        consumer.assign(tps)
        for tp in tps:
            consumer.seek(tp, ends[tp])
        ready([tp.partition for tp in tps])
        while not stop.is_set():
            batch = consumer.poll(timeout_ms=300, max_records=500)
            records = [_raw(r) for rs in batch.values() for r in rs]
            if records and not stop.is_set():
                deliver(records)
    except GatewayError:
        raise
    except Exception as exc:
        raise translate(exc, settings, f"following topic '{topic}'") from None
    finally:
        _close_consumer(consumer)


def _topic_partitions(settings: ConnectionSettings, topic: str) -> list[int]:
    with admins.admin(settings, f"looking up topic '{topic}'") as admin:
        described = admin.describe_topics([topic])
    for entry in described:
        if entry.get("name") != topic:
            continue
        if entry.get("error_code", 0) == kafka_errors.UnknownTopicOrPartitionError.errno:
            break
        if entry.get("error_code", 0):
            error = kafka_errors.for_code(int(entry["error_code"]))
            raise translate(error(), settings, f"looking up topic '{topic}'")
        return sorted(int(p["partition_index"]) for p in entry.get("partitions") or [])
    raise KafkaNotFound(f"Topic '{topic}' does not exist in {_where(settings)}; check the name or refresh the list.")


def message_produce(
    settings: ConnectionSettings,
    topic: str,
    *,
    key: bytes | None,
    value: bytes | None,
    headers: tuple[tuple[str, bytes], ...] = (),
    partition: int | None = None,
) -> ProducedRecord:
    """Produce one message and wait for the broker's acknowledgement (acks=all).
    Without `partition` the default partitioner chooses (by key hash when there is a key).
    Raises KafkaRejected(field="partition") for a partition the topic lacks, and
    KafkaRejected when the broker refuses the record, with the broker's reason."""
    partitions = _topic_partitions(settings, topic)
    if partition is not None and partition not in partitions:
        raise KafkaRejected(
            f"Topic '{topic}' has no partition {partition}; choose 0 to {len(partitions) - 1} "
            "or leave it empty to let the partitioner choose.",
            field="partition",
        )
    wait_s = settings.request_timeout_ms / 1000
    try:
        producer = KafkaProducer(
            **client_config(settings),
            acks="all",
            linger_ms=0,
            allow_auto_create_topics=False,
            max_block_ms=settings.request_timeout_ms,
            delivery_timeout_ms=settings.request_timeout_ms * 2,
            bootstrap_timeout_ms=settings.bootstrap_timeout_ms,
        )
    except Exception as exc:
        raise translate(exc, settings, f"connecting to produce to topic '{topic}'") from None
    try:
        future = producer.send(topic, key=key, value=value, headers=list(headers), partition=partition)
        metadata = future.get(timeout=wait_s * 2 + 1)
    except kafka_errors.MessageSizeTooLargeError as exc:
        raise KafkaRejected(
            f"The message is too large for {_where(settings)}: {exc}. Send a smaller value.", field="value"
        ) from None
    except kafka_errors.KafkaTimeoutError:
        raise KafkaTimeout(
            f"{_where(settings)} did not acknowledge the message to topic '{topic}' within {wait_s * 2:g} s; "
            "it may or may not have been written. Browse the topic before retrying."
        ) from None
    except kafka_errors.BrokerResponseError as exc:
        detail = getattr(exc, "description", "") or str(exc)
        raise KafkaRejected(
            f"{_where(settings)} refused the message to topic '{topic}': {type(exc).__name__}: {detail}."
        ) from None
    except Exception as exc:
        raise translate(exc, settings, f"producing to topic '{topic}'") from None
    finally:
        with contextlib.suppress(Exception):
            producer.close(timeout=2)
    log.info("Produced to %s-%s at offset %s on %s", topic, metadata.partition, metadata.offset, settings.name)
    return ProducedRecord(
        topic=topic,
        partition=int(metadata.partition),
        offset=int(metadata.offset),
        timestamp_ms=int(metadata.timestamp if metadata.timestamp is not None else -1),
    )
