"""Per-build log bus on Redis: stored first, announced second, archived at the end.

Each build has a Redis stream whose entry ids are ``<seq>-0``, so the sequence
number *is* the stream position: replay is ``XRANGE`` from a sequence, follow is
``XREAD BLOCK`` after the last one seen, and a reader can never skip or repeat an
event.  Appends run as one Lua script that numbers the events, applies the
per-build byte cap, adds them to the stream and only then publishes the last
sequence on the build's channel (a lossy wake-up hint for relays).

When the build ends its log is archived (gzip NDJSON) to the object store and the
stream expires later; readers fall back to the archive transparently.
"""

from __future__ import annotations

import gzip
import tempfile
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, replace

from redis import Redis
from redis.exceptions import ResponseError

from core.config import Settings
from core.logevents import END, LOG, Entry, LogEvent, from_archive_line, to_archive_line
from core.objectstore import ObjectNotFound, ObjectStore

_PAGE = 1000
# Largest chunk :func:`coalesce` makes of adjacent single-line LOG entries.
_MAX_CHUNK = 64 * 1024

_APPEND = """
local stream, meta = KEYS[1], KEYS[2]
local cap, channel, marker, live_ttl = tonumber(ARGV[1]), ARGV[2], ARGV[3], tonumber(ARGV[4])
if redis.call('HGET', meta, 'ended') == '1' then return redis.error_reply('LOGCLOSED') end
local seq = tonumber(redis.call('HGET', meta, 'seq') or '0')
local used = tonumber(redis.call('HGET', meta, 'bytes') or '0')
local capped = redis.call('HGET', meta, 'capped') == '1'
local first, dropped_bytes, dropped_events, ended = seq + 1, 0, 0, false
for i = 5, #ARGV, 5 do
  local t, kind, vertex, src, data = ARGV[i], ARGV[i+1], ARGV[i+2], ARGV[i+3], ARGV[i+4]
  local keep = true
  local overflow = nil
  if kind == 'log' then
    local size = string.len(data)
    if capped or used + size > cap then
      -- Keep the whole lines that still fit below the cap; drop and count the rest.
      local kept = 0
      if not capped then
        local room = cap - used
        local cut = room > 0 and string.sub(data, 1, room) or ''
        local last = string.find(cut, '\\n[^\\n]*$')
        if last then kept = last end
      end
      dropped_bytes, dropped_events = dropped_bytes + size - kept, dropped_events + 1
      if kept > 0 then
        data = string.sub(data, 1, kept)
        used = used + kept
      else
        keep = false
      end
      if not capped then
        capped = true
        overflow = marker
      end
    else
      used = used + size
    end
  end
  if keep then
    seq = seq + 1
    redis.call('XADD', stream, seq .. '-0', 'time', t, 'kind', kind, 'vertex', vertex,
               'stream', src, 'data', data)
    if kind == 'end' then ended = true break end
  end
  if overflow then
    seq = seq + 1
    redis.call('XADD', stream, seq .. '-0', 'time', t, 'kind', 'marker', 'vertex', '',
               'stream', '', 'data', overflow)
  end
end
redis.call('HSET', meta, 'seq', seq, 'bytes', used, 'capped', capped and 1 or 0)
if dropped_events > 0 then
  redis.call('HINCRBY', meta, 'dropped_bytes', dropped_bytes)
  redis.call('HINCRBY', meta, 'dropped_events', dropped_events)
end
if ended then redis.call('HSET', meta, 'ended', 1) end
if seq >= first then
  redis.call('EXPIRE', stream, live_ttl)
  redis.call('EXPIRE', meta, live_ttl)
  redis.call('PUBLISH', channel, seq)
end
return seq
"""


class LogClosed(RuntimeError):
    """The build's log already has its end event."""


class LogNotEnded(RuntimeError):
    """Archiving was asked for a log that has no end event yet."""


@dataclass(frozen=True)
class LogStats:
    """Counters of one build's log (from the live stream's metadata)."""

    last_seq: int
    stored_bytes: int
    dropped_bytes: int
    dropped_events: int
    capped: bool
    ended: bool
    archived: bool


