"""Metric history: record one poll's values, compact them into blocks, read series for
charts, prune and roll up.

Layout (see monitoring/models.py, blob formats in monitoring/series_codec.py): each poll
appends ONE journal row per shard of 4,096 series ids holding only the values that changed
(NaN meaning "no value"). `series_compact`, run every 30 s by the compact_history task and
never inside a poll, moves each full stretch of BLOCK_TICKS polls (or BLOCK_SECONDS) of
the journal into a block: the tick times, the value of every series at the end, and one
chunk per series that changed inside it. Reading one series is then a handful of indexed
rows plus its shard of the journal. Should the task stop, the recorder compacts one block
inline whenever the journal passes JOURNAL_MAX_TICKS, so the journal stays bounded.
`series_prune` turns raw blocks older than METRICS_RAW_RETENTION_S into hourly blocks of
1-minute averages and drops those older than METRICS_ROLLUP_RETENTION_S.

Recording and compacting one cluster may run at the same time (monitoring/series_compaction.py
says why that is safe). Readers take the journal before the blocks, so a compaction
committing between the two shows its polls twice (the journal copy is dropped), never not
at all.
"""

from __future__ import annotations

import bisect
import itertools
import logging
import math
from array import array
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from django.db import transaction
from django.db.models import Max

from monitoring import series_window
from monitoring.models import Series, SeriesBlock, SeriesChunk, SeriesFrame
from monitoring.series_codec import (
    NAN,
    SHARD_SIZE,
    Point,
    dense_values,
    downsample,
    frame_items,
    frame_lookup,
    mark_gaps,
    minute_average,
    pack_frame,
    pair_lookup,
    unpack_pairs,
    unpack_values,
)
from monitoring.series_compaction import (
    BLOCK_SECONDS,
    BLOCK_TICKS,
    CompactStats,
    PruneStats,
    compact_block,
    series_compact,
    series_compact_pending,
    series_prune,
    take_write_lock,
)

log = logging.getLogger(__name__)

JOURNAL_MAX_TICKS = 4 * BLOCK_TICKS  # past this the recorder compacts a block itself: the task is not running
TOP_CACHE_MAX_S = series_window.WINDOW_MAX_S  # series_top windows up to this long are served from memory
KIND_MAX, KEY_MAX = 64, 255  # the Series columns

__all__ = [
    "BLOCK_SECONDS",
    "BLOCK_TICKS",
    "JOURNAL_MAX_TICKS",
    "CompactStats",
    "Point",
    "PruneStats",
    "RecordStats",
    "SeriesData",
    "series_compact",
    "series_compact_pending",
    "series_latest",
    "series_prune",
    "series_read",
    "series_read_many",
    "series_record",
    "series_top",
]


@dataclass(frozen=True)
class RecordStats:
    values: int  # values given
    changed: int  # values that differed from the previous poll (written)
    new_series: int
    rows_written: int  # journal rows and new series, plus block and chunk rows when this call compacted
    bytes_written: int  # payload bytes of those rows (blobs plus fixed columns)
    compacted: bool  # the journal had passed JOURNAL_MAX_TICKS and this call compacted a block inline
    skipped: bool = False  # `at` was not after the previous poll; nothing written


@dataclass(frozen=True)
class SeriesData:
    points: list[Point]
    resolution: str  # "raw" or "1m"
    unit: str


# ---- the per-cluster state the recorder diffs against -----------------------------------

FrameRow = tuple[int, float, int, bytes]  # id, at, shard, data
BlockRow = tuple[int, float, float, int]  # id, start, end, count


@dataclass
class _State:
    block_id: int | None  # newest block (by end) when the state was last brought up to date
    base_end: float | None  # its end: the journal ticks come after it
    frame_id: int  # newest journal row applied
    series_max: int  # newest Series id known
    ids: dict[tuple[str, str], int] = field(default_factory=dict)
    current: dict[int, float] = field(default_factory=dict)  # values after the newest poll; no NaNs
    ticks: list[float] = field(default_factory=list)  # journal poll times after the block


