"""Compaction and pruning of the metric history (see monitoring/series.py for the
layout): the journal of each cluster moves into blocks of BLOCK_TICKS polls, raw blocks
past METRICS_RAW_RETENTION_S become hourly blocks of 1-minute averages, and blocks past
METRICS_ROLLUP_RETENTION_S go.

A compaction, in one transaction, deletes exactly the journal rows it read (all of them,
or it rolls back) and writes the block made of them. The recorder only appends rows for
polls after every tick in the journal, so the two can run at once on one cluster: a poll
is in the journal or in a block, never in both or neither, and two compactions of the
same rows never both commit."""

from __future__ import annotations

import logging
import math
import time
from array import array
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from django.conf import settings
from django.db import connection, transaction
from django.db.models import Count, Max, Min

from monitoring.models import SeriesBlock, SeriesChunk, SeriesFrame
from monitoring.series_codec import (
    NAN,
    SHARD_SIZE,
    dense_values,
    minute_average,
    pack_pairs,
    pack_values,
    pair_lookup,
    unpack_frame,
    unpack_pairs,
    unpack_values,
)

log = logging.getLogger(__name__)

BLOCK_TICKS = 60  # polls per compacted block (5 minutes at the default 5 s interval)
BLOCK_SECONDS = 300.0  # ...or this long, whichever comes first
COMPACT_BUDGET_S = 20.0  # one series_compact call starts no block after this long
# A block waits for this much newer polls (poll time): a series_top window refreshed at least
# that often has seen every poll of it, and takes it from memory instead of reading it.
COMPACT_LAG_S = 60.0
PRUNE_CHUNK_BUDGET = 100_000  # chunk rows one prune call rolls up at most
PRUNE_DELETE_BATCH = 500  # expired blocks one prune call deletes at most


@dataclass(frozen=True)
class CompactStats:
    clusters: int  # clusters that got at least one block
    blocks: int
    ticks: int  # polls moved from the journal into blocks
    rows_written: int  # block and chunk rows
    bytes_written: int  # their payload bytes (blobs plus fixed columns)
    seconds: float
    more: bool  # the budget ran out: full blocks may be left for the next call


@dataclass(frozen=True)
class PruneStats:
    journals_compacted: int
    hours_rolled_up: int
    chunks_rolled_up: int
    raw_blocks_deleted: int
    expired_blocks_deleted: int
    more: bool  # work was left for the next call


def take_write_lock() -> None:
    """SQLite: open the transaction with a write, so a concurrent writer (a poll, a
    compaction) waits for the busy timeout instead of failing at once with "database is
    locked", which SQLite does to a transaction that read before it wrote."""
    if connection.vendor == "sqlite":
        SeriesFrame.objects.filter(pk=-1).update(at=0.0)


class CompactConflict(Exception):
    """Another compactor moved the same journal rows first; this compaction rolled back."""


def series_compact(*, cluster_id: int | None = None) -> CompactStats:
    """Move every full block of polls (BLOCK_TICKS of them, or BLOCK_SECONDS) out of the
    journal of one cluster, or of every cluster that has one, into blocks, oldest first,
    each once COMPACT_LAG_S of newer polls follow it; the newest polls stay in the
    journal. Bounded: starts no block after COMPACT_BUDGET_S but always writes one if it
    can (`more` then says to call again). Safe while the same cluster records (see the
    module docstring); of two compactions of the same polls one commits, the other rolls
    back and skips the cluster."""
    started = time.monotonic()
    clusters = series_compact_pending() if cluster_id is None else [cluster_id]
    done_clusters = blocks = ticks = rows = size = 0
    more = False
    for cid in clusters:
        wrote = False
        while True:
            try:
                done = compact_block(cid)
            except CompactConflict:
                log.info("Compaction of cluster %s skipped: another compaction got there first", cid)
                break
            if done is None:
                break
            wrote = True
            blocks, ticks, rows, size = blocks + 1, ticks + done[0], rows + done[1], size + done[2]
            if time.monotonic() - started >= COMPACT_BUDGET_S:
                more = True
                break
        done_clusters += wrote
        if more:
            break
    return CompactStats(
        clusters=done_clusters,
        blocks=blocks,
        ticks=ticks,
        rows_written=rows,
        bytes_written=size,
        seconds=round(time.monotonic() - started, 3),
        more=more,
    )


