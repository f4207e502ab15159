"""The rate budget: every request to a rate-limited target goes through it before it is sent.

One budget per provider and credential, kept in a store (:mod:`.stores`) that every process of
a run shares: all xdist workers, and with Redis several machines. It starts from the documented
rate (``[rate_limit]``), and pauses every sharer when the target's own headers say nothing is
left. A 429 the suite did not plan is waited out and retried, and counted as an *unplanned 429*,
a defect of the run, never a contract failure. A check that exceeds the limit on purpose takes
the budget for itself (:meth:`Budget.exclusive`); the others wait until its window has reset.

In replay nothing waits: the budget only counts, and still retries a recorded unplanned 429 (the
cassette holds its retry next). A provider without ``[rate_limit]`` gets a budget that does nothing.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import math
import os
import sys
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx

from apiconform.contract.model import Contract, RateLimit
from apiconform.http.rate import headers
from apiconform.http.rate.stores import Store, StoreError, open_store, store_error
from apiconform.paths import user_cache_dir
from apiconform.verdict import HarnessError

if TYPE_CHECKING:
    from pyrate_limiter import AbstractBucket  # imported where a bucket is made: replay never makes one

    from apiconform.http.exchange import Exchange

Answer = TypeVar("Answer", httpx.Response, "Exchange")

MAX_RETRIES = 3  # an unplanned 429 is retried this often before the check ends as an error
INFLIGHT_TTL = 60.0  # a request not answered by then (the client times out sooner) no longer blocks a lease
COUNTERS_DIR = "rate-counters"
OFF = "off"  # --rate-store off: no budget, only counting (a benchmark's control run)
FLUSH_EVERY = 1.0  # seconds between two writes of a process's counters (each process writes its last at its end)
# A reset or retry-after up to this many documented windows is followed. Beyond it, or in the past, it cannot be
# the window's (a reset in milliseconds, an epoch timestamp where seconds are documented): the budget takes one
# window instead, and a store's hold further away than that (plus a second) is repaired. No header makes anyone
# wait longer.
BELIEVED_WINDOWS = 2
TELL_AFTER = 1.0  # a wait longer than this many real seconds is announced (which provider, how long, why)
# A late burst (exclusive(late=True)) starts once the target says at most this share of the limit is left in its
# window (the other sharers spent the rest), or once nobody has sent for LATE_IDLE real seconds (a window at most).
LATE_SHARE = 0.2
LATE_IDLE = 10.0


def _stderr(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


@dataclass
class Settings:
    """How this process's budgets are kept; set once per process by the plugin."""

    store: str = "auto"  # auto | a directory | redis://host:port/db
    scale: float = 1.0  # the sandbox's clock runs this much faster than the documented one
    run_dir: Path | None = None  # counters go here; with `auto`, a sandbox's budget too
    say: Callable[[str], None] = _stderr  # one line to the user (the plugin's goes past pytest's capture)
    spare: bool = False  # --spare-rate-limit: no check exceeds the limit on purpose


SETTINGS = Settings()
_budgets: dict[tuple[str, str, bool], Budget] = {}
_stores: dict[str, Store] = {}


def user_store_dir() -> Path:
    """The per-user default store: every run of this user on this machine shares it."""
    return user_cache_dir() / "rate"


def configure(store: str = "auto", scale: float = 1.0, run_dir: Path | None = None,
              say: Callable[[str], None] = _stderr, spare: bool = False) -> None:
    """Set this process's settings; budgets made earlier are dropped."""
    if not scale > 0:
        raise ValueError(f"--rate-scale must be above 0, not {scale}")
    SETTINGS.store, SETTINGS.scale, SETTINGS.run_dir, SETTINGS.say = store, scale, run_dir, say
    SETTINGS.spare = spare
    _budgets.clear()


def store_spec(target_kind: str) -> str:
    """The store a target's budget lives in: with `auto`, a sandbox's (it lives only as long as its run)
    in the run directory, any other target's in the per-user directory."""
    if SETTINGS.store != "auto":
        return SETTINGS.store
    if target_kind == "sandbox" and SETTINGS.run_dir is not None:
        return str(SETTINGS.run_dir / "rate-store")
    return str(user_store_dir())


