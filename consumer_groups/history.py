"""Offset history per cluster in Redis: what lag in seconds and the lag status are computed from.

Keys, all under `signalbox:hist:<cluster_id>:`:

- `end:<topic>:<partition>` — a string of fixed-width 16-byte records `<dq` (time in
  float seconds, log end offset), oldest first: the settled points of the partition.
- `endtail` — a hash, field `<topic>:<partition>`, holding the newest settled record and
  the newest point (32 bytes). Every poll reads and rewrites this hash in chunks of 1,000
  partitions, so a poll costs a per-partition command only when a point settles.
- `commit:<group_id>` — a list, one element per poll: the poll time and every (topic,
  partition, committed offset, lag) of the group, trimmed to the status window + 2 polls.

End-offset points (LAG_FLAT_POINT_S = 60 s): a poll adds a point when the end offset
changed, or when the flat stretch's previous point is 60 s old or more; otherwise it moves
the newest point of the flat stretch to this poll. A flat period thus costs about one point
a minute and still ends at the exact last poll that saw that offset, which is what the
interpolation of lag in seconds needs. When a partition passes LAG_HISTORY_POINTS points,
the oldest half is thinned to every other point (the oldest point is always kept): the span
covered keeps growing while resolution fades with age, so lag in seconds stays known for
groups far behind, at a coarser precision, instead of turning "unknown" after a fixed time.
An end offset lower than the last point (topic deleted and recreated) restarts the
partition's history: the old points describe another log, and dropping them keeps every
history non-decreasing, which end_history_since relies on.

Expiry (LAG_HISTORY_TTL_S, default 7 days, at least 1 hour): the hash and the commit lists
get the TTL on every write; a record string when it is created or thinned and again each
time its settled points cross a TTL/4 boundary (about four refreshes per TTL, spread over
partitions, instead of one EXPIRE per appended point). A poll also walks 200 fields of the
hash and drops fields (and record strings) whose newest point is older than the TTL, so a
deleted partition does not stay in the hash while its cluster is still polled.

One poll writes everything in ONE pipeline round trip: the end offsets go to a Lua script
(deciding between a new point and a moved one needs the stored tail, and a script reads it
without a second round trip), the commit lists to a second script (RPUSH/LTRIM/EXPIRE per
group). Both run in chunks of a few thousand partitions or hundreds of groups, so Redis
serves other clients (the channel layer) between chunks. The scripts build key names from
their arguments: fine on one Redis, not on Redis Cluster.
"""

from __future__ import annotations

import struct
import time
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import redis
from django.conf import settings

from consumer_groups.lag import CommitPoint, OffsetPoint, TopicPartitionKey

LAG_FLAT_POINT_S = 60.0  # a flat end offset still gets a new record this often
_RECORD = struct.Struct("<dq")  # time (s), end offset
_MGET_CHUNK = 1000  # keys per MGET: few commands, small replies
_SCAN_CHUNK = 1000

_CHUNK = 4000  # partitions (or groups / 10) per script call: Redis serves other clients in between

