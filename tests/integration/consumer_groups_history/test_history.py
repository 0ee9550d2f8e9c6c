"""The offset history against the real Redis of the test stack (no Kafka needed)."""

from __future__ import annotations

import random
from itertools import pairwise

import pytest
import redis
from redis.connection import Connection

from consumer_groups import history
from consumer_groups.lag import CommitPoint, OffsetPoint, lag_seconds

T0 = 1_700_000_000.0


@pytest.fixture
def cluster_id():
    """A cluster id no other test uses; its keys are removed afterwards."""
    cid = random.randint(10**8, 10**9)
    yield cid
    history.history_forget_cluster(cluster_id=cid)


@pytest.fixture
def client(settings) -> redis.Redis:
    return redis.Redis.from_url(settings.REDIS_URL)


def record_ends(cluster_id: int, polls: list[tuple[float, int]], tp: tuple[str, int] = ("orders", 0)):
    stats = []
    for t, offset in polls:
        stats.append(
            history.history_record(
                cluster_id=cluster_id, snapshot_time=t, end_offsets={tp: offset}, commits={}, lags={}
            )
        )
    return stats


def test_points_are_added_when_the_end_offset_moves(cluster_id):
    record_ends(cluster_id, [(T0, 10), (T0 + 5, 20), (T0 + 10, 35)])
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])
    assert got == {("orders", 0): [OffsetPoint(T0, 10), OffsetPoint(T0 + 5, 20), OffsetPoint(T0 + 10, 35)]}


def test_a_flat_stretch_keeps_its_start_and_moves_its_end(cluster_id):
    stats = record_ends(cluster_id, [(T0, 10), (T0 + 5, 20), (T0 + 10, 20), (T0 + 15, 20), (T0 + 20, 20)])
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])[("orders", 0)]
    assert got == [OffsetPoint(T0, 10), OffsetPoint(T0 + 5, 20), OffsetPoint(T0 + 20, 20)]
    assert [s.end_points_extended for s in stats] == [0, 0, 0, 1, 1]


def test_a_flat_stretch_gets_a_point_at_least_every_minute(cluster_id):
    polls = [(T0 + 5 * i, 100) for i in range(31)]  # 150 s without a change
    record_ends(cluster_id, polls)
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])[("orders", 0)]
    gaps = [b.t - a.t for a, b in pairwise(got)]
    assert got[0] == OffsetPoint(T0, 100)
    assert got[-1] == OffsetPoint(T0 + 150, 100)  # the flat stretch ends at the last poll
    assert all(gap <= history.LAG_FLAT_POINT_S for gap in gaps)
    assert len(got) <= 5  # instead of 31


def test_an_older_poll_time_is_skipped(cluster_id):
    stats = record_ends(cluster_id, [(T0, 10), (T0 + 10, 20), (T0 + 5, 15)])
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])[("orders", 0)]
    assert got == [OffsetPoint(T0, 10), OffsetPoint(T0 + 10, 20)]
    assert stats[-1].end_points_skipped == 1


def test_an_end_offset_going_backwards_restarts_the_history(cluster_id):
    stats = record_ends(cluster_id, [(T0, 500), (T0 + 5, 600), (T0 + 10, 700), (T0 + 15, 3)])
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])[("orders", 0)]
    assert got == [OffsetPoint(T0 + 15, 3)]
    assert stats[-1].end_partitions_reset == 1


def test_capping_thins_the_oldest_half_and_keeps_the_span(cluster_id, settings):
    settings.LAG_HISTORY_POINTS = 8
    polls = [(T0 + 5 * i, 100 * i) for i in range(40)]
    stats = record_ends(cluster_id, polls)
    got = history.end_history(cluster_id=cluster_id, partitions=[("orders", 0)])[("orders", 0)]
    assert len(got) <= 8
    assert got[0] == OffsetPoint(T0, 0)  # the oldest point survives every thinning
    assert got[-1] == OffsetPoint(T0 + 195, 3900)
    assert got == sorted(got)
    assert sum(s.end_partitions_thinned for s in stats) >= 1
    # The newest points keep full resolution; the old ones are sparser.
    assert got[-1].t - got[-2].t == 5
    assert got[1].t - got[0].t > 5


def test_end_history_of_unknown_partitions_is_empty(cluster_id):
    assert history.end_history(cluster_id=cluster_id, partitions=[("nothing", 0)]) == {("nothing", 0): []}
    assert history.end_history(cluster_id=cluster_id, partitions=[]) == {}


