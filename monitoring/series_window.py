"""The recent window of one kind of series (e.g. every topic's messages/s over the last 15
minutes) kept in memory per process, so `series_top` ranks 10,000 topics by walking the
series that moved instead of decoding every chunk and journal row on each call.

Blocks never change once written and the journal only grows until a block takes its
oldest polls, so a window is brought up to date from the journal rows newer than the last
it read and the blocks newer than the last it holds; a block made of polls the window
already holds is cut out of its copy of the journal, not read. Anything it cannot account
for (a rolled-up or deleted block, a poll older than its newest) makes it read the window
again from the database. The averages are the database scan's (_Timeline.means_since in
monitoring/series.py), summed per run of whole blocks, so equal up to rounding.
"""

from __future__ import annotations

import bisect
import heapq
import math
import threading
import time
from array import array
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from django.db.models import Max

from monitoring.models import Series, SeriesBlock, SeriesChunk, SeriesFrame
from monitoring.series_codec import NAN, SHARD_SIZE, unpack_frame, unpack_pairs, unpack_values

WINDOW_MAX_S = 3600.0  # longest window served (memory: 8 bytes per moving series per poll held)
WINDOW_KEEP_S = 600.0  # a window length asked for within this long keeps its polls held
WINDOWS_MAX = 16  # (cluster, kind) windows per process; the least recently used goes


@dataclass
class _Segment:
    """A block (block_id) or the journal (None): its poll times, and the value at each of
    them for the series that changed inside it."""

    block_id: int | None
    ticks: list[float] = field(default_factory=list)
    moved: dict[int, array[float]] = field(default_factory=dict)
    totals: dict[int, tuple[float, int]] | None = None  # a block's, per moved series: (sum, count) of known values

    def block_totals(self) -> dict[int, tuple[float, int]]:
        """Sum and count of the known values of each moved series (a block never changes)."""
        if self.totals is None:
            self.totals = {sid: _known_total(values) for sid, values in self.moved.items()}
        return self.totals


@dataclass
class _Window:
    cluster_id: int
    kind: str
    names: dict[int, str] = field(default_factory=dict)  # the kind's series id -> key
    series_max: int = 0  # newest series id of the cluster (any kind) when names were read
    floor: float = -math.inf  # polls up to here are not held: `before` sums them up
    before: dict[int, float] = field(default_factory=dict)  # values just before the first segment (known only)
    blocks: list[_Segment] = field(default_factory=list)
    journal: _Segment = field(default_factory=lambda: _Segment(None))
    journal_before: dict[int, float] = field(default_factory=dict)  # moved series: value before the journal
    current: dict[int, float] = field(default_factory=dict)  # values after the newest poll (known only)
    frame_id: int = 0  # newest journal row read
    asked: dict[int, float] = field(default_factory=dict)  # window lengths asked for (s) -> when (monotonic)
    # Totals over runs of whole blocks, by (first, last block id): sid -> (total, count, last value).
    runs: dict[tuple[int, int], dict[int, tuple[float, int, float]]] = field(default_factory=dict)

    def newest(self) -> float:
        if self.journal.ticks:
            return self.journal.ticks[-1]
        return self.blocks[-1].ticks[-1] if self.blocks else self.floor


_windows: OrderedDict[tuple[int, str], _Window] = OrderedDict()
_lock = threading.Lock()  # one refresh at a time: web servers may run views in threads


def window_top(*, cluster_id: int, kind: str, since: float, limit: int) -> list[tuple[str, float]] | None:
    """The `limit` keys of a kind with the highest average since `since` (see series_top),
    from the cached window; None when the window is longer than WINDOW_MAX_S (read the
    database instead)."""
    found = _window_means(cluster_id, kind, since)
    if found is None:
        return None
    means, names = found
    if 0 < limit < len(means):  # rank the floats first; names only to order ties at the cut
        cut = heapq.nlargest(limit, means.values())[-1]
        means = {sid: mean for sid, mean in means.items() if mean >= cut}
    ranked = sorted(((names[sid], mean) for sid, mean in means.items()), key=lambda kv: (-kv[1], kv[0]))
    return ranked[:limit]


