"""Where a rate budget lives, so that every process that shares it sees one state.

Two stores, one interface: SQLite files (the default; every process on one machine) and a
Redis server (several machines, CI shards). Each holds pyrate-limiter's sliding-window bucket
per budget key, plus the few things the limiter has no notion of, per scope (one target):

- ``hold``: nobody sends before this time (the target said "0 left", a 429 said "retry after",
  an exclusive burst ended and its window must reset);
- a lease: one holder has the budget to itself (a planned 429 burst);
- in-flight requests and the time the last one finished, so a lease holder can wait until the
  requests others had already sent are answered and their window is over;
- what the target's latest answer said is left in its window, so a burst can start when the others
  have nearly spent it (``Budget.exclusive(late=True)``).

Times are ``time.time()`` seconds; with Redis across machines their clocks must agree.
"""
from __future__ import annotations

import sqlite3
from abc import ABC, abstractmethod
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit, urlunsplit

from filelock import FileLock

from apiconform.record.scrub import REDACTED

if TYPE_CHECKING:  # pyrate-limiter is imported where a bucket is made: a replay never makes one
    from pyrate_limiter import AbstractBucket, Rate, SQLiteBucket

REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
STATE_TTL = 24 * 3600  # Redis keys of a scope nobody used for a day expire


class StoreError(Exception):
    """The store cannot be opened or used; the message names it."""


class Store(ABC):
    """The shared state of every budget kept in one place."""

    name: str  # for messages: a directory or a redis:// URL
    errors: tuple[type[BaseException], ...]  # what the backend raises when it goes away

    @abstractmethod
    def bucket(self, key: str, rate: Rate) -> AbstractBucket:
        """pyrate-limiter's bucket for one budget key."""

    @abstractmethod
    def gate(self, scope: str, now: float) -> tuple[str | None, float]:
        """(the live lease's owner or None, hold-until)."""

    @abstractmethod
    def raise_hold(self, scope: str, until: float) -> None:
        """Nobody sends before ``until`` (an earlier hold is never shortened)."""

    @abstractmethod
    def cap_hold(self, scope: str, until: float) -> None:
        """A hold later than ``until`` becomes ``until`` (the repair of one no header could have set)."""

    @abstractmethod
    def begin(self, scope: str, token: str, deadline: float) -> None:
        """A request is about to be sent; forgotten at ``deadline`` if it never finishes."""

    @abstractmethod
    def finish(self, scope: str, token: str, done: float) -> None:
        """A request was answered (or failed) at ``done``."""

    @abstractmethod
    def quiet(self, scope: str, now: float) -> tuple[int, float]:
        """(requests in flight, when the last one finished)."""

    @abstractmethod
    def note_left(self, scope: str, left: int, at: float) -> None:
        """The target's answer at ``at`` said ``left`` requests are left in its window."""

    @abstractmethod
    def left(self, scope: str) -> tuple[int | None, float]:
        """(what the latest noted answer said is left, when it came); (None, 0.0) before any."""

    @abstractmethod
    def try_lease(self, scope: str, owner: str, ttl: float, now: float) -> bool:
        """Take, or renew, the scope's exclusive lease for ``ttl`` seconds."""

    @abstractmethod
    def release(self, scope: str, owner: str) -> None:
        """Give the lease back (only its owner can)."""

    @abstractmethod
    def close(self) -> None:
        """Release connections."""