def test_end_history_since_gives_lag_seconds_the_same_answer(cluster_id):
    rng = random.Random(3)
    offset = 1000
    polls = []
    for i in range(200):
        offset += rng.choice([0, 0, 7, 40, 300])
        polls.append((T0 + 5 * i, offset))
    record_ends(cluster_id, polls)
    tp = ("orders", 0)
    full = history.end_history(cluster_id=cluster_id, partitions=[tp])[tp]
    now, end_now = T0 + 1000, offset + 50
    assert len(full) > 100  # long enough that the backwards read takes several chunks
    candidates = sorted({p.offset + d for p in full for d in (-1, 0, 1)} | {900, end_now - 1, end_now})
    answers = history.end_history_since(cluster_id=cluster_id, committed=dict.fromkeys([tp], 0))
    assert answers[tp] == [full[0]]
    for committed in candidates:
        since = history.end_history_since(cluster_id=cluster_id, committed={tp: committed})[tp]
        assert since == full[len(full) - len(since) :] or since == [full[0]]
        expected = lag_seconds(committed=committed, end_now=end_now, now=now, end_history=full)
        assert lag_seconds(committed=committed, end_now=end_now, now=now, end_history=since) == expected, committed
    # Older than the history: just the oldest point comes back, and the answer is "unknown".
    assert history.end_history_since(cluster_id=cluster_id, committed={tp: 900})[tp] == [full[0]]
    recent = history.end_history_since(cluster_id=cluster_id, committed={tp: offset - 1})[tp]
    assert len(recent) == 2


def test_commit_history_keeps_the_window_plus_two(cluster_id, settings):
    settings.LAG_WINDOW_POLLS = 3
    tp0, tp1 = ("orders", 0), ("payments", 2)
    for i in range(10):
        history.history_record(
            cluster_id=cluster_id,
            snapshot_time=T0 + 5 * i,
            end_offsets={tp0: 100 + 10 * i, tp1: 50},
            commits={"billing": {tp0: 100 + 5 * i, tp1: 40}, "idle": {}},
            lags={"billing": {tp0: 5 * i, tp1: None}},
        )
    got = history.commit_history(cluster_id=cluster_id, group_id="billing")
    assert got[tp0] == [CommitPoint(T0 + 5 * i, 100 + 5 * i, 5 * i) for i in range(5, 10)]
    assert got[tp1] == [CommitPoint(T0 + 5 * i, 40, None) for i in range(5, 10)]
    assert history.commit_history(cluster_id=cluster_id, group_id="billing", partitions=[tp1]) == {tp1: got[tp1]}
    assert history.commit_history(cluster_id=cluster_id, group_id="idle") == {}
    both = history.commit_histories(cluster_id=cluster_id, group_ids=["billing", "nobody"])
    assert both == {"billing": got, "nobody": {}}


def test_group_ids_with_odd_characters_round_trip(cluster_id):
    group = "team a:b\tc/ü*?"
    history.history_record(
        cluster_id=cluster_id,
        snapshot_time=T0,
        end_offsets={("t", 0): 9},
        commits={group: {("t", 0): 4}},
        lags={group: {("t", 0): 5}},
    )
    assert history.commit_history(cluster_id=cluster_id, group_id=group) == {("t", 0): [CommitPoint(T0, 4, 5)]}


def test_keys_get_the_ttl(cluster_id, client, settings):
    settings.LAG_HISTORY_TTL_S = 7200
    for i in range(3):
        history.history_record(
            cluster_id=cluster_id,
            snapshot_time=T0 + 5 * i,
            end_offsets={("orders", 0): 10 * i},
            commits={"g": {("orders", 0): 0}},
            lags={"g": {("orders", 0): 10 * i}},
        )
    prefix = f"signalbox:hist:{cluster_id}:"
    keys = [f"{prefix}end:orders:0", f"{prefix}endtail", f"{prefix}commit:g", f"{prefix}endtail-cursor"]
    for key in keys:
        assert 7000 < client.ttl(key) <= 7200, key


def test_partitions_not_polled_for_a_whole_ttl_are_pruned(cluster_id, client, settings):
    settings.LAG_HISTORY_TTL_S = 3600
    gone, kept = ("deleted-topic", 0), ("orders", 0)
    for i in range(3):
        history.history_record(
            cluster_id=cluster_id,
            snapshot_time=T0 + 5 * i,
            end_offsets={gone: 10 * i, kept: 10 * i},
            commits={},
            lags={},
        )
    stats = history.history_record(
        cluster_id=cluster_id, snapshot_time=T0 + 4000, end_offsets={kept: 99}, commits={}, lags={}
    )
    assert stats.end_partitions_pruned == 1
    assert not client.exists(f"signalbox:hist:{cluster_id}:end:deleted-topic:0")
    assert client.hget(f"signalbox:hist:{cluster_id}:endtail", "deleted-topic:0") is None
    assert history.end_history(cluster_id=cluster_id, partitions=[kept])[kept][-1] == OffsetPoint(T0 + 4000, 99)