# KEYS[1]: tail hash; KEYS[2]: its prune cursor. ARGV[1]: one 16-byte record per partition;
# ARGV[2]: the partitions' hash fields ('<topic>:<partition>'), newline-separated, same order;
# ARGV[3]: flat interval (s); ARGV[4]: cap (points); ARGV[5]: TTL (s); ARGV[6]: poll time;
# ARGV[7]: record key prefix (+ field = the partition's record string); ARGV[8]: '1' to prune.
# Partitions travel as one string, not as KEYS: that halves the script's fixed cost.
# A record string's TTL is set when it is created or thinned, and refreshed when its settled
# points cross a refresh slot (TTL/4, phase spread by partition), not on every append.
# Returns {appended, extended, thinned, skipped, pruned, reset, redis commands run}.
_WRITE_SCRIPT = """
local tail_key, cursor_key = KEYS[1], KEYS[2]
local records, flat, cap = ARGV[1], tonumber(ARGV[3]), tonumber(ARGV[4])
local ttl, t_new, prefix = tonumber(ARGV[5]), tonumber(ARGV[6]), ARGV[7]
local slot = ttl / 4
local appended, extended, thinned, skipped, pruned, reset, calls = 0, 0, 0, 0, 0, 0, 0
local function call(...)
  calls = calls + 1
  return redis.call(...)
end
local i = 0
local fields = {}
local function flush()
  if #fields == 0 then return end
  local states = call('HMGET', tail_key, unpack(fields))
  local updates = {}
  local base = i - #fields
  for j = 1, #fields do
    local pos = (base + j) * 16 - 15
    local state = states[j]
    local value
    if not state then
      value = string.sub(records, pos, pos + 15)
      appended = appended + 1
    else
      local size = #state
      local t_last, offset_last = struct.unpack('<di8', state, size - 15)
      local offset = struct.unpack('<i8', records, pos + 8)
      if t_new <= t_last then
        skipped = skipped + 1
      elseif offset < offset_last then
        call('DEL', prefix .. fields[j])
        value = string.sub(records, pos, pos + 15)
        reset = reset + 1
      elseif size == 32 and offset_last == offset and struct.unpack('<i8', state, 9) == offset
          and t_new - struct.unpack('<d', state) < flat then
        value = string.sub(state, 1, 16) .. string.sub(records, pos, pos + 15)
        extended = extended + 1
      else
        local last = string.sub(state, -16)
        local key = prefix .. fields[j]
        local length = call('APPEND', key, last)
        local refresh = length == 16
        if length > (cap - 1) * 16 then
          local blob = call('GET', key)
          local old = math.floor(length / 32)
          local parts = {}
          for r = 0, old - 1, 2 do parts[#parts + 1] = string.sub(blob, r * 16 + 1, r * 16 + 16) end
          parts[#parts + 1] = string.sub(blob, old * 16 + 1)
          call('SET', key, table.concat(parts))
          thinned = thinned + 1
          refresh = true
        elseif size == 32 then
          local phase = ((tonumber(string.match(fields[j], '%d+$')) or 0) * 7919 + #fields[j] * 131) % 64 * slot / 64
          refresh = math.floor((t_last + phase) / slot) ~= math.floor((struct.unpack('<d', state) + phase) / slot)
        end
        if refresh then call('EXPIRE', key, ttl) end
        value = last .. string.sub(records, pos, pos + 15)
        appended = appended + 1
      end
    end
    if value then
      updates[#updates + 1] = fields[j]
      updates[#updates + 1] = value
    end
  end
  if #updates > 0 then call('HSET', tail_key, unpack(updates)) end
  fields = {}
end
for field in string.gmatch(ARGV[2], '[^\\n]+') do
  i = i + 1
  fields[#fields + 1] = field
  if #fields == 1000 then flush() end
end
flush()
call('EXPIRE', tail_key, ttl)
if ARGV[8] == '1' then
  local cursor = call('GET', cursor_key) or '0'
  local scan = call('HSCAN', tail_key, cursor, 'COUNT', 200)
  call('SET', cursor_key, scan[1], 'EX', ttl)
  local entries = scan[2]
  for k = 1, #entries, 2 do
    if t_new - struct.unpack('<d', entries[k + 1], #entries[k + 1] - 15) > ttl then
      call('HDEL', tail_key, entries[k])
      call('DEL', prefix .. entries[k])
      pruned = pruned + 1
    end
  end
end
return {appended, extended, thinned, skipped, pruned, reset, calls}
"""