def _window_means(cluster_id: int, kind: str, since: float) -> tuple[dict[int, float], dict[int, str]] | None:
    with _lock:
        key = (cluster_id, kind)
        window = _windows.get(key)
        if window is None or since <= window.floor or not _refresh(window):
            newest = _newest_tick(cluster_id)
            if newest is None:
                return {}, {}
            if newest - since > WINDOW_MAX_S:
                return None
            asked = window.asked if window is not None else {}
            longest = max([newest - since, *_recent(asked)])
            window = _build(cluster_id, kind, min(since, newest - longest))
            window.asked = asked
        elif window.newest() - since > WINDOW_MAX_S:
            return None
        _windows[key] = window
        _windows.move_to_end(key)
        while len(_windows) > WINDOWS_MAX:
            _windows.popitem(last=False)
        window.asked[round(window.newest() - since)] = time.monotonic()
        means = _means(window, since)
        _evict(window)
        return means, window.names


def _recent(asked: dict[int, float]) -> list[float]:
    now = time.monotonic()
    for length in [length for length, when in asked.items() if now - when > WINDOW_KEEP_S]:
        del asked[length]
    return [float(length) for length in asked]


def _newest_tick(cluster_id: int) -> float | None:
    frame = SeriesFrame.objects.filter(cluster_id=cluster_id).aggregate(m=Max("at"))["m"]
    block = SeriesBlock.objects.filter(cluster_id=cluster_id).aggregate(m=Max("end"))["m"]
    known = [t for t in (frame, block) if t is not None]
    return max(known) if known else None


# ---- loading and bringing up to date ----------------------------------------------------


def _read_names(window: _Window) -> None:
    """The kind's series ids and keys, read again when the cluster has a newer series."""
    series_max = Series.objects.filter(cluster_id=window.cluster_id).aggregate(m=Max("id"))["m"] or 0
    if series_max != window.series_max:
        series = Series.objects.filter(cluster_id=window.cluster_id, kind=window.kind)
        window.names = dict(series.values_list("id", "key"))
        window.series_max = series_max


def _frames(cluster_id: int, after_id: int) -> list[tuple[int, float, int, bytes]]:
    rows = SeriesFrame.objects.filter(cluster_id=cluster_id, id__gt=after_id).order_by("at", "id")
    return [(fid, at, shard, bytes(data)) for fid, at, shard, data in rows.values_list("id", "at", "shard", "data")]


def _load_blocks(window: _Window, rows: list[tuple[int, bytes]]) -> list[_Segment]:
    """Segments for blocks (id, ticks blob), with the chunks of the window's kind."""
    segments = {bid: _Segment(bid, list(unpack_values(ticks))) for bid, ticks in rows}
    chunks = SeriesChunk.objects.filter(
        block_id__in=list(segments), series__cluster_id=window.cluster_id, series__kind=window.kind
    )
    for bid, sid, data in chunks.values_list("block_id", "series_id", "data"):
        segments[bid].moved[sid] = unpack_values(data)
    return list(segments.values())


def _build(cluster_id: int, kind: str, since: float) -> _Window:
    """Read the window from `since` on from the database."""
    window = _Window(cluster_id, kind)
    # Journal before blocks: a compaction committing in between shows its polls in both, never in neither.
    frames = _frames(cluster_id, 0)
    blocks = SeriesBlock.objects.filter(cluster_id=cluster_id)
    rows = list(blocks.filter(end__gte=since).order_by("start").values_list("id", "ticks"))
    prev = blocks.filter(end__lt=since).order_by("-end").values_list("end", "state").first()
    _read_names(window)
    if prev is not None:
        window.floor = prev[0]
        ids, values = unpack_pairs(prev[1])
        names = window.names
        window.before = {sid: v for sid, v in zip(ids, values, strict=True) if v == v and sid in names}
    window.blocks = _load_blocks(window, [(bid, bytes(ticks)) for bid, ticks in rows])
    window.current = _walk(window.before, window.blocks)
    _append_frames(window, frames)
    return window


def _refresh(window: _Window) -> bool:
    """Bring a cached window up to date; False when it has to be read again."""
    # Journal before blocks: a compaction committing in between shows its polls in both, never in neither.
    frames = _frames(window.cluster_id, window.frame_id)
    blocks = SeriesBlock.objects.filter(cluster_id=window.cluster_id)
    if window.floor > -math.inf:
        blocks = blocks.filter(end__gt=window.floor)
    listed = list(blocks.order_by("start").values_list("id", "start", "end", "count"))
    held = [segment.block_id for segment in window.blocks]
    if [row[0] for row in listed[: len(held)]] != held:
        return False  # a held block was rolled up or deleted
    # Series ids only grow: names are read again only for rows holding a newer one.
    if any(
        shard >= 0 and _newest_offset(data) + shard * SHARD_SIZE > window.series_max for _, _, shard, data in frames
    ):
        _read_names(window)
    if not _append_frames(window, frames):
        return False
    for block_id, start, end, count in listed[len(held) :]:
        journal = window.journal
        if not (0 < count <= len(journal.ticks) and journal.ticks[0] == start and journal.ticks[count - 1] == end):
            return _reload_tail(window)  # the block took polls this window never saw
        _split_journal(window, block_id, count)
    return True