def test_forget_group_drops_only_that_group(cluster_id):
    for group in ("a", "b"):
        history.history_record(
            cluster_id=cluster_id,
            snapshot_time=T0,
            end_offsets={("t", 0): 9},
            commits={group: {("t", 0): 4}},
            lags={group: {("t", 0): 5}},
        )
    history.history_forget_group(cluster_id=cluster_id, group_id="a")
    assert history.commit_history(cluster_id=cluster_id, group_id="a") == {}
    assert history.commit_history(cluster_id=cluster_id, group_id="b") == {("t", 0): [CommitPoint(T0, 4, 5)]}
    assert history.end_history(cluster_id=cluster_id, partitions=[("t", 0)])[("t", 0)] == [OffsetPoint(T0, 9)]


def test_forget_cluster_drops_every_key_of_that_cluster_only(cluster_id, client):
    other = cluster_id + 1
    for cid in (cluster_id, other):
        for i in range(3):
            history.history_record(
                cluster_id=cid,
                snapshot_time=T0 + 5 * i,
                end_offsets={("t", 0): 10 * i},
                commits={"g": {("t", 0): 0}},
                lags={"g": {("t", 0): 10 * i}},
            )
    try:
        removed = history.history_forget_cluster(cluster_id=cluster_id)
        assert removed == 4  # record string, tail hash, prune cursor, commit list
        assert list(client.scan_iter(match=f"signalbox:hist:{cluster_id}:*")) == []
        assert len(list(client.scan_iter(match=f"signalbox:hist:{other}:*"))) == 4
    finally:
        history.history_forget_cluster(cluster_id=other)


class _Counting:
    """Counts what redis-py sends over the socket: one send per round trip."""

    def __init__(self, monkeypatch) -> None:
        self.sends = 0
        original = Connection.send_packed_command

        def send(conn, command, check_health=True):
            self.sends += 1
            return original(conn, command, check_health)

        monkeypatch.setattr(Connection, "send_packed_command", send)


def test_one_poll_at_scale_is_one_round_trip(cluster_id, monkeypatch):
    partitions = [(f"topic-{i // 50}", i % 50) for i in range(9000)]  # three script chunks
    groups = {f"group-{g}": {partitions[(g * 7 + k) % 9000]: 5 for k in range(7)} for g in range(900)}
    lags = {g: dict.fromkeys(committed, 3) for g, committed in groups.items()}
    history.commit_history(cluster_id=cluster_id, group_id="warm-up")  # connect before counting
    counting = _Counting(monkeypatch)
    stats = history.history_record(
        cluster_id=cluster_id,
        snapshot_time=T0,
        end_offsets=dict.fromkeys(partitions, 8),
        commits=groups,
        lags=lags,
    )
    assert counting.sends == 1
    assert stats.round_trips == 1
    assert stats.end_points_appended == 9000
    assert stats.commit_points == 900 * 7
    assert stats.groups == 900
    assert stats.commands == 3 + 3  # end-offset chunks + commit chunks
    assert stats.server_commands >= 3 * 900  # RPUSH, LTRIM, EXPIRE per group, plus the hash work
    assert stats.bytes_sent > 9000 * 16
    sends = counting.sends
    got = history.end_history(cluster_id=cluster_id, partitions=partitions)
    assert counting.sends == sends + 1
    assert got[partitions[-1]] == [OffsetPoint(T0, 8)]
    since = history.end_history_since(cluster_id=cluster_id, committed=dict.fromkeys(partitions, 5))
    assert counting.sends == sends + 2
    assert since[partitions[0]] == [OffsetPoint(T0, 8)]
    every = history.commit_histories(cluster_id=cluster_id, group_ids=list(groups))
    assert counting.sends == sends + 3
    assert every["group-0"][partitions[0]] == [CommitPoint(T0, 5, 3)]


def test_an_empty_poll_sends_nothing(cluster_id, monkeypatch):
    history.commit_history(cluster_id=cluster_id, group_id="warm-up")
    counting = _Counting(monkeypatch)
    stats = history.history_record(cluster_id=cluster_id, snapshot_time=T0, end_offsets={}, commits={}, lags={})
    assert counting.sends == 0
    assert stats.round_trips == 0


def test_settings_have_defaults_when_absent(settings):
    for name in ("LAG_WINDOW_POLLS", "LAG_ALLOWED", "LAG_HISTORY_POINTS", "LAG_HISTORY_TTL_S"):
        if hasattr(settings, name):
            delattr(settings, name)
    assert history.lag_settings() == history.LagSettings(
        window_polls=10, allowed_lag=0, history_points=720, history_ttl_s=604_800
    )
    settings.LAG_WINDOW_POLLS = 4
    settings.LAG_ALLOWED = 25
    assert history.lag_settings().window_polls == 4
    assert history.lag_settings().allowed_lag == 25
