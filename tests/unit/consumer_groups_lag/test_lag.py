"""Lag in seconds and the Burrow-style lag status, on hand-made histories (pure, no network)."""

from __future__ import annotations

import pytest

from consumer_groups.lag import (
    LAG_SECONDS_METHOD,
    LAG_STATUS_RULES,
    CommitPoint,
    GroupLagStatus,
    LagStatus,
    OffsetPoint,
    PartitionLagStatus,
    group_status,
    lag_seconds,
    partition_status,
)


def ends(*pairs: tuple[float, int]) -> list[OffsetPoint]:
    return [OffsetPoint(t, offset) for t, offset in pairs]


# -- lag_seconds --------------------------------------------------------------------------------


def test_no_lag_is_zero_seconds_even_without_history():
    assert lag_seconds(committed=500, end_now=500, now=1000.0, end_history=[]) == 0.0


def test_commit_ahead_of_end_after_a_reset_is_zero():
    history = ends((100, 900), (110, 1000))
    assert lag_seconds(committed=1200, end_now=1000, now=120.0, end_history=history) == 0.0


def test_interpolates_linearly_between_the_bracketing_points():
    # The end offset went 0 -> 100 between t=100 and t=110: it passed 25 at t=102.5.
    history = ends((90, 0), (100, 0), (110, 100), (120, 300))
    assert lag_seconds(committed=25, end_now=300, now=130.0, end_history=history) == pytest.approx(27.5)


def test_commit_equal_to_a_stored_point_uses_that_point_time():
    history = ends((100, 0), (110, 100), (120, 200))
    assert lag_seconds(committed=100, end_now=200, now=130.0, end_history=history) == pytest.approx(20.0)


def test_flat_period_uses_the_later_time():
    # The end stayed at 50 from t=100 to t=160: the first unconsumed message came after 160.
    history = ends((100, 50), (130, 50), (160, 50), (165, 80))
    assert lag_seconds(committed=50, end_now=80, now=170.0, end_history=history) == pytest.approx(10.0)


def test_flat_period_at_the_end_of_the_history():
    history = ends((100, 0), (110, 50), (170, 50))
    assert lag_seconds(committed=50, end_now=60, now=175.0, end_history=history) == pytest.approx(5.0)


def test_commit_between_the_newest_point_and_the_live_end_offset():
    # Bracketed by the last stored point (110, 100) and the live (now=120, end 200).
    history = ends((100, 0), (110, 100))
    assert lag_seconds(committed=150, end_now=200, now=120.0, end_history=history) == pytest.approx(5.0)


def test_commit_older_than_the_history_is_unknown():
    history = ends((100, 50), (110, 100))
    assert lag_seconds(committed=40, end_now=100, now=120.0, end_history=history) is None


def test_no_history_with_lag_is_unknown():
    assert lag_seconds(committed=10, end_now=20, now=120.0, end_history=[]) is None


def test_never_negative_when_the_clock_is_behind_the_history():
    history = ends((100, 0), (200, 100))
    assert lag_seconds(committed=50, end_now=100, now=120.0, end_history=history) == 0.0


def test_history_that_went_backwards_is_read_after_its_last_reset():
    # Topic recreated at t=120: only the points after it describe this log.
    history = ends((100, 1000), (110, 2000), (120, 5), (130, 10))
    assert lag_seconds(committed=7, end_now=10, now=130.0, end_history=history) == pytest.approx(6.0)


def test_method_text_is_one_plain_paragraph():
    assert "\n" not in LAG_SECONDS_METHOD
    assert "interpolat" in LAG_SECONDS_METHOD
    assert "unknown" in LAG_SECONDS_METHOD


# -- partition status -----------------------------------------------------------------------------


def window(*points: tuple[int, int | None], start: float = 1000.0, step: float = 5.0) -> list[CommitPoint]:
    """(committed, lag) per poll, 5 s apart."""
    return [CommitPoint(start + i * step, committed, lag) for i, (committed, lag) in enumerate(points)]


def test_one_point_is_unknown():
    result = partition_status(points=window((10, 5)), window=10)
    assert result.status is LagStatus.UNKNOWN
    assert "need 2" in result.reason


def test_unknown_end_offset_at_the_last_poll_is_unknown():
    result = partition_status(points=window((10, 5), (12, None)), window=10)
    assert result.status is LagStatus.UNKNOWN


def test_commit_going_backwards_is_rewind_even_with_zero_lag():
    result = partition_status(points=window((100, 0), (120, 0), (90, 30), (95, 25)), window=10)
    assert result.status is LagStatus.REWIND
    assert result.reason == "Committed offset went back from 120 to 90 over the last 4 polls (15 s)."


def test_zero_lag_anywhere_in_the_window_is_ok():
    result = partition_status(points=window((10, 0), (10, 40), (10, 80), (10, 120)), window=10, has_members=True)
    assert result.status is LagStatus.OK


def test_lag_within_allowed_lag_is_ok():
    points = window((10, 40), (20, 60), (30, 80))
    assert partition_status(points=points, window=10, allowed_lag=50).status is LagStatus.OK
    assert partition_status(points=points, window=10, allowed_lag=0).status is LagStatus.WARN


def test_stuck_commit_with_members_is_stall():
    result = partition_status(points=window((10, 5), (10, 5), (10, 5)), window=10, has_members=True)
    assert result.status is LagStatus.STALL
    assert "stuck at 10" in result.reason