class LogBus:
    """Appends, replays, follows and archives build logs.

    Args:
        redis: A client with ``decode_responses=False``; its ``socket_timeout`` (if
            any) must exceed ``block_ms``.
        store: Where finished logs are archived.
        cap_bytes: Per-build limit on stored LOG data.
        archived_ttl_s: How long the stream lingers after archiving (live followers
            finish from it); afterwards readers use the archive.
        live_ttl_s: Safety expiry of a stream that is never archived (lost worker).
        prefix: Key prefix (tests use a unique one).
    """

    def __init__(self, redis: Redis, store: ObjectStore, *, cap_bytes: int,
                 archived_ttl_s: int = 3600, live_ttl_s: int = 7 * 86400,
                 prefix: str = "rb") -> None:
        self.redis = redis
        self.store = store
        self.cap_bytes = cap_bytes
        self.archived_ttl_s = archived_ttl_s
        self.live_ttl_s = live_ttl_s
        self.prefix = prefix
        self._append = redis.register_script(_APPEND)

    @classmethod
    def from_settings(cls, settings: Settings, redis: Redis, store: ObjectStore) -> LogBus:
        return cls(redis, store, cap_bytes=settings.log_cap_bytes)

    # Keys -------------------------------------------------------------------------

    def stream_key(self, build_id: str) -> str:
        return f"{self.prefix}:build:{build_id}:log"

    def meta_key(self, build_id: str) -> str:
        return f"{self.prefix}:build:{build_id}:logmeta"

    def channel(self, build_id: str) -> str:
        """The pub/sub channel announcing each stored batch (message: last seq)."""
        return f"{self.prefix}:build:{build_id}:log:notify"

    @staticmethod
    def archive_key(build_id: str) -> str:
        return f"logs/{build_id}.ndjson.gz"

    # Writing ----------------------------------------------------------------------

    def append(self, build_id: str, entries: Iterable[Entry]) -> int:
        """Store a batch of :class:`~core.logevents.Entry` and announce it.

        Returns the last sequence number stored so far (unchanged when everything
        was dropped by the cap).

        Raises:
            LogClosed: the log already ended.
        """
        args: list[bytes | str | int] = [self.cap_bytes, self.channel(build_id),
                                         self._marker(), self.live_ttl_s]
        for entry in coalesce(entries):
            args += [repr(float(entry.time)), entry.kind, entry.vertex, entry.stream,
                     entry.payload()]
        try:
            return int(self._append(keys=[self.stream_key(build_id), self.meta_key(build_id)],
                                    args=args))
        except ResponseError as exc:
            if "LOGCLOSED" in str(exc):
                raise LogClosed(f"log of {build_id} has ended") from None
            raise

    def end(self, build_id: str, final_state: str) -> int:
        """Write the end-of-log event carrying the build's final state."""
        return self.append(build_id, [Entry(END, final_state)])

    def _marker(self) -> str:
        mib = self.cap_bytes / (1024 * 1024)
        limit = f"{mib:g} MiB" if mib >= 1 else f"{self.cap_bytes} bytes"
        return (f"=== log truncated: this build's output passed the {limit} limit; "
                "further output is counted but not stored ===")

    # Reading ----------------------------------------------------------------------

    def stats(self, build_id: str) -> LogStats | None:
        """Counters of the live stream, or None once it expired (or never existed)."""
        meta = self.redis.hgetall(self.meta_key(build_id))
        if not meta:
            return None

        def num(name: bytes) -> int:
            return int(meta.get(name, 0))

        return LogStats(last_seq=num(b"seq"), stored_bytes=num(b"bytes"),
                        dropped_bytes=num(b"dropped_bytes"),
                        dropped_events=num(b"dropped_events"), capped=num(b"capped") == 1,
                        ended=num(b"ended") == 1, archived=num(b"archived") == 1)

    def read(self, build_id: str, from_seq: int = 1) -> Iterator[LogEvent]:
        """Replay what is stored now, from ``from_seq`` on (stream, else archive)."""
        next_seq = max(1, from_seq)
        while True:
            page = self.redis.xrange(self.stream_key(build_id), min=f"{next_seq}-0",
                                     count=_PAGE)
            if not page:
                break
            for entry_id, fields in page:
                event = _decode(entry_id, fields)
                yield event
                next_seq = event.seq + 1
        if not self.redis.exists(self.stream_key(build_id)):
            # Nothing live (expired, possibly while we paged): continue from the archive.
            yield from self._from_archive(build_id, next_seq)

    def follow(self, build_id: str, from_seq: int = 1, *, block_ms: int = 1000,
               should_stop: Callable[[], bool] | None = None) -> Iterator[LogEvent]:
        """Replay from ``from_seq``, then yield new events as they are stored.

        Ends after yielding the END event, or when ``should_stop()`` turns true
        (checked at least every ``block_ms``).  Each sequence number is yielded
        exactly once and in order.
        """
        next_seq = max(1, from_seq)
        for event in self.read(build_id, next_seq):
            yield event
            next_seq = event.seq + 1
            if event.kind == END:
                return
        key = self.stream_key(build_id)
        while should_stop is None or not should_stop():
            reply = self.redis.xread({key: f"{next_seq - 1}-0"}, block=block_ms, count=_PAGE)
            events = [_decode(i, f) for _, entries in reply for i, f in entries]
            if not events and not self.redis.exists(key):
                events = list(self._from_archive(build_id, next_seq))
            for event in events:
                if event.seq < next_seq:
                    continue  # already yielded (archive overlap)
                yield event
                next_seq = event.seq + 1
                if event.kind == END:
                    return

    def _from_archive(self, build_id: str, from_seq: int) -> Iterator[LogEvent]:
        try:
            raw = self.store.open(self.archive_key(build_id))
        except ObjectNotFound:
            return
        with raw, gzip.GzipFile(fileobj=raw, mode="rb") as lines:
            for line in lines:
                event = from_archive_line(line)
                if event.seq >= from_seq:
                    yield event

    # Archiving --------------------------------------------------------------------

    def archive(self, build_id: str) -> str:
        """Write the ended log to the object store, then let the stream expire.

        Returns the archive key.  Idempotent: archiving twice rewrites the same
        content.

        Raises:
            LogNotEnded: the log has no END event yet (call :meth:`end` first).
        """
        stats = self.stats(build_id)
        if stats is None or not stats.ended:
            raise LogNotEnded(f"log of {build_id} has not ended (or already expired)")
        with tempfile.SpooledTemporaryFile(max_size=8 * 1024 * 1024) as spool:
            with gzip.GzipFile(fileobj=spool, mode="wb", mtime=0) as out:
                for event in self.read(build_id):
                    out.write(to_archive_line(event))
            spool.seek(0)
            self.store.put(self.archive_key(build_id), spool)
        with self.redis.pipeline() as pipe:
            pipe.hset(self.meta_key(build_id), "archived", 1)
            pipe.expire(self.stream_key(build_id), self.archived_ttl_s)
            pipe.expire(self.meta_key(build_id), self.archived_ttl_s)
            pipe.execute()
        return self.archive_key(build_id)