def series_compact_pending() -> list[int]:
    """Ids of the clusters whose journal holds at least one full block (series_compact then
    checks COMPACT_LAG_S)."""
    rows = (
        SeriesFrame.objects.values("cluster_id")
        .annotate(first=Min("at"), last=Max("at"), ticks=Count("at", distinct=True))
        .order_by("cluster_id")
    )
    return [
        row["cluster_id"] for row in rows if row["ticks"] >= BLOCK_TICKS or row["last"] - row["first"] >= BLOCK_SECONDS
    ]


def _block_end(ticks: Sequence[float], *, partial: bool) -> float | None:
    """The last tick of the oldest full block in the journal, once COMPACT_LAG_S of newer
    polls follow it; with partial (a cluster that stopped polling), the last tick of the
    journal when it holds no full block."""
    for i, at in enumerate(ticks):
        if i + 1 >= BLOCK_TICKS or at - ticks[0] >= BLOCK_SECONDS:
            return at if partial or ticks[-1] - at >= COMPACT_LAG_S else None
    return ticks[-1] if partial and ticks else None


def compact_block(cluster_id: int, *, partial: bool = False) -> tuple[int, int, int] | None:
    """Move the oldest full block of a cluster's journal (see _block_end) into one block:
    ticks, end state, and a chunk for each series that changed. Returns (polls, rows,
    payload bytes) written, None when there was nothing to compact."""
    with transaction.atomic():
        take_write_lock()
        journal = SeriesFrame.objects.filter(cluster_id=cluster_id)
        end = _block_end(sorted(set(journal.values_list("at", flat=True))), partial=partial)
        if end is None:
            return None
        rows = list(journal.filter(at__lte=end).order_by("at", "id").values_list("at", "shard", "data"))
        if not rows:  # another compactor took them since the ticks were read
            return None
        # Exactly the rows read go: fewer means another compactor took them, and this one rolls back.
        if journal.filter(at__lte=end).delete()[0] != len(rows):
            raise CompactConflict(f"journal rows of cluster {cluster_id} up to {end} were compacted by another worker")
        ticks = sorted({at for at, _, _ in rows})
        prev = (
            SeriesBlock.objects.filter(cluster_id=cluster_id, end__lt=ticks[0])
            .order_by("-end")
            .values_list("state", flat=True)
            .first()
        )
        base: dict[int, float] = {}
        if prev is not None:
            ids, values = unpack_pairs(prev)
            base = {sid: v for sid, v in zip(ids, values, strict=True) if v == v}
        index = {at: i for i, at in enumerate(ticks)}
        events: defaultdict[int, list[tuple[int, float]]] = defaultdict(list)
        for at, shard, data in rows:
            if shard < 0:
                continue
            i = index[at]
            offsets, values = unpack_frame(data)
            first = shard * SHARD_SIZE
            for offset, value in zip(offsets, values, strict=True):
                events[first + offset].append((i, value))
        current = dict(base)
        for sid, evs in events.items():
            value = evs[-1][1]
            if value == value:
                current[sid] = value
            else:
                current.pop(sid, None)
        state_ids = sorted(current)
        n = len(ticks)
        block = SeriesBlock.objects.create(
            cluster_id=cluster_id,
            resolution=SeriesBlock.Resolution.RAW,
            start=ticks[0],
            end=ticks[-1],
            count=n,
            ticks=pack_values(ticks),
            state=pack_pairs(state_ids, [current[s] for s in state_ids]),
        )
        chunks = []
        for sid, evs in events.items():
            # A series that changed at every poll (the common case for rates) needs no filling in.
            dense = [v for _, v in evs] if len(evs) == n else dense_values(base.get(sid, NAN), evs, n)
            chunks.append((block.pk, sid, pack_values(dense)))
        # Up to one row per series (24,000 a block): model instances would cost more than the insert.
        insert = f"INSERT INTO {SeriesChunk._meta.db_table} (block_id, series_id, data) VALUES (%s, %s, %s)"  # noqa: S608 (our table name)
        with connection.cursor() as cursor:
            cursor.executemany(insert, chunks)
    size = len(block.ticks) + len(block.state) + 48 + sum(len(data) + 24 for _, _, data in chunks)
    return n, 1 + len(chunks), size