def check_store(spec: str) -> None:
    """Open and close the store, so an unreachable one is refused before anything runs (StoreError)."""
    if spec == OFF:
        return
    open_store(str(user_store_dir()) if spec == "auto" else spec).close()


def _store(spec: str) -> Store:
    if spec not in _stores:
        _stores[spec] = open_store(spec)
    return _stores[spec]


def budget_for(contract: Contract, base_url: str, target_kind: str, replaying: bool) -> Budget:
    """This process's budget for one provider and target (shared by every Api on it)."""
    key = (contract.provider, base_url, replaying)
    if key not in _budgets:
        rl = contract.rate_limit
        store = None
        if rl is not None and not replaying and SETTINGS.store != OFF:
            try:
                store = _store(store_spec(target_kind))
            except StoreError as exc:
                raise HarnessError(str(exc)) from None
        counters = SETTINGS.run_dir / COUNTERS_DIR if SETTINGS.run_dir and rl is not None else None
        _budgets[key] = Budget(rl, contract.provider, base_url, target_kind, store, replaying,
                               scale=1.0 if replaying else SETTINGS.scale, counters_dir=counters,
                               pacing=SETTINGS.store != OFF)
    return _budgets[key]


def _digest(*parts: str) -> str:
    """Keys hash what they name: a credential never reaches the store in the clear."""
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()[:32]


@dataclass
class Counters:
    provider: str
    target: str  # the target kind: sandbox | url | cassettes
    limit: int
    window_s: float  # the window the budget paced by (documented window / scale)
    scale: float
    store: str
    requests: int = 0
    planned_429: int = 0
    planned_bursts: int = 0  # exclusive() windows that got a planned 429
    unplanned_429: int = 0
    first: float = 0.0  # time.time() when the first request asked the budget
    last: float = 0.0  # and when the last answer came
    store_error: str = ""