# ARGV[1]: commit list key prefix; ARGV[2]: points kept; ARGV[3]: TTL (s); then pairs of
# (group id, element). Returns the number of redis commands run.
_COMMIT_SCRIPT = """
local prefix, keep, ttl = ARGV[1], -tonumber(ARGV[2]), ARGV[3]
for k = 4, #ARGV, 2 do
  local key = prefix .. ARGV[k]
  redis.call('RPUSH', key, ARGV[k + 1])
  redis.call('LTRIM', key, keep, -1)
  redis.call('EXPIRE', key, ttl)
end
return (#ARGV - 3) / 2 * 3
"""

# KEYS[1]: tail hash. ARGV[1]: record key prefix; ARGV[2]: hash fields, newline-separated;
# ARGV[3]: the committed offset per partition, 8-byte little-endian, same order. Returns per
# partition the points from the newest one at or below the committed offset to the newest,
# reading the record string backwards in chunks of 8, 64, 512... records; when even the oldest
# point is past the committed offset, only that oldest point (lag_seconds says "unknown" then).
_SINCE_SCRIPT = """
local tail_key, prefix, offsets = KEYS[1], ARGV[1], ARGV[3]
local function offset_at(s, pos) return struct.unpack('<i8', s, pos + 8) end
-- The points from the newest one at or below `committed` on; only the oldest point if none is.
local function since(key, state, committed)
  local tail = {}
  local skip = 0  -- bytes at the end of the record string that are already in `tail`
  if state then
    tail[1] = string.sub(state, -16)
    if offset_at(tail[1], 1) <= committed or #state == 16 then return tail[1] end
    -- the newest settled point, which is also the record string's last record
    table.insert(tail, 1, string.sub(state, 1, 16))
    if offset_at(state, 1) <= committed then return table.concat(tail) end
    skip = 16
  end
  local size = 128  -- most groups are near the head: read 8 records first, then 8 times more
  local checked = false
  while true do
    -- negative range from the end: no STRLEN; a start before the beginning is clamped to 0
    local chunk = redis.call('GETRANGE', key, -(skip + size), -(skip + 1))
    for r = #chunk / 16, 1, -1 do
      if offset_at(chunk, (r - 1) * 16 + 1) <= committed then
        table.insert(tail, 1, string.sub(chunk, (r - 1) * 16 + 1))
        return table.concat(tail)
      end
    end
    if #chunk > 0 then table.insert(tail, 1, chunk) end
    if #chunk < size then return string.sub(tail[1] or '', 1, 16) end
    skip = skip + size
    if not checked then
      -- a commit older than every point: only the oldest point matters (lag is unknown)
      checked = true
      local oldest = redis.call('GETRANGE', key, 0, 15)
      if #oldest == 16 and offset_at(oldest, 1) > committed then return oldest end
    end
    size = size * 8
  end
end
local out = {}
local i = 0
local fields = {}
local function flush()
  if #fields == 0 then return end
  local states = redis.call('HMGET', tail_key, unpack(fields))
  local base = i - #fields
  for j = 1, #fields do
    local committed = struct.unpack('<i8', offsets, (base + j) * 8 - 7)
    out[base + j] = since(prefix .. fields[j], states[j], committed)
  end
  fields = {}
end
for field in string.gmatch(ARGV[2], '[^\\n]+') do
  i = i + 1
  fields[#fields + 1] = field
  if #fields == 1000 then flush() end
end
flush()
return out
"""


@dataclass(frozen=True)
class LagSettings:
    """The lag settings, with their defaults when controlplane/settings.py does not set them."""

    window_polls: int = 10
    allowed_lag: int = 0
    history_points: int = 720
    history_ttl_s: int = 604_800


def lag_settings() -> LagSettings:
    """LAG_WINDOW_POLLS, LAG_ALLOWED, LAG_HISTORY_POINTS and LAG_HISTORY_TTL_S from Django settings."""
    default = LagSettings()
    return LagSettings(
        window_polls=max(2, int(getattr(settings, "LAG_WINDOW_POLLS", default.window_polls))),
        allowed_lag=max(0, int(getattr(settings, "LAG_ALLOWED", default.allowed_lag))),
        history_points=max(4, int(getattr(settings, "LAG_HISTORY_POINTS", default.history_points))),
        history_ttl_s=max(3600, int(getattr(settings, "LAG_HISTORY_TTL_S", default.history_ttl_s))),
    )