# ---- pruning ---------------------------------------------------------------------------


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def series_prune(*, now: float | None = None) -> PruneStats:
    """Bounded housekeeping, run periodically: first compact the journals of clusters that
    stopped polling (all of it, the last block may be short), then roll raw blocks older than
    METRICS_RAW_RETENTION_S up into hourly blocks of 1-minute averages, and delete blocks
    older than METRICS_ROLLUP_RETENTION_S. Returns what it did and whether work is left
    (call again)."""
    now = time.time() if now is None else now
    raw_cutoff = now - _setting("METRICS_RAW_RETENTION_S", 86400)
    rollup_cutoff = now - _setting("METRICS_ROLLUP_RETENTION_S", 604800)
    more = False

    stale = (
        SeriesFrame.objects.values("cluster_id")
        .annotate(last=Max("at"))
        .filter(last__lt=now - 2 * BLOCK_SECONDS)
        .order_by("cluster_id")
    )
    journals = 0
    for cluster_id in [row["cluster_id"] for row in stale]:
        try:
            while compact_block(cluster_id, partial=True) is not None:
                pass
        except CompactConflict:
            log.info("Stale journal of cluster %s left alone: another compaction is moving it", cluster_id)
            continue
        journals += 1

    expired = list(
        SeriesBlock.objects.filter(end__lt=rollup_cutoff).values_list("id", flat=True)[: PRUNE_DELETE_BATCH + 1]
    )
    more |= len(expired) > PRUNE_DELETE_BATCH
    expired = expired[:PRUNE_DELETE_BATCH]
    if expired:
        SeriesBlock.objects.filter(id__in=expired).delete()

    hours = chunks_done = raw_deleted = 0
    hour_cutoff = math.floor(raw_cutoff / 3600) * 3600
    while True:
        first = (
            SeriesBlock.objects.filter(resolution=SeriesBlock.Resolution.RAW, start__lt=hour_cutoff)
            .order_by("start")
            .values_list("cluster_id", "start")
            .first()
        )
        if first is None:
            break
        if chunks_done >= PRUNE_CHUNK_BUDGET:
            more = True
            break
        cluster_id, start = first
        hour = math.floor(start / 3600) * 3600
        with transaction.atomic():
            take_write_lock()
            done, deleted = _roll_up_hour(cluster_id, hour)
        hours, chunks_done, raw_deleted = hours + 1, chunks_done + done, raw_deleted + deleted
    return PruneStats(
        journals_compacted=journals,
        hours_rolled_up=hours,
        chunks_rolled_up=chunks_done,
        raw_blocks_deleted=raw_deleted,
        expired_blocks_deleted=len(expired),
        more=more,
    )


def _roll_up_hour(cluster_id: int, hour: float) -> tuple[int, int]:
    """Replace the raw blocks of one cluster that start in one hour with one block of
    1-minute averages. Returns (chunks read, raw blocks deleted)."""
    blocks = list(
        SeriesBlock.objects.filter(
            cluster_id=cluster_id, resolution=SeriesBlock.Resolution.RAW, start__gte=hour, start__lt=hour + 3600
        )
        .order_by("start")
        .values_list("id", "ticks", "state")
    )
    block_ticks = {bid: list(unpack_values(ticks)) for bid, ticks, _ in blocks}
    ticks = [t for bid, _, _ in blocks for t in block_ticks[bid]]
    prev = (
        SeriesBlock.objects.filter(cluster_id=cluster_id, end__lt=ticks[0])
        .order_by("-end")
        .values_list("state", flat=True)
        .first()
    )
    prev_ids, prev_values = unpack_pairs(prev) if prev is not None else ([], array("d"))
    by_series: dict[int, dict[int, array[float]]] = {}
    rows = SeriesChunk.objects.filter(block_id__in=list(block_ticks)).values_list("block_id", "series_id", "data")
    count = 0
    for bid, sid, data in rows.iterator(chunk_size=2000):
        by_series.setdefault(sid, {})[bid] = unpack_values(data)
        count += 1
    minutes = [m for m, _ in minute_average([(t, 0.0) for t in ticks])]
    rolled = SeriesBlock.objects.create(
        cluster_id=cluster_id,
        resolution=SeriesBlock.Resolution.MINUTE,
        start=minutes[0],
        end=minutes[-1],
        count=len(minutes),
        ticks=pack_values(minutes),
        state=blocks[-1][2],
    )
    chunks = []
    for sid, per_block in by_series.items():
        value = pair_lookup(prev_ids, prev_values, sid)
        points: list[tuple[float, float]] = []
        for bid, _, _ in blocks:
            values = per_block.get(bid)
            if values is None:
                values = array("d", [value]) * len(block_ticks[bid])
            points.extend(zip(block_ticks[bid], values, strict=True))
            value = values[-1] if values else value
        averaged = minute_average([(t, v if v == v else None) for t, v in points])
        chunks.append(
            SeriesChunk(block=rolled, series_id=sid, data=pack_values([NAN if v is None else v for _, v in averaged]))
        )
    SeriesChunk.objects.bulk_create(chunks, batch_size=2000)
    SeriesBlock.objects.filter(id__in=list(block_ticks)).delete()
    return count, len(blocks)