@dataclass
class Budget:
    """One provider's budget in this process (for every credential; each has its own bucket)."""

    rl: RateLimit | None
    provider: str
    base_url: str
    target_kind: str
    store: Store | None  # None: replay, no rate limit, or pacing off
    replaying: bool = False  # nothing waits
    pacing: bool = True  # False (`--rate-store off`): count only; nothing waits or is retried
    scale: float = 1.0
    counters_dir: Path | None = None
    scope: str = field(init=False, default="")  # the target: holds and the lease are per scope
    counters: Counters | None = field(init=False, default=None)
    _buckets: dict[str, AbstractBucket] = field(init=False, default_factory=dict)
    _owner: str | None = field(init=False, default=None)  # set while this budget holds the exclusive lease
    _announced: float = field(init=False, default=0.0)  # latest reset/retry-after seen inside the lease
    _weight: int = field(init=False, default=1)  # > 1 once the target announced a lower limit than documented
    _broken: str = field(init=False, default="")
    _flushed: float = field(init=False, default=-math.inf)  # time.monotonic() of the last flush
    _told: float = field(init=False, default=0.0)  # the end of the last wait announced
    # inside the lease: the budget key of the last counted answer, and what its window had left (None: refused,
    # or not said); None before any
    _counted: tuple[Sequence[str], int | None] | None = field(init=False, default=None)

    @property
    def spare(self) -> bool:
        """``--spare-rate-limit``: provoke no 429; the checks that would are skipped."""
        return SETTINGS.spare

    def __post_init__(self) -> None:
        self.scope = _digest(self.provider, self.base_url)
        if self.rl is not None:
            self.counters = Counters(self.provider, self.target_kind, self.rl.limit, self.window,
                                     self.scale, self.store.name if self.store else ("" if self.pacing else OFF))

    # -- time ------------------------------------------------------------------------
    @property
    def window(self) -> float:
        """The rate window in real seconds."""
        return self.rl.window / self.scale if self.rl else 0.0

    @property
    def margin(self) -> float:
        """Slack for jitter between our clock and the target's (grant time vs. arrival time)."""
        return min(0.25, 0.02 + 0.02 * self.window)

    def real(self, seconds: float) -> float:
        """Seconds on the target's clock (a header value) as real seconds."""
        return seconds / self.scale

    def believed(self, seconds: float | None) -> float | None:
        """A reset or retry-after (seconds of the target's clock) the budget follows; None for one that cannot
        be the window's: in the past, or more than BELIEVED_WINDOWS documented windows away."""
        if seconds is None or self.rl is None or not 0 <= seconds <= BELIEVED_WINDOWS * self.rl.window:
            return None
        return seconds

    def sleep(self, seconds: float) -> None:
        """Wait ``seconds`` of the target's clock (e.g. a retry-after); never in replay, never beyond belief."""
        if self.believed(seconds) is None:
            raise HarnessError(f"{self.provider}: asked to wait {seconds:g} s of the target's clock, not 0 to "
                               f"{BELIEVED_WINDOWS} rate windows; not waiting")
        if self.replaying:
            return
        if self._owner:  # keep the lease for the whole wait
            self._guard(self.store.try_lease, self.scope, self._owner, self._lease_ttl(seconds), time.time())
        self._tell(self.real(seconds), "as the target's rate-limit headers asked")
        time.sleep(max(0.0, self.real(seconds)))

    def _tell(self, wait: float, why: str) -> None:
        """Say that this process waits ``wait`` real seconds, once per wait, when it is longer than TELL_AFTER."""
        until = time.time() + wait
        if wait > TELL_AFTER and until > self._told + TELL_AFTER:
            self._told = until
            SETTINGS.say(f"apiconform: {self.provider} waits {wait:.1f} s for its rate budget ({self.base_url}): "
                         f"{why}")

    def _sane(self, hold: float, now: float) -> float:
        """A hold no header could have set (a store poisoned by an older run) is cut to one window, saying so."""
        assert self.rl is not None and self.store is not None
        if hold <= now + BELIEVED_WINDOWS * self.rl.window + 1.0:  # the documented window: any --rate-scale's hold
            return hold
        repaired = now + self.window
        self._guard(self.store.cap_hold, self.scope, repaired)
        SETTINGS.say(f"apiconform: rate store {self.store.name}: {self.provider}'s hold ({self.base_url}) was "
                     f"{hold - now:.0f} s away, more than {BELIEVED_WINDOWS} rate windows, which no rate-limit "
                     f"header can ask for; repaired to one window")
        return repaired

    def _lease_ttl(self, extra: float = 0.0) -> float:
        return 30.0 + 4 * self.window + self.real(extra)

    def _poll(self) -> float:
        return max(0.005, min(0.05, self.window / 10))

    # -- the store -------------------------------------------------------------------
    def _guard(self, op: Callable[..., Any], *args: Any) -> Any:
        """Run a store operation; a store that went away stops this budget for the rest of the run."""
        if self._broken:
            raise HarnessError(self._broken)
        assert self.store is not None
        try:
            return op(*args)
        except self.store.errors as exc:
            self._broken = (f"{store_error(exc, self.store)}: no request is sent without the shared budget, "
                            f"so the other sharers' rate is never exceeded")
            if self.counters:
                self.counters.store_error = self._broken
                self._flush(force=True)
            raise HarnessError(self._broken) from None

    def _bucket(self, secret: Sequence[str]) -> AbstractBucket:
        from pyrate_limiter import Rate

        key = _digest(self.provider, self.base_url, *secret)
        if key not in self._buckets:
            assert self.rl is not None and self.store is not None
            rate = Rate(self.rl.limit, max(1, round((self.window + self.margin) * 1000)))
            self._buckets[key] = self._guard(self.store.bucket, key, rate)
        return self._buckets[key]

    def _acquire(self, secret: Sequence[str]) -> str:
        """Wait for a lease elsewhere, a hold and the bucket; return the in-flight token."""
        from pyrate_limiter import RateItem

        store = self.store
        assert store is not None
        token = uuid.uuid4().hex
        if self._owner:
            self._guard(store.try_lease, self.scope, self._owner, self._lease_ttl(), time.time())
            return token
        bucket = self._bucket(secret)
        while True:
            now = time.time()
            owner, hold = self._guard(store.gate, self.scope, now)
            hold = self._sane(hold, now)
            if owner is not None or hold > now:
                if owner is None:
                    self._tell(hold - now, "the target said nothing is left, or a 429 or a burst asked to wait")
                time.sleep(self._poll() if owner is not None else min(hold - now, 1.0))
                continue
            # Registered before the lease is looked at again: a holder taking the lease now waits for us.
            self._guard(store.begin, self.scope, token, now + INFLIGHT_TTL)
            try:
                if self._guard(store.gate, self.scope, time.time())[0] is None:
                    item = RateItem(self.scope, bucket.now(), weight=self._weight)
                    if self._guard(bucket.put, item):
                        self._guard(bucket.leak, item.timestamp)
                        return token
                    wait = self._guard(bucket.waiting, item) / 1000
                else:
                    wait = self._poll()
            except BaseException:
                self._guard(store.finish, self.scope, token, 0.0)
                raise
            self._guard(store.finish, self.scope, token, 0.0)  # not sent
            self._tell(wait, f"the documented rate ({self.rl.limit} per {self.rl.window:g} s) is spent")
            time.sleep(max(wait, 0.001))

    # -- the three entry points --------------------------------------------------------
    def send(self, secret: Sequence[str], send: Callable[[], Answer]) -> Answer:
        """Send through the budget: wait for it, send, read the answer, retry an unplanned 429.

        ``send`` returns an ``httpx.Response`` or an ``Exchange`` (the raw probe's): the budget
        only reads the status and the headers.
        """
        if self.rl is None:
            return send()
        if self._broken:
            raise HarnessError(self._broken)
        assert self.counters is not None
        self.counters.first = self.counters.first or time.time()
        for _ in range(MAX_RETRIES + 1):
            token = self._acquire(secret) if self.store else ""
            try:
                response = send()
            finally:
                if self.store:
                    self._guard(self.store.finish, self.scope, token, time.time())
            if self._owner is not None:
                self._note(secret, response)
            if not self._observe(response):
                return response
        raise HarnessError(f"{self.provider}: still {self.rl.status} after waiting it out {MAX_RETRIES} times; the "
                           f"target's limit is lower than the budget can follow")

    def _observe(self, response: Answer) -> bool:
        """Count the answer and follow what it says; True: an unplanned 429, send again."""
        assert self.rl is not None and self.counters is not None
        now = time.time()
        counters = self.counters
        counters.requests += 1
        counters.last = now
        status = response.status_code if isinstance(response, httpx.Response) else response.status
        reading = headers.read(self.rl, status, response.headers)
        exceeded = status == self.rl.status
        if reading.limit and reading.limit < self.rl.limit:  # each request now spends a larger share
            self._weight = max(self._weight, math.ceil(self.rl.limit / reading.limit))
        told = reading.reset_in(self.scale, now)
        reset = self.believed(told)  # one that cannot be the window's is the reset check's failure, not a wait
        if self.store is not None and self._owner is None and reading.remaining is not None and not reading.exempt:
            self._guard(self.store.note_left, self.scope, 0 if exceeded else reading.remaining, now)
        if self._owner is not None:  # inside a planned burst: the check reads the 429 itself
            counters.planned_429 += exceeded
            waits = [w for w in (self.believed(reading.retry_after), reset) if w is not None]
            self._announced = max([self._announced, *(now + self.real(w) for w in waits)])
        elif exceeded:
            counters.unplanned_429 += 1
            told = next((w for w in (reading.retry_after, told) if w is not None), None)
            if told is not None and told > BELIEVED_WINDOWS * self.rl.window:  # a daily quota, or a garbled header
                self._flush(force=True)
                raise HarnessError(f"{self.provider}: an unplanned {status} asks to wait {self.real(told):.0f} s, "
                                   f"more than {BELIEVED_WINDOWS} rate windows; not waiting")
            believed = self.believed(told)
            wait = self.real(self.rl.window if believed is None else believed)
            self._tell(wait, f"an unplanned {status}")
            self._hold(now + wait + self.margin)
        elif reading.remaining == 0 and not reading.exempt:  # the target says nothing is left: everyone waits
            self._hold(now + self.real(reset if reset is not None else self.rl.window) + self.margin)
        self._flush()
        return exceeded and self._owner is None and self.pacing

    def _hold(self, until: float) -> None:
        if self.store is not None:
            self._guard(self.store.raise_hold, self.scope, until)

    @contextlib.contextmanager
    def exclusive(self, fresh: bool = True, late: bool = False) -> Iterator[None]:
        """Have the budget to yourself, e.g. to exceed the limit on purpose.

        Entering waits until no sharer has a request in flight and, when ``fresh``, the window of the
        last one is over, so the burst starts on a fresh window; without ``fresh`` it goes on in the
        window the others have partly spent (the burst reads how much from the target's headers, and
        sends only what is left). ``late`` (without ``fresh``) first lets the others spend the window
        down to what a burst should cost (:meth:`_wait_late`). Inside, nothing is paced or retried and
        a 429 counts as planned. Leaving holds every sharer until the burst's window has reset.
        """
        if self.rl is None or self._owner is not None:
            yield
            return
        store = self.store
        owner = uuid.uuid4().hex
        before = self.counters.planned_429 if self.counters else 0
        if store is None:  # replay: the recorded burst plays back as it was
            self._owner = owner
            try:
                yield
            finally:
                self._owner = None
                self._count_burst(before)
            return
        if late and not fresh:
            self._wait_late()
        while not self._guard(store.try_lease, self.scope, owner, self._lease_ttl(), time.time()):
            time.sleep(self._poll())
        self._owner, self._announced, self._counted = owner, 0.0, None
        try:
            self._wait_quiet(fresh)
            yield
        finally:
            self._owner = None
            self._count_burst(before)
            try:
                self._leave()
            finally:
                self._guard(store.release, self.scope, owner)

    def _note(self, secret: Sequence[str], response: Answer) -> None:
        """Remember what the lease's last counted answer left in its window (an exempt one counts nothing)."""
        assert self.rl is not None
        status = response.status_code if isinstance(response, httpx.Response) else response.status
        reading = headers.read(self.rl, status, response.headers)
        if not reading.exempt:
            self._counted = (tuple(secret), None if status == self.rl.status else reading.remaining)

    def _leave(self) -> None:
        """Hold the sharers as long as the lease's window may still refuse them.

        Nothing counted: no hold. A last answer served in a window that has requests left (a burst that
        waited out its 429 and was served again): the sharers go on at once, with the requests the target
        counted in that window entered in their bucket, so they spend only what is left. Otherwise, or when
        the bucket has no room for them, until a window after the last request (or the reset it was told).
        """
        assert self.rl is not None and self.store is not None
        now = time.time()
        announced = self._announced + self.margin
        if self._counted is None:
            self._hold(max(now, announced))
            return
        secret, left = self._counted
        if left:
            from pyrate_limiter import RateItem

            bucket = self._bucket(secret)
            item = RateItem(self.scope, bucket.now(), weight=max(1, self.rl.limit - left) * self._weight)
            if self._guard(bucket.put, item):
                self._guard(bucket.leak, item.timestamp)
                self._hold(max(now, announced))
                return
        _, done = self._guard(self.store.quiet, self.scope, now)
        self._hold(max(now, done + self.window + self.margin, announced))

    def _count_burst(self, before: int) -> None:
        if self.counters is not None and self.counters.planned_429 > before:
            self.counters.planned_bursts += 1

    def _wait_late(self) -> None:
        """Wait, without the lease, while the other sharers spend the window: until the target's latest answer
        says at most LATE_SHARE of the limit (and more than none) is left, so a burst sends only that; or until
        nobody is spending it (nothing in flight, no hold, nothing answered for LATE_IDLE seconds, a window at
        most, since the wait began: the burst is the run's last request, or the only one).

        A burst that starts on a window the others have just begun costs the whole limit, and the sharers
        wait for its reset: about a window of the run's time. Started late, it costs what they left.
        """
        assert self.rl is not None and self.store is not None
        store, low, idle = self.store, max(1, int(self.rl.limit * LATE_SHARE)), min(LATE_IDLE, self.window)
        began = told = time.time()
        while True:
            now = time.time()
            if told == began and now - began > TELL_AFTER:
                told = now
                SETTINGS.say(f"apiconform: {self.provider}'s burst above the limit waits until the other checks "
                             f"have spent the window down to {low} left, or nobody has sent for {idle:.1f} s "
                             f"({self.base_url})")
            left, at = self._guard(store.left, self.scope)
            if left is not None and 0 < left <= low and now - at < self.window:
                return
            busy, done = self._guard(store.quiet, self.scope, now)
            _, hold = self._guard(store.gate, self.scope, now)
            if not busy and hold <= now and now - max(done, began) >= idle:
                return
            time.sleep(self._poll())

    def _wait_quiet(self, fresh: bool) -> None:
        store = self.store
        assert store is not None and self._owner is not None
        while True:
            now = time.time()
            busy, done = self._guard(store.quiet, self.scope, now)
            _, hold = self._guard(store.gate, self.scope, now)
            start = max(done + self.window + self.margin if fresh else now, self._sane(hold, now))
            if not busy and start <= now:
                return
            if not busy:
                self._tell(start - now, "a burst above the limit starts on a fresh window")
            self._guard(store.try_lease, self.scope, self._owner, self._lease_ttl(), now)
            time.sleep(self._poll() if busy else min(start - now, 1.0))

    # -- counters ----------------------------------------------------------------------
    def _flush(self, force: bool = False) -> None:
        """Leave this process's counters where the controller collects them.

        At most every FLUSH_EVERY seconds unless ``force``d: a write and a rename per answer took most
        of a replay's time on a slow file system. :func:`flush` writes the rest at the end of a process.
        """
        if self.counters_dir is None or self.counters is None:
            return
        now = time.monotonic()
        if not force and now - self._flushed < FLUSH_EVERY:
            return
        self._flushed = now
        self.counters_dir.mkdir(parents=True, exist_ok=True)
        path = self.counters_dir / f"{_digest(self.provider, self.base_url)}-{os.getpid()}.json"
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self.counters)))
        os.replace(tmp, path)


