"""Packing of the metric history's blobs and the math its reads share: float64 values
(NaN: no value), sorted id/value pairs, per-shard journal frames, minute averages, gap
marks and downsampling. Pure functions, no database."""

from __future__ import annotations

import bisect
import itertools
import math
import statistics
import sys
import zlib
from array import array
from collections.abc import Iterable, Sequence

NAN = math.nan
SHARD_SIZE = 4096  # series ids per journal row: a one-series read decodes only its shard
GAP_FACTOR = 3.0  # a step this many times the usual one is a gap (polls that never recorded)
_LITTLE = sys.byteorder == "little"

Point = tuple[float, float | None]


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


FRAME_RAW = b"\x01"  # first byte of an uncompressed frame; a zlib stream never starts with it


def pack_frame(shard: int, ids: Sequence[int], values: Sequence[float]) -> bytes:
    """One shard's changed values: FRAME_RAW, the count, the sorted offsets inside the shard
    (uint16) and the values (float64), uncompressed, so a reader finds one series with a
    bisect and an 8-byte read. (Journal rows live minutes; for a long journal, inflating
    every row for one series cost more than the bytes saved.)"""
    offsets = array("H", (sid - shard * SHARD_SIZE for sid in ids))
    if not _LITTLE:
        offsets.byteswap()
    return FRAME_RAW + len(ids).to_bytes(4, "little") + offsets.tobytes() + _floats_to_bytes(values)


def _frame_body(blob: bytes | memoryview) -> memoryview:
    """Count, offsets and values of a frame: uncompressed, or zlib-compressed (rows written
    before FRAME_RAW)."""
    raw = memoryview(blob)
    return raw[1:] if raw[:1] == FRAME_RAW else memoryview(zlib.decompress(raw))


def unpack_frame(blob: bytes | memoryview) -> tuple[array[int], array[float]]:
    if not blob:
        return array("H"), array("d")
    raw = _frame_body(blob)
    n = int.from_bytes(raw[:4], "little")
    offsets = array("H")
    offsets.frombytes(raw[4 : 4 + 2 * n])
    if not _LITTLE:
        offsets.byteswap()
    return offsets, _floats_from_bytes(raw[4 + 2 * n : 4 + 10 * n])


def frame_lookup(blob: bytes | memoryview, offsets: Iterable[int]) -> list[tuple[int, float]]:
    """The (offset, value) pairs of a frame for some offsets inside its shard; offsets the
    frame does not hold are left out. Reads only what it needs from an uncompressed frame."""
    if not blob:
        return []
    raw = memoryview(blob)
    held: Sequence[int]
    values: Sequence[float]
    if raw[:1] != FRAME_RAW or not _LITTLE:
        held, values = unpack_frame(blob)
    else:
        n = int.from_bytes(raw[1:5], "little")
        held = raw[5 : 5 + 2 * n].cast("H")
        values = raw[5 + 2 * n : 5 + 10 * n].cast("d")
    out = []
    for offset in offsets:
        i = bisect.bisect_left(held, offset)
        if i < len(held) and held[i] == offset:
            out.append((offset, values[i]))
    return out


def frame_items(shard: int, blob: bytes | memoryview) -> Iterable[tuple[int, float]]:
    offsets, values = unpack_frame(blob)
    base = shard * SHARD_SIZE
    return zip((base + o for o in offsets), values, strict=True)


def pair_lookup(ids: list[int], values: array[float], sid: int) -> float:
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


def dense_values(start: float, events: Sequence[tuple[int, float]], n: int) -> list[float]:
    """Values at n ticks from a start value and (tick index, new value) events in order."""
    out, value, pos = [], start, 0
    for idx, new in events:
        out.extend([value] * (idx - pos))
        value, pos = new, idx
    out.extend([value] * (n - pos))
    return out