_states: dict[int, _State] = {}  # per process; validated against the database on every use


def _newest_block(cluster_id: int) -> BlockRow | None:
    return (
        SeriesBlock.objects.filter(cluster_id=cluster_id)
        .order_by("-end")
        .values_list("id", "start", "end", "count")
        .first()
    )


def _journal_rows(cluster_id: int, after_id: int = 0) -> list[FrameRow]:
    rows = SeriesFrame.objects.filter(cluster_id=cluster_id, id__gt=after_id).order_by("at", "id")
    return [(fid, at, shard, bytes(data)) for fid, at, shard, data in rows.values_list("id", "at", "shard", "data")]


def _apply_frames(state: _State, rows: Iterable[FrameRow]) -> None:
    for frame_id, at, shard, data in rows:
        state.frame_id = max(state.frame_id, frame_id)
        if state.base_end is not None and at <= state.base_end:
            continue  # compacted between reading the journal and the newest block: the block has it
        if not state.ticks or state.ticks[-1] != at:
            state.ticks.append(at)
        if shard < 0:
            continue
        for sid, value in frame_items(shard, data):
            if value == value:
                state.current[sid] = value
            else:
                state.current.pop(sid, None)


def _advance(state: _State, newest: BlockRow | None, fresh: list[FrameRow]) -> bool:
    """Check a cached state against the newest block and the journal rows it has not seen;
    False means it must be rebuilt."""
    if (newest[0] if newest else None) != state.block_id:
        if newest is None:
            return False
        block_id, start, end, count = newest
        # A block made of journal polls this state has applied leaves its values as they are.
        if not (0 < count <= len(state.ticks) and state.ticks[0] == start and state.ticks[count - 1] == end):
            return False
        state.block_id, state.base_end, state.ticks = block_id, end, state.ticks[count:]
    last = state.ticks[-1] if state.ticks else state.base_end
    if last is not None and any(at <= last for _, at, _, _ in fresh):
        return False
    # The newest row it applied must still be there: gone means rolled back (or just compacted; rebuilding is safe).
    return not state.ticks or SeriesFrame.objects.filter(pk=state.frame_id, at=state.ticks[-1]).exists()