def _reload_tail(window: _Window) -> bool:
    """Keep the blocks held, read the newer ones and the journal again."""
    frames = _frames(window.cluster_id, 0)  # journal before blocks, as in _build
    last = window.blocks[-1].ticks[-1] if window.blocks else window.floor
    newer = SeriesBlock.objects.filter(cluster_id=window.cluster_id, end__gt=last).order_by("start")
    window.blocks.extend(_load_blocks(window, [(bid, bytes(ticks)) for bid, ticks in newer.values_list("id", "ticks")]))
    window.journal, window.journal_before, window.frame_id = _Segment(None), {}, 0
    window.current = _walk(window.before, window.blocks)
    return _append_frames(window, frames)


def _newest_offset(data: bytes) -> int:
    offsets, _ = unpack_frame(data)
    return offsets[-1] if offsets else -1


def _append_frames(window: _Window, rows: Iterable[tuple[int, float, int, bytes]]) -> bool:
    """Add journal rows (in order of time) as polls; False when one is older than the newest."""
    last = window.blocks[-1].ticks[-1] if window.blocks else window.floor
    tick: float | None = None
    changes: list[tuple[int, float]] = []
    names = window.names
    for frame_id, at, shard, data in rows:
        window.frame_id = max(window.frame_id, frame_id)
        if at <= last:
            continue  # compacted between reading the journal and the blocks: a block has it
        if at != tick:
            if tick is not None:
                _append_tick(window, tick, changes)
            elif window.journal.ticks and at <= window.journal.ticks[-1]:
                return False
            tick, changes = at, []
        if shard >= 0:
            offsets, values = unpack_frame(data)
            first = shard * SHARD_SIZE
            changes.extend((first + o, v) for o, v in zip(offsets, values, strict=True) if first + o in names)
    if tick is not None:
        _append_tick(window, tick, changes)
    return True


def _append_tick(window: _Window, at: float, changes: list[tuple[int, float]]) -> None:
    journal = window.journal
    i = len(journal.ticks)
    journal.ticks.append(at)
    for held_values in journal.moved.values():
        held_values.append(held_values[-1])
    for sid, value in changes:
        values = journal.moved.get(sid)
        if values is None:
            held = window.current.get(sid, NAN)
            window.journal_before[sid] = held
            journal.moved[sid] = array("d", [held]) * i
            journal.moved[sid].append(value)
        else:
            values[i] = value
        if value == value:
            window.current[sid] = value
        else:
            window.current.pop(sid, None)


def _split_journal(window: _Window, block_id: int, count: int) -> None:
    """The block made of the journal's first `count` polls, cut out of the journal."""
    journal = window.journal
    block = _Segment(block_id, journal.ticks[:count])
    rest = _Segment(None, journal.ticks[count:])
    rest_before: dict[int, float] = {}
    for sid, values in journal.moved.items():
        head, tail = values[:count], values[count:]
        # Held like the database holds them: a series is in a block only if it changed there.
        if _changes(head, window.journal_before[sid]):
            block.moved[sid] = head
        if tail and _changes(tail, head[-1]):
            rest.moved[sid] = tail
            rest_before[sid] = head[-1]
    window.blocks.append(block)
    window.journal, window.journal_before = rest, rest_before


def _changes(values: array[float], before: float) -> bool:
    """Whether the values differ from the one held before them (NaN equal to NaN)."""
    if before == before:
        return values.count(before) != len(values)
    return any(v == v for v in values)


def _walk(values: dict[int, float], segments: Iterable[_Segment]) -> dict[int, float]:
    """The known values after some segments, from those before them."""
    out = dict(values)
    for segment in segments:
        for sid, held in segment.moved.items():
            last = held[-1]
            if last == last:
                out[sid] = last
            else:
                out.pop(sid, None)
    return out


def _evict(window: _Window) -> None:
    """Drop the blocks that no window length asked for lately reaches."""
    keep_from = window.newest() - max(_recent(window.asked), default=0.0)
    while window.blocks and window.blocks[0].ticks[-1] < keep_from:
        oldest = window.blocks.pop(0)
        window.before = _walk(window.before, [oldest])
        window.floor = oldest.ticks[-1]


# ---- the averages ----------------------------------------------------------------------