class FileStore(Store):
    """Two SQLite databases in ``directory``: pyrate-limiter's buckets, and the scopes (hold, lease, in flight).

    They are two files because pyrate-limiter's connection runs deferred transactions that read, then write,
    serialised among buckets by its file lock only. A scope written by another process in between (without
    that lock) made the bucket's write fail at once with "database is locked" (SQLite does not wait for a
    transaction whose snapshot went stale), a harness error on a loaded machine. The scopes' statements are
    single autocommit statements that wait for the lock (``timeout``).
    """

    errors = (sqlite3.Error, OSError, TimeoutError)

    def __init__(self, directory: Path) -> None:
        self.name = str(directory)
        self.path = directory / "scopes.sqlite"
        self.buckets_path = directory / "buckets.sqlite"
        try:
            directory.mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            # One opener at a time: switching a new file to WAL needs an exclusive lock, and SQLite answers
            # "database is locked" at once, without waiting, to a connection that would deadlock with another
            # process creating the tables (two xdist workers opening a fresh store together).
            with FileLock(str(directory / "scopes.lock"), timeout=30):
                self._db.execute("PRAGMA journal_mode=WAL")
                self._db.execute("CREATE TABLE IF NOT EXISTS scope (scope TEXT PRIMARY KEY, hold REAL NOT NULL "
                                 "DEFAULT 0, done REAL NOT NULL DEFAULT 0, owner TEXT, lease_until REAL NOT NULL "
                                 "DEFAULT 0)")
                self._db.execute("CREATE TABLE IF NOT EXISTS inflight (token TEXT PRIMARY KEY, scope TEXT NOT "
                                 "NULL, deadline REAL NOT NULL)")
                self._db.execute("CREATE TABLE IF NOT EXISTS seen (scope TEXT PRIMARY KEY, left INTEGER NOT NULL, "
                                 "at REAL NOT NULL)")
        except self.errors as exc:
            raise StoreError(f"rate store {self.name} cannot be used: {exc}") from None
        self._buckets: list[SQLiteBucket] = []

    def bucket(self, key: str, rate: Rate) -> AbstractBucket:
        from pyrate_limiter import SQLiteBucket

        bucket = SQLiteBucket.init_from_file([rate], table=f"bucket_{key}", db_path=str(self.buckets_path),
                                             use_file_lock=True)
        self._buckets.append(bucket)
        return bucket

    def _upsert(self, scope: str, column: str, value: float) -> None:
        self._db.execute(f"INSERT INTO scope (scope, {column}) VALUES (?, ?) ON CONFLICT (scope) DO UPDATE "
                         f"SET {column} = max({column}, excluded.{column})", (scope, value))

    def gate(self, scope: str, now: float) -> tuple[str | None, float]:
        row = self._db.execute("SELECT owner, lease_until, hold FROM scope WHERE scope = ?", (scope,)).fetchone()
        if row is None:
            return None, 0.0
        owner, lease_until, hold = row
        return (owner if owner and lease_until > now else None), hold

    def raise_hold(self, scope: str, until: float) -> None:
        self._upsert(scope, "hold", until)

    def cap_hold(self, scope: str, until: float) -> None:
        self._db.execute("UPDATE scope SET hold = ?1 WHERE scope = ?2 AND hold > ?1", (until, scope))

    def begin(self, scope: str, token: str, deadline: float) -> None:
        self._db.execute("INSERT INTO inflight (token, scope, deadline) VALUES (?, ?, ?)", (token, scope, deadline))

    def finish(self, scope: str, token: str, done: float) -> None:
        self._db.execute("DELETE FROM inflight WHERE token = ?", (token,))
        self._upsert(scope, "done", done)

    def quiet(self, scope: str, now: float) -> tuple[int, float]:
        self._db.execute("DELETE FROM inflight WHERE deadline <= ?", (now,))
        (count,) = self._db.execute("SELECT count(*) FROM inflight WHERE scope = ?", (scope,)).fetchone()
        row = self._db.execute("SELECT done FROM scope WHERE scope = ?", (scope,)).fetchone()
        return count, row[0] if row else 0.0

    def note_left(self, scope: str, left: int, at: float) -> None:
        self._db.execute("INSERT INTO seen (scope, left, at) VALUES (?1, ?2, ?3) ON CONFLICT (scope) DO UPDATE "
                         "SET left = ?2, at = ?3 WHERE at <= ?3", (scope, left, at))

    def left(self, scope: str) -> tuple[int | None, float]:
        row = self._db.execute("SELECT left, at FROM seen WHERE scope = ?", (scope,)).fetchone()
        return (row[0], row[1]) if row else (None, 0.0)

    def try_lease(self, scope: str, owner: str, ttl: float, now: float) -> bool:
        # One statement, so taking a free (or expired) lease is atomic across processes.
        self._db.execute("INSERT INTO scope (scope, owner, lease_until) VALUES (?1, ?2, ?3) ON CONFLICT (scope) "
                         "DO UPDATE SET owner = ?2, lease_until = ?3 WHERE owner IS NULL OR owner = ?2 "
                         "OR lease_until <= ?4", (scope, owner, now + ttl, now))
        return self.gate(scope, now)[0] == owner

    def release(self, scope: str, owner: str) -> None:
        self._db.execute("UPDATE scope SET owner = NULL, lease_until = 0 WHERE scope = ? AND owner = ?",
                         (scope, owner))

    def close(self) -> None:
        for bucket in self._buckets:
            bucket.close()
        self._db.close()


