"""Packing and downsampling math of the metric history (no database)."""

import math

import pytest

from monitoring.series_codec import (
    dense_values,
    downsample,
    mark_gaps,
    minute_average,
    pack_pairs,
    pack_values,
    unpack_pairs,
    unpack_values,
)


def test_values_round_trip_keeps_nan_and_precision():
    values = [0.0, 1.5, math.nan, 123456789.125, -3.0]
    out = list(unpack_values(pack_values(values)))
    assert out[:2] == [0.0, 1.5]
    assert math.isnan(out[2])
    assert out[3:] == [123456789.125, -3.0]


def test_pairs_round_trip_and_compress_consecutive_ids():
    ids = list(range(1000, 5000))
    blob = pack_pairs(ids, [7.0] * len(ids))
    got_ids, got_values = unpack_pairs(blob)
    assert got_ids == ids
    assert list(got_values) == [7.0] * len(ids)
    assert len(blob) < len(ids)  # id deltas of 1 and a repeated value compress to far below 12 bytes a pair


def test_empty_pairs_blob_is_no_pairs():
    assert unpack_pairs(b"") == ([], unpack_values(pack_values([])))


def test_dense_applies_events_in_order():
    assert dense_values(1.0, [(2, 5.0), (4, 6.0)], 6) == [1.0, 1.0, 5.0, 5.0, 6.0, 6.0]
    assert dense_values(2.0, [], 3) == [2.0, 2.0, 2.0]
    assert dense_values(0.0, [(0, 9.0)], 2) == [9.0, 9.0]


def test_minute_average_ignores_gaps_and_keeps_all_gap_minutes():
    points = [(0.0, 1.0), (20.0, None), (40.0, 3.0), (60.0, None), (65.0, None), (125.0, 10.0)]
    assert minute_average(points) == [(0.0, 2.0), (60.0, None), (120.0, 10.0)]


def test_downsample_averages_per_bucket_and_bounds_the_count():
    points = [(float(t), float(t)) for t in range(100)]
    out = downsample(points, 10)
    assert len(out) == 10
    assert out[0] == (0.0, 4.5)  # mean of 0..9
    assert sum(v for _, v in out) / len(out) == pytest.approx(49.5)


def test_downsample_keeps_short_series_and_all_gap_buckets():
    short = [(0.0, 1.0), (5.0, None)]
    assert downsample(short, 10) == short
    points = [(float(t), None if 40 <= t < 60 else 1.0) for t in range(100)]
    out = downsample(points, 10)
    assert [v for _, v in out] == [1.0] * 4 + [None, None] + [1.0] * 4
    with pytest.raises(ValueError):
        downsample(points, 0)


def test_mark_gaps_breaks_the_line_where_polls_are_missing():
    points = [(0.0, 1.0), (5.0, 1.0), (10.0, 1.0), (60.0, 2.0), (65.0, 2.0)]
    out = mark_gaps(points)
    assert out == [(0.0, 1.0), (5.0, 1.0), (10.0, 1.0), (15.0, None), (60.0, 2.0), (65.0, 2.0)]
    assert mark_gaps(points[:2]) == points[:2]


def test_frame_round_trip_stores_offsets_inside_the_shard():
    from monitoring.series_codec import SHARD_SIZE, frame_items, pack_frame, unpack_frame

    shard = 3
    ids = [shard * SHARD_SIZE + o for o in (0, 5, 4095)]
    blob = pack_frame(shard, ids, [1.0, math.nan, 2.5])
    offsets, values = unpack_frame(blob)
    assert list(offsets) == [0, 5, 4095]
    assert values[0] == 1.0
    items = list(frame_items(shard, blob))
    assert [sid for sid, _ in items] == ids
    assert math.isnan(items[1][1]) and items[2][1] == 2.5
    assert [list(part) for part in unpack_frame(b"")] == [[], []]