def coalesce(entries: Iterable[Entry], limit: int = _MAX_CHUNK) -> Iterator[Entry]:
    """Merge adjacent LOG entries of the same vertex and stream (up to ``limit`` bytes).

    Every stored event costs a stream entry and a decode in every reader, so a batch of
    single-line chunks is stored as one chunk holding them all, stamped with the time of
    its first line.  The raw view is unchanged (it is the concatenation); the cap clips
    merged chunks at a line boundary, so no line below the cap is lost.
    """
    pending: Entry | None = None
    parts: list[bytes] = []
    size = 0
    for entry in entries:
        data = entry.payload()
        if (pending is not None and entry.kind == LOG and pending.kind == LOG
                and (entry.vertex, entry.stream) == (pending.vertex, pending.stream)
                and size + len(data) <= limit):
            parts.append(data)
            size += len(data)
            continue
        if pending is not None:
            yield replace(pending, data=b"".join(parts)) if len(parts) > 1 else pending
        pending, parts, size = entry, [data], len(data)
    if pending is not None:
        yield replace(pending, data=b"".join(parts)) if len(parts) > 1 else pending


def _decode(entry_id: bytes, fields: dict[bytes, bytes]) -> LogEvent:
    return LogEvent(seq=int(entry_id.split(b"-", 1)[0]), time=float(fields[b"time"]),
                    kind=fields[b"kind"].decode(), vertex=fields[b"vertex"].decode(),
                    stream=fields[b"stream"].decode(), data=fields[b"data"])