@dataclass(frozen=True)
class HistoryWriteStats:
    """What one history_record call did: records written and what it cost in Redis."""

    partitions: int  # end offsets offered
    end_points_appended: int
    end_points_extended: int  # newest point of a flat stretch moved to this poll
    end_partitions_thinned: int
    end_points_skipped: int  # poll time not newer than the stored history
    end_partitions_pruned: int  # partitions not polled for a whole TTL, dropped
    end_partitions_reset: int  # end offset went backwards (topic recreated): history restarted
    commit_points: int  # (group, partition) points appended
    groups: int
    commands: int  # commands in the pipeline (script calls)
    server_commands: int  # commands the scripts ran inside Redis
    bytes_sent: int  # argument bytes of those commands (characters for text: near enough)
    round_trips: int
    elapsed_ms: float


_clients: dict[str, redis.Redis] = {}


def _redis() -> redis.Redis:
    """One client per Redis URL per process (its pool is thread-safe)."""
    url = settings.REDIS_URL
    if url not in _clients:
        _clients[url] = redis.Redis.from_url(url, socket_timeout=30, socket_connect_timeout=5)
    return _clients[url]


def _prefix(cluster_id: int) -> str:
    return f"signalbox:hist:{int(cluster_id)}:"


def _commit_key(prefix: str, group_id: str) -> str:
    return f"{prefix}commit:{group_id}"


def _commit_element(
    t: float, committed: Mapping[TopicPartitionKey, int], lags: Mapping[TopicPartitionKey, int | None]
) -> str:
    """'<t>\\n<topic>\\t<p>:<committed>:<lag>\\t...': topic names once per poll; an empty lag is None."""
    by_topic: dict[str, list[str]] = defaultdict(list)
    for (topic, partition), offset in committed.items():
        lag = lags.get((topic, partition))
        by_topic[topic].append(f"{partition}:{offset}:{'' if lag is None else lag}")
    lines = [f"{t:.3f}"]
    lines.extend(f"{topic}\t" + "\t".join(entries) for topic, entries in by_topic.items())
    return "\n".join(lines)