def test_stuck_commit_with_growing_lag_and_members_is_stall():
    result = partition_status(points=window((10, 5), (10, 50), (10, 90)), window=10, has_members=True)
    assert result.status is LagStatus.STALL


def test_stuck_commit_growing_lag_without_members_is_stop():
    result = partition_status(points=window((10, 5), (10, 50), (10, 90)), window=10, has_members=False)
    assert result.status is LagStatus.STOP
    assert result.reason == (
        "Group has no active members; committed offset stuck at 10 over the last 3 polls (10 s); lag grew from 5 to 90."
    )


def test_stuck_commit_growing_lag_with_unknown_members_is_stop():
    result = partition_status(points=window((10, 5), (10, 50), (10, 90)), window=10, has_members=None)
    assert result.status is LagStatus.STOP


def test_stuck_commit_steady_lag_with_unknown_members_is_stall():
    result = partition_status(points=window((10, 5), (10, 5), (10, 5)), window=10, has_members=None)
    assert result.status is LagStatus.STALL


def test_stuck_commit_steady_lag_without_members_is_stop():
    result = partition_status(points=window((10, 5), (10, 5), (10, 5)), window=10, has_members=False)
    assert result.status is LagStatus.STOP


def test_moving_commits_with_ever_growing_lag_is_warn():
    points = window(*[(100 + 10 * i, 120 + 40 * i) for i in range(10)])
    result = partition_status(points=points, window=10, has_members=True)
    assert result.status is LagStatus.WARN
    assert result.reason == "Lag grew from 120 to 480 over the last 10 polls (45 s) while commits moved."


def test_warn_allows_equal_steps_but_needs_overall_growth():
    grew = window((10, 10), (20, 20), (30, 20), (40, 30))
    flat = window((10, 10), (20, 10), (30, 10))
    assert partition_status(points=grew, window=10).status is LagStatus.WARN
    assert partition_status(points=flat, window=10).status is LagStatus.OK


def test_lag_that_shrinks_once_is_ok():
    result = partition_status(points=window((10, 10), (20, 30), (30, 20), (40, 40)), window=10)
    assert result.status is LagStatus.OK


def test_only_the_last_window_points_count():
    # A rewind and a zero lag long ago, then a stuck commit with growing lag.
    old = [(50, 0), (40, 10)]
    recent = [(60, 100 + i) for i in range(5)]
    points = window(*old, *recent)
    assert partition_status(points=points, window=5, has_members=False).status is LagStatus.STOP
    assert partition_status(points=points, window=7, has_members=False).status is LagStatus.REWIND


def test_unknown_lag_in_the_middle_is_skipped():
    result = partition_status(points=window((10, 10), (20, None), (30, 20), (40, 30)), window=10)
    assert result.status is LagStatus.WARN
    assert "from 10 to 30" in result.reason


def test_rules_text_names_every_status_in_order():
    positions = [LAG_STATUS_RULES.index(f"{name}:") for name in ("UNKNOWN", "REWIND", "OK", "STALL", "STOP", "WARN")]
    assert positions == sorted(positions)
    assert "Burrow" in LAG_STATUS_RULES


# -- group status -----------------------------------------------------------------------------------


def status(value: LagStatus, reason: str = "why") -> PartitionLagStatus:
    return PartitionLagStatus(value, reason)


def test_group_without_partitions_is_unknown():
    summary = group_status({})
    assert summary.status is GroupLagStatus.UNKNOWN
    assert summary.worst is None


def test_group_of_ok_partitions_is_ok_and_counts_every_status():
    summary = group_status({("t", 0): status(LagStatus.OK), ("t", 1): status(LagStatus.UNKNOWN)})
    assert summary.status is GroupLagStatus.OK
    assert summary.counts == {
        LagStatus.OK: 1,
        LagStatus.WARN: 0,
        LagStatus.STOP: 0,
        LagStatus.STALL: 0,
        LagStatus.REWIND: 0,
        LagStatus.UNKNOWN: 1,
    }
    assert summary.reason == "All 1 judged partitions OK (1 not judged yet)."


def test_group_with_a_warn_partition_is_warn_and_names_it():
    summary = group_status(
        {("t", 0): status(LagStatus.OK), ("t", 3): status(LagStatus.WARN, "Lag grew from 1 to 9 while commits moved.")}
    )
    assert summary.status is GroupLagStatus.WARN
    assert summary.worst == ("t", 3)
    assert summary.reason == "1 of 2 partitions falling behind; t-3: Lag grew from 1 to 9 while commits moved."


@pytest.mark.parametrize("bad", [LagStatus.STOP, LagStatus.STALL, LagStatus.REWIND])
def test_any_stop_stall_or_rewind_makes_the_group_err(bad):
    summary = group_status(
        {("a", 0): status(LagStatus.WARN), ("b", 1): status(bad, "stuck."), ("a", 2): status(LagStatus.OK)}
    )
    assert summary.status is GroupLagStatus.ERR
    assert summary.worst == ("b", 1)
    assert summary.reason == "1 of 3 partitions in error; b-1: stuck."
    assert summary.counts[bad] == 1


def test_group_with_only_unknown_partitions_is_unknown():
    summary = group_status({("t", 0): status(LagStatus.UNKNOWN, "Only 1 poll recorded so far; need 2.")})
    assert summary.status is GroupLagStatus.UNKNOWN
    assert "need 2" in summary.reason


def test_group_status_values_match_the_stored_group_status():
    assert {s.value for s in GroupLagStatus} == {"OK", "WARN", "ERR", "UNKNOWN"}