def _state_for(cluster_id: int) -> _State:
    """The cluster's series ids and newest values: cached, brought up to date from new
    journal rows and blocks compacted from polls it already holds, rebuilt from the
    newest block and the journal when anything else changed (pruning, a rolled-back
    transaction, a compaction of polls it never saw)."""
    state = _states.get(cluster_id)
    if state is not None:
        # Journal before blocks: a compaction committing in between shows its polls in both, never in neither.
        fresh = _journal_rows(cluster_id, state.frame_id)
        if _advance(state, _newest_block(cluster_id), fresh):
            _apply_frames(state, fresh)
        else:
            state = None
    if state is None:
        rows = _journal_rows(cluster_id)
        newest = _newest_block(cluster_id)
        state = _State(
            block_id=newest[0] if newest else None, base_end=newest[2] if newest else None, frame_id=0, series_max=0
        )
        if newest:
            ids, values = unpack_pairs(SeriesBlock.objects.values_list("state", flat=True).get(pk=newest[0]))
            state.current = {sid: v for sid, v in zip(ids, values, strict=True) if v == v}
        _apply_frames(state, rows)
        _states[cluster_id] = state
    series_max = Series.objects.filter(cluster_id=cluster_id).aggregate(m=Max("id"))["m"] or 0
    if series_max != state.series_max:
        rows_ids = Series.objects.filter(cluster_id=cluster_id).values_list("kind", "key", "id")
        state.ids = {(kind, key): sid for kind, key, sid in rows_ids}
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
    changed since the previous poll are written, as journal rows; `series_compact` (the
    compact_history task) moves them into blocks. Only if the journal has grown past
    JOURNAL_MAX_TICKS (the task is not running) does this call compact a block itself."""
    units = units or {}
    try:
        stats, backlog = _record(cluster_id, at, values, units)
    except BaseException:
        _states.pop(cluster_id, None)  # the cache may hold writes that were rolled back
        raise
    if backlog < JOURNAL_MAX_TICKS:
        return stats
    done = _compact_inline(cluster_id, backlog)
    if done is None:
        return stats
    return RecordStats(
        stats.values,
        stats.changed,
        stats.new_series,
        stats.rows_written + done[1],
        stats.bytes_written + done[2],
        compacted=True,
    )


def _record(
    cluster_id: int, at: float, values: Mapping[tuple[str, str], float | None], units: Mapping[str, str]
) -> tuple[RecordStats, int]:
    """Append one poll to the journal; returns its stats and the journal length after it."""
    with transaction.atomic():
        take_write_lock()
        state = _state_for(cluster_id)
        last = state.ticks[-1] if state.ticks else state.base_end
        if last is not None and at <= last:
            log.warning("Series record for cluster %s at %s skipped: not after the previous poll", cluster_id, at)
            return RecordStats(len(values), 0, 0, 0, 0, compacted=False, skipped=True), len(state.ticks)
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
        return RecordStats(len(values), len(changed), len(missing), rows, size, compacted=False), len(state.ticks)


def _compact_inline(cluster_id: int, backlog: int) -> tuple[int, int, int] | None:
    """The fallback when the compaction task is not running: one block, after the poll's own
    rows are stored, so a failure here never costs the poll."""
    try:
        done = compact_block(cluster_id)
    except Exception:  # the poll is stored; the next one tries again
        log.exception("Metric history of cluster %s: inline compaction failed", cluster_id)
        return None
    if done is not None:
        log.warning(
            "Metric history of cluster %s: the journal held %d polls (more than %d), so this poll compacted "
            "%d of them itself; is the compact_history task (celery beat) running?",
            cluster_id,
            backlog,
            JOURNAL_MAX_TICKS,
            done[0],
        )
    return done


# ---- compaction ------------------------------------------------------------------------


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
                values: Sequence[float] | None = dense_values(value, events, len(ticks)) if events else None
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
                values: Sequence[float] = dense_values(value, self.journal.get(sid, []), len(ticks))
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
        tick_rows = list(frames.order_by("at").values_list("at", flat=True).distinct())
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
            initial = {sid: pair_lookup(ids, values, sid) for sid in sids}
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
        shard_offsets: dict[int, list[int]] = {}
        for sid in sorted(wanted):
            shard_offsets.setdefault(sid // SHARD_SIZE, []).append(sid % SHARD_SIZE)
        for at, shard, data in frame_rows:
            if shard < 0 or at <= last_end:
                continue
            if whole_kind:
                for sid, value in frame_items(shard, data):
                    if sid in wanted:
                        journal.setdefault(sid, []).append((index[at], value))
                continue
            # A few wanted series: bisect, never decode the whole shard.
            for offset, value in frame_lookup(data, shard_offsets.get(shard, ())):
                journal.setdefault(shard * SHARD_SIZE + offset, []).append((index[at], value))
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
    """The keys of a kind with the highest AVERAGE since `since` (not the latest value),
    highest first, ties by key, e.g. the busiest topics over the last 15 minutes. The
    average is over the polls from `since` on, known values only (a failed poll or a
    missing key does not count; where the window reaches into 1-minute data, each minute
    counts as one poll); a series that did not change in the window averages to the value
    it held. Windows up to TOP_CACHE_MAX_S come from a per-process copy of the recent
    window of that kind (monitoring/series_window.py), longer ones straight from the
    database; both give the same averages (up to floating-point rounding)."""
    top = series_window.window_top(cluster_id=cluster_id, kind=kind, since=since, limit=limit)
    if top is not None:
        return top
    names = dict(Series.objects.filter(cluster_id=cluster_id, kind=kind).values_list("id", "key"))
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