def history_record(
    *,
    cluster_id: int,
    snapshot_time: float,
    end_offsets: Mapping[TopicPartitionKey, int],
    commits: Mapping[str, Mapping[TopicPartitionKey, int]],
    lags: Mapping[str, Mapping[TopicPartitionKey, int | None]],
) -> HistoryWriteStats:
    """Store one poll: the end offset of every partition (a new point, or the newest point
    of a flat stretch moved to this poll; see the module docstring) and every group's
    committed offsets and lag. Groups without any commit are not stored. One Redis
    pipeline round trip in all."""
    started = time.perf_counter()
    config = lag_settings()
    prefix = _prefix(cluster_id)
    pipe = _redis().pipeline(transaction=False)
    commands = 0
    sent = 0
    items = list(end_offsets.items())
    for start in range(0, len(items), _CHUNK):
        chunk = items[start : start + _CHUNK]
        fields = "\n".join(f"{topic}:{partition}" for (topic, partition), _ in chunk)
        records = b"".join(_RECORD.pack(snapshot_time, offset) for _, offset in chunk)
        last = "1" if start + _CHUNK >= len(items) else "0"
        args = (LAG_FLAT_POINT_S, config.history_points, config.history_ttl_s, snapshot_time, f"{prefix}end:", last)
        pipe.eval(_WRITE_SCRIPT, 2, f"{prefix}endtail", f"{prefix}endtail-cursor", records, fields, *args)
        commands += 1
        sent += len(_WRITE_SCRIPT) + len(records) + len(fields) + sum(len(str(a)) for a in args) + 40
    end_calls = commands
    keep = config.window_polls + 2
    commit_points = 0
    pairs: list[str] = []
    for group_id, committed in commits.items():
        if committed:  # a group without commits has nothing to judge
            pairs += [group_id, _commit_element(snapshot_time, committed, lags.get(group_id, {}))]
            commit_points += len(committed)
    step = 2 * _CHUNK // 10
    for start in range(0, len(pairs), step):
        batch = pairs[start : start + step]
        pipe.eval(_COMMIT_SCRIPT, 0, f"{prefix}commit:", keep, config.history_ttl_s, *batch)
        commands += 1
        sent += len(_COMMIT_SCRIPT) + len(prefix) + 16 + sum(len(item) for item in batch)
    replies: list[Any] = pipe.execute() if commands else []
    counts = [sum(int(reply[k]) for reply in replies[:end_calls]) for k in range(7)]
    return HistoryWriteStats(
        partitions=len(end_offsets),
        end_points_appended=counts[0],
        end_points_extended=counts[1],
        end_partitions_thinned=counts[2],
        end_points_skipped=counts[3],
        end_partitions_pruned=counts[4],
        commit_points=commit_points,
        groups=len(pairs) // 2,
        commands=commands,
        end_partitions_reset=counts[5],
        server_commands=counts[6] + sum(int(reply) for reply in replies[end_calls:]),
        bytes_sent=sent,
        round_trips=1 if commands else 0,
        elapsed_ms=round((time.perf_counter() - started) * 1000, 2),
    )


def _points(blob: bytes | None) -> list[OffsetPoint]:
    if not blob:
        return []
    usable = len(blob) - len(blob) % _RECORD.size  # a torn record is ignored, never misread
    return list(map(OffsetPoint._make, _RECORD.iter_unpack(blob[:usable])))


def end_history(
    *, cluster_id: int, partitions: Iterable[TopicPartitionKey]
) -> dict[TopicPartitionKey, list[OffsetPoint]]:
    """Every stored end-offset point of each partition, oldest first (an empty list when
    none). For a chart or one group's partitions; for lag in seconds of many partitions use
    end_history_since, which reads only the points lag_seconds looks at. One round trip."""
    wanted = list(dict.fromkeys(partitions))
    if not wanted:
        return {}
    prefix = _prefix(cluster_id)
    fields = [f"{tp[0]}:{tp[1]}" for tp in wanted]
    pipe = _redis().pipeline(transaction=False)
    for start in range(0, len(wanted), _MGET_CHUNK):
        pipe.mget([f"{prefix}end:{f}" for f in fields[start : start + _MGET_CHUNK]])
        pipe.hmget(f"{prefix}endtail", fields[start : start + _MGET_CHUNK])
    replies = pipe.execute()
    blobs = [blob for chunk in replies[0::2] for blob in chunk]
    tails = [state for chunk in replies[1::2] for state in chunk]
    return {
        tp: _points((blob or b"") + state[-_RECORD.size :]) if state else _points(blob)
        for tp, blob, state in zip(wanted, blobs, tails, strict=True)
    }


def end_history_since(
    *, cluster_id: int, committed: Mapping[TopicPartitionKey, int]
) -> dict[TopicPartitionKey, list[OffsetPoint]]:
    """For each partition, the stored end-offset points from the newest one at or below the
    given committed offset to the newest point; when none is that low, only the oldest
    point (so lag_seconds says "unknown"). lag_seconds gives the same answer on this as on
    the full history, at a fraction of the bytes. With several groups on a partition, pass
    the lowest committed offset. One pipeline round trip; Redis reads backwards from the
    newest point, so a group near the head costs one short read."""
    if not committed:
        return {}
    prefix = _prefix(cluster_id)
    wanted = list(committed)
    pipe = _redis().pipeline(transaction=False)
    for start in range(0, len(wanted), _CHUNK):
        chunk = wanted[start : start + _CHUNK]
        fields = "\n".join(f"{topic}:{partition}" for topic, partition in chunk)
        offsets = struct.pack(f"<{len(chunk)}q", *(committed[tp] for tp in chunk))
        pipe.eval(_SINCE_SCRIPT, 1, f"{prefix}endtail", f"{prefix}end:", fields, offsets)
    blobs = [blob for reply in pipe.execute() for blob in reply]
    return {tp: _points(blob) for tp, blob in zip(wanted, blobs, strict=True)}


