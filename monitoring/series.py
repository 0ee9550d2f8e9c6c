"""Metric history: record one poll's values, read series for charts, prune and roll up.

Layout (see monitoring/models.py): each poll appends ONE journal row per shard of 4,096
series ids holding only the values that changed (a zlib-packed list of id deltas and
float64 values, NaN meaning "no value"). Every BLOCK_TICKS polls (or BLOCK_SECONDS) the
journal is compacted into a block: the tick times, the value of every series at the end,
and one chunk per series that changed inside it. Reading one series is then a handful of
indexed rows. `series_prune` turns raw blocks older than METRICS_RAW_RETENTION_S into
hourly blocks of 1-minute averages and drops those older than METRICS_ROLLUP_RETENTION_S.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
import statistics
import sys
import time
import zlib
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.conf import settings
from django.db import transaction
from django.db.models import Max

from monitoring.models import Series, SeriesBlock, SeriesChunk, SeriesFrame

log = logging.getLogger(__name__)

NAN = math.nan
SHARD_SIZE = 4096  # series ids per journal row: a one-series read decodes only its shard
BLOCK_TICKS = 60  # polls per compacted block (5 minutes at the default 5 s interval)
BLOCK_SECONDS = 300.0  # ...or this long, whichever comes first
GAP_FACTOR = 3.0  # a step this many times the usual one is a gap (polls that never recorded)
PRUNE_CHUNK_BUDGET = 100_000  # chunk rows one prune call rolls up at most
PRUNE_DELETE_BATCH = 500  # expired blocks one prune call deletes at most
KIND_MAX, KEY_MAX = 64, 255  # the Series columns
_LITTLE = sys.byteorder == "little"

Point = tuple[float, float | None]


@dataclass(frozen=True)
class RecordStats:
    values: int  # values given
    changed: int  # values that differed from the previous poll (written)
    new_series: int
    rows_written: int  # journal rows and new series, plus block and chunk rows when this call compacted
    bytes_written: int  # payload bytes of those rows (blobs plus fixed columns)
    compacted: bool
    skipped: bool = False  # `at` was not after the previous poll; nothing written


@dataclass(frozen=True)
class SeriesData:
    points: list[Point]
    resolution: str  # "raw" or "1m"
    unit: str


@dataclass(frozen=True)
class PruneStats:
    journals_compacted: int
    hours_rolled_up: int
    chunks_rolled_up: int
    raw_blocks_deleted: int
    expired_blocks_deleted: int
    more: bool  # work was left for the next call


# ---- packing ---------------------------------------------------------------------------


def _floats_to_bytes(values: Iterable[float]) -> bytes:
    arr = array("d", values)
    if not _LITTLE:
        arr.byteswap()
    return arr.tobytes()


def _floats_from_bytes(raw: bytes | memoryview) -> array[float]:
    arr = array("d")
    arr.frombytes(raw)
    if not _LITTLE:
        arr.byteswap()
    return arr


def pack_values(values: Sequence[float]) -> bytes:
    """Float64 values (NaN: no value), zlib-compressed."""
    return zlib.compress(_floats_to_bytes(values), 1)


def unpack_values(blob: bytes | memoryview) -> array[float]:
    return _floats_from_bytes(zlib.decompress(blob))


def pack_pairs(ids: Sequence[int], values: Sequence[float]) -> bytes:
    """Sorted ids as deltas (mostly 1, so they compress to almost nothing) and their values."""
    deltas = array("Q", (b - a for a, b in zip(itertools.chain((0,), ids), ids, strict=False)))
    if not _LITTLE:
        deltas.byteswap()
    head = len(ids).to_bytes(4, "little")
    return zlib.compress(head + deltas.tobytes() + _floats_to_bytes(values), 1)


def unpack_pairs(blob: bytes | memoryview) -> tuple[list[int], array[float]]:
    if not blob:
        return [], array("d")
    raw = memoryview(zlib.decompress(blob))
    n = int.from_bytes(raw[:4], "little")
    deltas = array("Q")
    deltas.frombytes(raw[4 : 4 + 8 * n])
    if not _LITTLE:
        deltas.byteswap()
    return list(itertools.accumulate(deltas)), _floats_from_bytes(raw[4 + 8 * n :])


def pack_frame(shard: int, ids: Sequence[int], values: Sequence[float]) -> bytes:
    """One shard's changed values: sorted offsets inside the shard (uint16) and values, so a
    reader bisects for one series without decoding the ids of the others."""
    offsets = array("H", (sid - shard * SHARD_SIZE for sid in ids))
    if not _LITTLE:
        offsets.byteswap()
    return zlib.compress(len(ids).to_bytes(4, "little") + offsets.tobytes() + _floats_to_bytes(values), 1)


def unpack_frame(blob: bytes | memoryview) -> tuple[array[int], array[float]]:
    if not blob:
        return array("H"), array("d")
    raw = memoryview(zlib.decompress(blob))
    n = int.from_bytes(raw[:4], "little")
    offsets = array("H")
    offsets.frombytes(raw[4 : 4 + 2 * n])
    if not _LITTLE:
        offsets.byteswap()
    return offsets, _floats_from_bytes(raw[4 + 2 * n :])


def _frame_items(shard: int, blob: bytes | memoryview) -> Iterable[tuple[int, float]]:
    offsets, values = unpack_frame(blob)
    base = shard * SHARD_SIZE
    return zip((base + o for o in offsets), values, strict=True)


def _pair_lookup(ids: list[int], values: array[float], sid: int) -> float:
    i = bisect.bisect_left(ids, sid)
    return values[i] if i < len(ids) and ids[i] == sid else NAN


# ---- downsampling math -----------------------------------------------------------------


def _mean(values: Iterable[float | None]) -> float | None:
    known = [v for v in values if v is not None and v == v]
    return sum(known) / len(known) if known else None


def minute_average(points: Sequence[Point]) -> list[Point]:
    """Average per wall-clock minute (known values only); a minute with none stays None."""
    out: list[Point] = []
    for minute, group in itertools.groupby(points, key=lambda p: math.floor(p[0] / 60) * 60.0):
        out.append((minute, _mean(v for _, v in group)))
    return out


def mark_gaps(points: Sequence[Point]) -> list[Point]:
    """Insert a None where consecutive points are GAP_FACTOR times further apart than usual,
    so a stretch with no polls draws as a break, not as a line across it."""
    if len(points) < 3:
        return list(points)
    step = statistics.median(b[0] - a[0] for a, b in itertools.pairwise(points))
    if step <= 0:
        return list(points)
    out: list[Point] = [points[0]]
    for prev, point in itertools.pairwise(points):
        if point[0] - prev[0] > GAP_FACTOR * step and prev[1] is not None:
            out.append((prev[0] + step, None))
        out.append(point)
    return out


def downsample(points: Sequence[Point], max_points: int) -> list[Point]:
    """At most max_points points: equal-width buckets, each the average of its known
    values (None when it holds only gaps); empty buckets are left out."""
    if max_points < 1:
        raise ValueError("max_points must be at least 1")
    if len(points) <= max_points:
        return list(points)
    first, last = points[0][0], points[-1][0]
    width = (last - first) / max_points or 1.0
    out: list[Point] = []
    for index, group in itertools.groupby(points, key=lambda p: min(int((p[0] - first) / width), max_points - 1)):
        out.append((first + index * width, _mean(v for _, v in group)))
    return out


# ---- the per-cluster state the recorder diffs against -----------------------------------


@dataclass
class _State:
    block_id: int | None  # newest block (by end) the base came from
    base_end: float | None
    frame_id: int  # newest journal row applied
    series_max: int  # newest Series id known
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    base: dict[int, float] = field(default_factory=dict)  # values at the end of the newest block
    current: dict[int, float] = field(default_factory=dict)  # values after the newest poll; no NaNs
    ticks: list[float] = field(default_factory=list)  # journal poll times since the block


_states: dict[int, _State] = {}  # per process; validated against the database on every use


def _newest_block(cluster_id: int) -> tuple[int, float] | None:
    row = SeriesBlock.objects.filter(cluster_id=cluster_id).order_by("-end").values_list("id", "end").first()
    return (row[0], row[1]) if row else None


def _apply_frames(state: _State, rows: Iterable[tuple[int, float, int, bytes | memoryview]]) -> None:
    for frame_id, at, shard, data in rows:
        if not state.ticks or state.ticks[-1] != at:
            state.ticks.append(at)
        state.frame_id = max(state.frame_id, frame_id)
        if shard < 0:
            continue
        for sid, value in _frame_items(shard, data):
            if value == value:
                state.current[sid] = value
            else:
                state.current.pop(sid, None)


def _state_for(cluster_id: int) -> _State:
    """The cluster's series ids and newest values: cached, brought up to date from new
    journal rows, rebuilt when the newest block changed (another process compacted or
    pruned) or rows it had seen are gone (a rolled-back transaction)."""
    newest = _newest_block(cluster_id)
    newest_frame = SeriesFrame.objects.filter(cluster_id=cluster_id).aggregate(m=Max("id"))["m"] or 0
    state = _states.get(cluster_id)
    if (
        state is None
        or state.block_id != (newest[0] if newest else None)
        or newest_frame < (state.frame_id if state.ticks else 0)
    ):
        state = _State(
            block_id=newest[0] if newest else None, base_end=newest[1] if newest else None, frame_id=0, series_max=0
        )
        if newest:
            blob = SeriesBlock.objects.values_list("state", flat=True).get(pk=newest[0])
            ids, values = unpack_pairs(blob)
            state.base = {sid: v for sid, v in zip(ids, values, strict=True) if v == v}
        state.current = dict(state.base)
        _states[cluster_id] = state
    if newest_frame > state.frame_id:
        frames = SeriesFrame.objects.filter(cluster_id=cluster_id, id__gt=state.frame_id).order_by("at", "id")
        _apply_frames(state, frames.values_list("id", "at", "shard", "data"))
    series_max = Series.objects.filter(cluster_id=cluster_id).aggregate(m=Max("id"))["m"] or 0
    if series_max != state.series_max:
        rows = Series.objects.filter(cluster_id=cluster_id).values_list("kind", "key", "id")
        state.ids = {(kind, key): sid for kind, key, sid in rows}
        state.series_max = series_max
    return state


# ---- writing ---------------------------------------------------------------------------


def series_record(
    *,
    cluster_id: int,
    at: float,
    values: Mapping[tuple[str, str], float | None],
    units: Mapping[str, str] | None = None,
) -> RecordStats:
    """Store one poll of a cluster: `values` maps (kind, key) to the value (None: unknown).
    A series left out of `values` has no value at this poll; call with the values you
    have (even none) when a poll fails, so the failure shows as a gap. Only values that
    changed since the previous poll are written; every BLOCK_TICKS polls the journal is
    compacted into per-series chunks."""
    units = units or {}
    try:
        return _record(cluster_id, at, values, units)
    except BaseException:
        _states.pop(cluster_id, None)  # the cache may hold writes that were rolled back
        raise


def _record(
    cluster_id: int, at: float, values: Mapping[tuple[str, str], float | None], units: Mapping[str, str]
) -> RecordStats:
    with transaction.atomic():
        state = _state_for(cluster_id)
        last = state.ticks[-1] if state.ticks else state.base_end
        if last is not None and at <= last:
            log.warning("Series record for cluster %s at %s skipped: not after the previous poll", cluster_id, at)
            return RecordStats(len(values), 0, 0, 0, 0, compacted=False, skipped=True)
        too_long = [k for k in values if len(k[1]) > KEY_MAX or len(k[0]) > KIND_MAX]
        if too_long:  # a name the columns cannot hold would fail the whole poll
            log.warning("Series record for cluster %s: %d names too long, skipped", cluster_id, len(too_long))
            values = {k: v for k, v in values.items() if len(k[1]) <= KEY_MAX and len(k[0]) <= KIND_MAX}
        missing = [k for k in values if k not in state.ids]
        if missing:
            created = Series.objects.bulk_create(
                [Series(cluster_id=cluster_id, kind=kind, key=key, unit=units.get(kind, "")) for kind, key in missing],
                batch_size=1000,
            )
            for obj in created:
                state.ids[(obj.kind, obj.key)] = obj.pk
            state.series_max = max(state.series_max, *(obj.pk for obj in created))
        new: dict[int, float] = {}
        for name, value in values.items():
            new[state.ids[name]] = NAN if value is None else float(value)
        changed: dict[int, float] = {}
        for sid, value in new.items():
            old = state.current.get(sid, NAN)
            if old != value and (old == old or value == value):
                changed[sid] = value
        for sid in state.current:
            if sid not in new:
                changed[sid] = NAN
        shards: dict[int, list[int]] = {}
        for sid in sorted(changed):
            shards.setdefault(sid // SHARD_SIZE, []).append(sid)
        frames = [
            SeriesFrame(
                cluster_id=cluster_id, at=at, shard=shard, data=pack_frame(shard, sids, [changed[s] for s in sids])
            )
            for shard, sids in shards.items()
        ] or [SeriesFrame(cluster_id=cluster_id, at=at, shard=-1, data=b"")]
        SeriesFrame.objects.bulk_create(frames)
        for sid, value in changed.items():
            if value == value:
                state.current[sid] = value
            else:
                state.current.pop(sid, None)
        state.ticks.append(at)
        state.frame_id = max([state.frame_id, *(f.pk for f in frames if f.pk is not None)])
        # Fixed columns counted as 24 bytes a journal row (id, cluster, at, shard), 300 a new series.
        rows = len(frames) + len(missing)
        size = sum(len(f.data) + 24 for f in frames) + 300 * len(missing)
        compacted = len(state.ticks) >= BLOCK_TICKS or at - state.ticks[0] >= BLOCK_SECONDS
        if compacted:
            block_rows, block_bytes = _compact(cluster_id, state)
            rows, size = rows + block_rows, size + block_bytes
    return RecordStats(len(values), len(changed), len(missing), rows, size, compacted=compacted)


def _compact(cluster_id: int, state: _State) -> tuple[int, int]:
    """Move the journal into one block (ticks, end state, chunks of the series that
    changed). Returns rows and payload bytes written."""
    rows = list(
        SeriesFrame.objects.filter(cluster_id=cluster_id).order_by("at", "id").values_list("at", "shard", "data")
    )
    if not rows:
        return 0, 0
    ticks = sorted({at for at, _, _ in rows})
    index = {at: i for i, at in enumerate(ticks)}
    events: dict[int, list[tuple[int, float]]] = {}
    current = dict(state.base)
    for at, shard, data in rows:
        if shard < 0:
            continue
        for sid, value in _frame_items(shard, data):
            events.setdefault(sid, []).append((index[at], value))
            if value == value:
                current[sid] = value
            else:
                current.pop(sid, None)
    state_ids = sorted(current)
    block = SeriesBlock.objects.create(
        cluster_id=cluster_id,
        resolution=SeriesBlock.Resolution.RAW,
        start=ticks[0],
        end=ticks[-1],
        count=len(ticks),
        ticks=pack_values(ticks),
        state=pack_pairs(state_ids, [current[s] for s in state_ids]),
    )
    chunks = [
        SeriesChunk(block=block, series_id=sid, data=pack_values(_dense(state.base.get(sid, NAN), evs, len(ticks))))
        for sid, evs in events.items()
    ]
    SeriesChunk.objects.bulk_create(chunks, batch_size=2000)
    SeriesFrame.objects.filter(cluster_id=cluster_id, at__lte=ticks[-1]).delete()
    state.block_id, state.base_end, state.base, state.current, state.ticks = (
        block.pk,
        ticks[-1],
        current,
        dict(current),
        [],
    )
    size = len(block.ticks) + len(block.state) + 48 + sum(len(c.data) + 24 for c in chunks)
    return 1 + len(chunks), size


def _dense(start: float, events: Sequence[tuple[int, float]], n: int) -> list[float]:
    """Values at n ticks from a start value and (tick index, new value) events in order."""
    out, value, pos = [], start, 0
    for idx, new in events:
        out.extend([value] * (idx - pos))
        value, pos = new, idx
    out.extend([value] * (n - pos))
    return out


# ---- reading ---------------------------------------------------------------------------


@dataclass
class _Timeline:
    """Ticks of a window in order, grouped in segments (a block or the journal), and what
    each wanted series did in them."""

    segments: list[tuple[str, list[float], int | None]]  # (resolution, ticks, block id or None)
    initial: dict[int, float]  # value before the first segment
    chunks: dict[tuple[int, int], array[float]]  # (block id, series id) -> values at its ticks
    journal: dict[int, list[tuple[int, float]]]  # series id -> (tick index, value) in the journal

    def mean_since(self, sid: int, since: float) -> float | None:
        """Average of the known values at ticks from `since` on."""
        total, count, value = 0.0, 0, self.initial.get(sid, NAN)
        for _, ticks, block_id in self.segments:
            first = bisect.bisect_left(ticks, since)
            if block_id is None:
                events = self.journal.get(sid)
                values: Sequence[float] | None = _dense(value, events, len(ticks)) if events else None
            else:
                values = self.chunks.get((block_id, sid))
            if values is None:
                if value == value:
                    total, count = total + value * (len(ticks) - first), count + len(ticks) - first
                continue
            tail = values[first:]
            subtotal = sum(tail)  # C speed; NaN in it means gaps, then count the known ones
            if subtotal == subtotal:
                total, count = total + subtotal, count + len(tail)
            else:
                for v in tail:
                    if v == v:
                        total, count = total + v, count + 1
            if values:
                value = values[-1]
        return total / count if count else None

    def means_since(self, sids: Iterable[int], since: float) -> dict[int, float]:
        """mean_since for many series; one that did not move in the window is its value before it."""
        moved = set(self.journal) | {sid for _, sid in self.chunks}
        window = any(ticks and ticks[-1] >= since for _, ticks, _ in self.segments)
        out: dict[int, float] = {}
        for sid in sids:
            mean = self.mean_since(sid, since) if sid in moved else self.initial.get(sid, NAN) if window else NAN
            if mean is not None and mean == mean:
                out[sid] = mean
        return out

    def points(self, sid: int) -> list[tuple[str, float, float]]:
        out: list[tuple[str, float, float]] = []
        value = self.initial.get(sid, NAN)
        for resolution, ticks, block_id in self.segments:
            if block_id is None:
                values: Sequence[float] = _dense(value, self.journal.get(sid, []), len(ticks))
            else:
                chunk = self.chunks.get((block_id, sid))
                values = chunk if chunk is not None else [value] * len(ticks)
            out.extend(zip(itertools.repeat(resolution), ticks, values, strict=False))
            if values:
                value = values[-1]
        return out


def _timeline(
    *, cluster_id: int, sids: list[int], whole_kind: str = "", since: float, until: float | None
) -> _Timeline:
    """Load a window for some series, or (whole_kind) for all the series of one kind."""
    # Journal first, blocks second: a compaction in between then shows up as ticks in both,
    # and the journal copies are dropped below, instead of vanishing from both.
    frames = SeriesFrame.objects.filter(cluster_id=cluster_id).order_by("at", "id")
    if not whole_kind:
        shards = {sid // SHARD_SIZE for sid in sids} | {-1}
        tick_rows = list(frames.values_list("at", flat=True))
        frame_rows = list(frames.filter(shard__in=shards).values_list("at", "shard", "data"))
    else:
        frame_rows = list(frames.values_list("at", "shard", "data"))
        tick_rows = [at for at, _, _ in frame_rows]
    blocks_q = SeriesBlock.objects.filter(cluster_id=cluster_id, end__gte=since)
    if until is not None:
        blocks_q = blocks_q.filter(start__lte=until)
    blocks = list(blocks_q.order_by("start").values_list("id", "resolution", "ticks", "end"))
    segments: list[tuple[str, list[float], int | None]] = [
        (resolution, list(unpack_values(ticks)), bid) for bid, resolution, ticks, _ in blocks
    ]
    prev = (
        SeriesBlock.objects.filter(cluster_id=cluster_id, end__lt=since)
        .order_by("-end")
        .values_list("state", flat=True)
    )
    initial: dict[int, float] = {}
    prev_state = prev.first()
    if prev_state is not None:
        ids, values = unpack_pairs(prev_state)
        if whole_kind:
            initial = dict(zip(ids, values, strict=True))
        else:
            initial = {sid: _pair_lookup(ids, values, sid) for sid in sids}
    chunks_q = SeriesChunk.objects.filter(block_id__in=[b[0] for b in blocks])
    if whole_kind:
        chunks_q = chunks_q.filter(series__cluster_id=cluster_id, series__kind=whole_kind)
    else:
        chunks_q = chunks_q.filter(series_id__in=sids)
    chunks = {
        (bid, sid): unpack_values(data) for bid, sid, data in chunks_q.values_list("block_id", "series_id", "data")
    }
    last_end = blocks[-1][3] if blocks else -math.inf
    journal_ticks = sorted({at for at in tick_rows if at > last_end})
    journal: dict[int, list[tuple[int, float]]] = {}
    if journal_ticks and (until is None or until >= journal_ticks[0]):
        index = {at: i for i, at in enumerate(journal_ticks)}
        wanted = set(sids)
        for at, shard, data in frame_rows:
            if shard < 0 or at <= last_end:
                continue
            if whole_kind:
                for sid, value in _frame_items(shard, data):
                    if sid in wanted:
                        journal.setdefault(sid, []).append((index[at], value))
                continue
            offsets, values = unpack_frame(data)
            for sid in sids:  # a few wanted series: bisect, never walk the whole shard
                offset = sid - shard * SHARD_SIZE
                i = bisect.bisect_left(offsets, offset)
                if 0 <= offset < SHARD_SIZE and i < len(offsets) and offsets[i] == offset:
                    journal.setdefault(sid, []).append((index[at], values[i]))
        segments.append((SeriesBlock.Resolution.RAW, journal_ticks, None))
    return _Timeline(segments=segments, initial=initial, chunks=chunks, journal=journal)


def _shape(
    points: list[tuple[str, float, float]], since: float, until: float | None, max_points: int
) -> tuple[list[Point], str]:
    window = [(r, t, v) for r, t, v in points if t >= since and (until is None or t <= until)]
    resolution = SeriesBlock.Resolution.RAW
    if any(r == SeriesBlock.Resolution.MINUTE for r, _, _ in window):
        resolution = SeriesBlock.Resolution.MINUTE
    clean: list[Point] = [(t, v if v == v else None) for _, t, v in window]
    if resolution == SeriesBlock.Resolution.MINUTE:
        clean = minute_average(clean)  # raw stretches not yet rolled up join the 1-minute data
    return mark_gaps(downsample(mark_gaps(clean), max_points)), str(resolution)


def series_read_many(
    *, cluster_id: int, kind: str, keys: Sequence[str], since: float, until: float | None = None, max_points: int = 1000
) -> dict[str, SeriesData]:
    """Several series of one kind over [since, until] (until None: now), each downsampled to
    at most max_points by averaging per bucket. Raw data while it is kept
    (METRICS_RAW_RETENTION_S), 1-minute averages beyond; gaps are None. Keys never recorded
    come back with no points."""
    rows = Series.objects.filter(cluster_id=cluster_id, kind=kind, key__in=list(keys)).values_list("key", "id", "unit")
    found = {key: (sid, unit) for key, sid, unit in rows}
    out = {key: SeriesData(points=[], resolution=str(SeriesBlock.Resolution.RAW), unit="") for key in keys}
    if not found:
        return out
    line = _timeline(cluster_id=cluster_id, sids=[sid for sid, _ in found.values()], since=since, until=until)
    for key, (sid, unit) in found.items():
        points, resolution = _shape(line.points(sid), since, until, max_points)
        out[key] = SeriesData(points=points, resolution=resolution, unit=unit)
    return out


def series_read(
    *, cluster_id: int, kind: str, key: str, since: float, until: float | None = None, max_points: int = 1000
) -> SeriesData:
    """One series over [since, until]; see series_read_many."""
    return series_read_many(
        cluster_id=cluster_id, kind=kind, keys=[key], since=since, until=until, max_points=max_points
    )[key]


def series_top(*, cluster_id: int, kind: str, since: float, limit: int = 10) -> list[tuple[str, float]]:
    """The keys of a kind with the highest average since `since` (known values only),
    highest first, e.g. the busiest topics over the last 5 minutes."""
    names = dict(Series.objects.filter(cluster_id=cluster_id, kind=kind).values_list("id", "key"))
    # Only blocks that reach into the window are read: "top over the last minutes" stays cheap.
    line = _timeline(cluster_id=cluster_id, sids=list(names), whole_kind=kind, since=since, until=None)
    averages = [(names[sid], mean) for sid, mean in line.means_since(names, since).items()]
    averages.sort(key=lambda kv: (-kv[1], kv[0]))
    return averages[:limit]


def series_latest(*, cluster_id: int, kind: str) -> dict[str, float]:
    """The value each key of a kind had at the newest poll; keys without one (a failed poll,
    a vanished topic) are left out."""
    with transaction.atomic():
        state = _state_for(cluster_id)
        return {key: state.current[sid] for (k, key), sid in state.ids.items() if k == kind and sid in state.current}


# ---- pruning ---------------------------------------------------------------------------


def _setting(name: str, default: float) -> float:
    return float(getattr(settings, name, default))


def series_prune(*, now: float | None = None) -> PruneStats:
    """Bounded housekeeping, run periodically: compact journals of clusters that stopped
    polling, roll raw blocks older than METRICS_RAW_RETENTION_S up into hourly blocks of
    1-minute averages, and delete blocks older than METRICS_ROLLUP_RETENTION_S. Returns
    what it did and whether work is left (call again)."""
    now = time.time() if now is None else now
    raw_cutoff = now - _setting("METRICS_RAW_RETENTION_S", 86400)
    rollup_cutoff = now - _setting("METRICS_ROLLUP_RETENTION_S", 604800)
    more = False

    expired = list(
        SeriesBlock.objects.filter(end__lt=rollup_cutoff).values_list("id", flat=True)[: PRUNE_DELETE_BATCH + 1]
    )
    more |= len(expired) > PRUNE_DELETE_BATCH
    expired = expired[:PRUNE_DELETE_BATCH]
    if expired:
        SeriesBlock.objects.filter(id__in=expired).delete()
        for state in _states.values():  # a deleted newest block means a rebuild on next use
            if state.block_id in expired:
                state.block_id = -1

    stale = SeriesFrame.objects.values("cluster_id").annotate(last=Max("at")).filter(last__lt=now - 2 * BLOCK_SECONDS)
    journals = 0
    for row in stale:
        with transaction.atomic():
            _compact(row["cluster_id"], _state_for(row["cluster_id"]))
        journals += 1

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
        value = _pair_lookup(prev_ids, prev_values, sid)
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