def _means(window: _Window, since: float) -> dict[int, float]:
    """Average since `since` of each series of the kind (the same sums as
    _Timeline.means_since in monitoring/series.py, grouped per run of whole blocks, so
    equal up to rounding): the first polls of the window may cut a segment, then come
    whole blocks (totalled once per run) and the journal."""
    segments = [*window.blocks, window.journal] if window.journal.ticks else list(window.blocks)
    skipped = [s for s in segments if s.ticks[-1] < since]
    used = segments[len(skipped) :]
    if not used:
        return {}
    before = _walk(window.before, skipped) if skipped else window.before
    first = bisect.bisect_left(used[0].ticks, since)
    head = used.pop(0) if first or used[0].block_id is None else None
    journal = used.pop() if used and used[-1].block_id is None else None
    run = _run_totals(window, used, lambda: _walk(before, [head]) if head else before)
    run_ticks = sum(len(block.ticks) for block in used)
    moved = set(run)
    for segment in (head, journal):
        if segment is not None:
            moved.update(segment.moved)
    out = {sid: value for sid, value in before.items() if sid not in moved}
    head_moved = head.moved if head is not None else {}
    head_ticks = len(head.ticks) - first if head is not None else 0
    journal_moved = journal.moved if journal is not None else {}
    journal_ticks = len(journal.ticks) if journal is not None else 0
    for sid in moved:  # _add inlined: this loop runs once per series that moved, 10,000 for busy topics
        total, count, value = 0.0, 0, before.get(sid, NAN)
        for values, n, cut, totals in (
            (head_moved.get(sid), head_ticks, first, None),
            (None, run_ticks, 0, run.get(sid)),
            (journal_moved.get(sid), journal_ticks, 0, None),
        ):
            if totals is not None:
                total, count, value = total + totals[0], count + totals[1], totals[2]
            elif values is None:
                if value == value:
                    total, count = total + value * n, count + n
            else:
                tail = values[cut:] if cut else values
                subtotal = sum(tail)
                if subtotal == subtotal:
                    total, count = total + subtotal, count + len(tail)
                else:
                    total, count = _add_known(tail, total, count)
                value = values[-1]
        if count:
            mean = total / count
            if mean == mean:
                out[sid] = mean
    return out


def _known_total(values: array[float]) -> tuple[float, int]:
    subtotal = sum(values)  # C speed; NaN in it means gaps, then count the known ones
    return (subtotal, len(values)) if subtotal == subtotal else _add_known(values, 0.0, 0)


def _add_known(values: Iterable[float], total: float, count: int) -> tuple[float, int]:
    """Total and count with the known (not NaN) values added."""
    for v in values:
        if v == v:
            total, count = total + v, count + 1
    return total, count


def _add(segment: _Segment, sid: int, first: int, total: float, count: int, value: float) -> tuple[float, int, float]:
    """One segment's part of a series' total from poll `first` on: (total, count, last value)."""
    values = segment.moved.get(sid)
    if values is None:
        n = len(segment.ticks) - first
        return (total + value * n, count + n, value) if value == value else (total, count, value)
    tail = values[first:] if first else values
    subtotal = sum(tail)  # C speed; NaN in it means gaps, then count the known ones
    if subtotal == subtotal:
        return total + subtotal, count + len(tail), values[-1]
    total, count = _add_known(tail, total, count)
    return total, count, values[-1]


def _run_totals(
    window: _Window, blocks: list[_Segment], values_before: Callable[[], dict[int, float]]
) -> dict[int, tuple[float, int, float]]:
    """Per series that moved in a run of whole blocks: (total, count, last value) over it."""
    if not blocks:
        return {}
    key = (blocks[0].block_id or 0, blocks[-1].block_id or 0)
    totals = window.runs.get(key)
    if totals is None:
        moved: set[int] = set()
        for block in blocks:
            moved.update(block.moved)
        totals = {}
        before = values_before()
        parts = [(block.block_totals(), block.moved, len(block.ticks)) for block in blocks]
        for sid in moved:
            total, count, value = 0.0, 0, before.get(sid, NAN)
            for block_totals, block_moved, n in parts:
                known = block_totals.get(sid)
                if known is None:
                    if value == value:
                        total, count = total + value * n, count + n
                else:
                    total, count, value = total + known[0], count + known[1], block_moved[sid][-1]
            totals[sid] = (total, count, value)
        held = {segment.block_id for segment in window.blocks}
        window.runs = {k: v for k, v in window.runs.items() if k[0] in held and k[1] in held}  # drop evicted runs
        window.runs[key] = totals
    return totals