def _commit_points(
    elements: Iterable[bytes], partitions: set[TopicPartitionKey] | None
) -> dict[TopicPartitionKey, list[CommitPoint]]:
    history: dict[TopicPartitionKey, list[CommitPoint]] = {}
    wanted_topics = None if partitions is None else {t for t, _ in partitions}
    make = CommitPoint._make
    for raw in elements:
        head, *lines = raw.decode().split("\n")
        t = float(head)
        for line in lines:
            topic, *entries = line.split("\t")
            if wanted_topics is not None and topic not in wanted_topics:
                continue
            for entry in entries:
                partition, committed, lag = entry.split(":")
                tp = (topic, int(partition))
                if partitions is not None and tp not in partitions:
                    continue
                point = make((t, int(committed), int(lag) if lag else None))
                points = history.get(tp)
                if points is None:
                    history[tp] = [point]
                else:
                    points.append(point)
    return history


def commit_history(
    *, cluster_id: int, group_id: str, partitions: Iterable[TopicPartitionKey] | None = None
) -> dict[TopicPartitionKey, list[CommitPoint]]:
    """Commit points of one group per partition, oldest first (only the polls in which
    the partition had a commit); `partitions` narrows the answer. One Redis command."""
    elements: list[bytes] = _redis().lrange(_commit_key(_prefix(cluster_id), group_id), 0, -1)  # type: ignore[assignment]
    return _commit_points(elements, None if partitions is None else set(partitions))


def commit_histories(
    *, cluster_id: int, group_ids: Iterable[str]
) -> dict[str, dict[TopicPartitionKey, list[CommitPoint]]]:
    """commit_history of many groups in one pipeline round trip (for the poller's status pass).
    A group without stored history maps to an empty dict."""
    wanted = list(dict.fromkeys(group_ids))
    if not wanted:
        return {}
    prefix = _prefix(cluster_id)
    pipe = _redis().pipeline(transaction=False)
    for group_id in wanted:
        pipe.lrange(_commit_key(prefix, group_id), 0, -1)
    return {g: _commit_points(elements, None) for g, elements in zip(wanted, pipe.execute(), strict=True)}


def history_forget_group(*, cluster_id: int, group_id: str) -> None:
    """Drop the commit history of a group (e.g. after it was deleted). End offsets are
    per partition, shared by groups, and stay."""
    _redis().unlink(_commit_key(_prefix(cluster_id), group_id))


def history_forget_cluster(*, cluster_id: int) -> int:
    """Drop every history key of a cluster (e.g. when it is removed); returns how many."""
    client = _redis()
    removed = 0
    batch: list[bytes] = []
    for key in client.scan_iter(match=f"{_prefix(cluster_id)}*", count=_SCAN_CHUNK):
        batch.append(key)
        if len(batch) >= _SCAN_CHUNK:
            removed += int(client.unlink(*batch))
            batch = []
    if batch:
        removed += int(client.unlink(*batch))
    return removed


__all__ = [
    "LAG_FLAT_POINT_S",
    "HistoryWriteStats",
    "LagSettings",
    "commit_histories",
    "commit_history",
    "end_history",
    "end_history_since",
    "history_forget_cluster",
    "history_forget_group",
    "history_record",
    "lag_settings",
]