# KEYS[1]: a number; ARGV[1]: the new value, ARGV[2]: ttl ms. The key keeps the larger one.
_RAISE = """
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if tonumber(ARGV[1]) > old then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
"""
# KEYS[1]: the lease; ARGV[1]: owner, ARGV[2]: ttl ms. Take it if free, renew it if ours.
_LEASE = """
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) return 1 end
return 0
"""
# KEYS[1]: a number; ARGV[1]: the cap, ARGV[2]: ttl ms. A larger value becomes the cap.
_CAP = """
local old = tonumber(redis.call('GET', KEYS[1]) or '0')
if old > tonumber(ARGV[1]) then redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2]) end
return 1
"""
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then redis.call('DEL', KEYS[1]) end
return 1
"""


def _without_password(url: str) -> str:
    """``redis://user:secret@host:6379/0`` -> ``redis://user:REDACTED@host:6379/0``."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:" if parts.username else ":"
    return urlunsplit(parts._replace(netloc=f"{user}{REDACTED}@{parts.netloc.rpartition('@')[2]}"))


class RedisStore(Store):
    """A Redis server: buckets are pyrate-limiter's sorted sets, the rest small keys under ``apiconform:rate:``."""

    def __init__(self, url: str) -> None:
        import redis

        self.name = _without_password(url)  # the name goes into messages and reports
        self.errors = (redis.RedisError, OSError)
        try:
            self._r = redis.Redis.from_url(url, socket_connect_timeout=3, socket_timeout=5, decode_responses=True)
            self._r.ping()
        except (*self.errors, ValueError) as exc:
            raise StoreError(f"rate store {self.name} is unreachable: {exc}") from None
        self._raise, self._cap, self._lease, self._release = (self._r.register_script(s)
                                                              for s in (_RAISE, _CAP, _LEASE, _RELEASE))

    @staticmethod
    def _k(scope: str, what: str) -> str:
        return f"apiconform:rate:{scope}:{what}"

    def bucket(self, key: str, rate: Rate) -> AbstractBucket:
        from pyrate_limiter import RedisBucket

        return RedisBucket.init([rate], self._r, f"apiconform:rate:bucket:{key}")

    def gate(self, scope: str, now: float) -> tuple[str | None, float]:
        owner, hold = self._r.mget(self._k(scope, "lease"), self._k(scope, "hold"))
        return owner, float(hold or 0)

    def _raise_to(self, key: str, value: float) -> None:
        self._raise(keys=[key], args=[repr(value), STATE_TTL * 1000])

    def raise_hold(self, scope: str, until: float) -> None:
        self._raise_to(self._k(scope, "hold"), until)

    def cap_hold(self, scope: str, until: float) -> None:
        self._cap(keys=[self._k(scope, "hold")], args=[repr(until), STATE_TTL * 1000])

    def begin(self, scope: str, token: str, deadline: float) -> None:
        key = self._k(scope, "inflight")
        self._r.pipeline().zadd(key, {token: deadline}).expire(key, STATE_TTL).execute()

    def finish(self, scope: str, token: str, done: float) -> None:
        self._r.zrem(self._k(scope, "inflight"), token)
        self._raise_to(self._k(scope, "done"), done)

    def quiet(self, scope: str, now: float) -> tuple[int, float]:
        key = self._k(scope, "inflight")
        _, count, done = (self._r.pipeline().zremrangebyscore(key, "-inf", now).zcard(key)
                          .get(self._k(scope, "done")).execute())
        return int(count), float(done or 0)

    def note_left(self, scope: str, left: int, at: float) -> None:
        self._r.set(self._k(scope, "left"), f"{left} {at!r}", px=STATE_TTL * 1000)

    def left(self, scope: str) -> tuple[int | None, float]:
        value = self._r.get(self._k(scope, "left"))
        if not value:
            return None, 0.0
        left, at = value.split()
        return int(left), float(at)

    def try_lease(self, scope: str, owner: str, ttl: float, now: float) -> bool:
        return bool(self._lease(keys=[self._k(scope, "lease")], args=[owner, max(1, int(ttl * 1000))]))

    def release(self, scope: str, owner: str) -> None:
        self._release(keys=[self._k(scope, "lease")], args=[owner])

    def close(self) -> None:
        self._r.close()


def open_store(spec: str) -> Store:
    """``redis://host:port/db`` (or rediss://, unix://) opens Redis; anything else is a directory."""
    if spec.startswith(REDIS_SCHEMES):
        return RedisStore(spec)
    return FileStore(Path(spec).expanduser())


def store_error(exc: BaseException, store: Store) -> StoreError:
    """A backend failure, as one line naming the store."""
    text = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    return StoreError(f"rate store {store.name} failed mid-run ({type(exc).__name__}: {text})")