def flush() -> None:
    """Write this process's counters now (an xdist worker at its end; :func:`collect` before it reads)."""
    for budget in _budgets.values():
        budget._flush(force=True)


def collect(run_dir: Path) -> dict[str, dict[str, Any]]:
    """Every process's counters, summed per provider: the ``rate`` object of results.json."""
    flush()
    out: dict[str, dict[str, Any]] = {}
    spans: dict[str, list[float]] = {}
    for path in sorted((run_dir / COUNTERS_DIR).glob("*.json")):
        c = json.loads(path.read_text())
        entry = out.setdefault(c["provider"], {"requests": 0, "planned_429": 0, "planned_bursts": 0,
                                               "unplanned_429": 0,
                                               "limit": c["limit"], "window_s": c["window_s"], "scale": c["scale"],
                                               "target": c["target"], "store": c["store"]})
        for name in ("requests", "planned_429", "planned_bursts", "unplanned_429"):
            entry[name] += c.get(name, 0)
        if c["store_error"]:
            entry["store_error"] = c["store_error"]
        if c["requests"]:
            spans.setdefault(c["provider"], []).extend((c["first"], c["last"]))
    for provider, entry in out.items():
        span = spans.get(provider, [0.0])
        entry["wall_s"] = round(max(span) - min(span), 3)
        entry["min_wall_s"] = round(entry["requests"] * entry["window_s"] / entry["limit"], 3)
        # the floor: the same requests at the documented rate (the window before --rate-scale)
        entry["floor_s"] = round(entry["min_wall_s"] * entry["scale"], 3)
    return dict(sorted(out.items()))


def problems(rate: dict[str, dict[str, Any]]) -> list[str]:
    """What makes a run red besides its verdicts: an unplanned 429 from a sandbox is the budget's defect."""
    found = []
    for provider, entry in rate.items():
        if entry["unplanned_429"] and entry["target"] == "sandbox":
            found.append(f"{provider}: {entry['unplanned_429']} unplanned 429(s) from the sandbox: the rate "
                         f"budget let the run exceed the rate")
    return found
