"""Event consistency for any sandbox: mutations answer ``etag: <event id>``, reads lag behind.

An event-sourced API (mStudio, seeds/002 "Eventual Consistency") answers a mutation with the id
of the event it caused, and its read models catch up a moment later: a read of a fresh resource
may fail until then. ``if-event-reached: <id>`` makes a request wait for the event, and fail with
412 when it is not reached within the timeout (10 s documented).

``Events`` hands out ids and knows when each is applied (``lag`` after it was emitted);
``ConsistencyMiddleware`` makes requests that carry the header wait, and answers the provider's
412 when the wait times out. Durations are on the sandbox's clock (``scale`` runs it faster, as
the rate limit's). The provider's handlers call ``emit`` on each mutation, put ``etag`` on the
answer (``mutation_headers``) and hide a record whose event is not applied yet (``applied``); under the fault
``consistency-wait-stale`` an edited record reads as before the edit for a while longer (``stale_until``).
The block's faults are named here so every provider breaks consistency the same way.
"""
from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ETAG_ON_GET = "consistency-etag-on-get"
ETAG_MISSING = "consistency-etag-missing"
WAIT_IGNORED = "consistency-wait-ignored"
WAIT_STALE = "consistency-wait-stale"
NEVER_412 = "consistency-never-412"
EARLY_412 = "consistency-412-at-once"
LATE_412 = "consistency-412-late"
LAG_400 = "consistency-lag-400"
LAG_403 = "consistency-lag-403"

#: flag -> (the consistency check it breaks, what it does)
FAULTS: dict[str, tuple[str, str]] = {
    ETAG_ON_GET: ("no_etag_on_get", "GETs answer an etag too (clients take it for an event id)"),
    ETAG_MISSING: ("etag", "mutations answer without an etag"),
    WAIT_IGNORED: ("read_your_write", "if-event-reached does not wait: a fresh resource still answers the lag"),
    WAIT_STALE: ("read_your_write", "an edited record reads as it was before the edit for a lag after the edit's "
                 "event is applied, so a read that waits for the event gets the old version"),
    NEVER_412: ("timeout", "an event not reached within the timeout answers 200, not 412"),
    EARLY_412: ("timeout", "an event not reached yet answers 412 at once, without waiting for the timeout"),
    LATE_412: ("timeout", "an event not reached answers 412 after 60 s instead of the documented 10 s"),
    LAG_400: ("lag", "a read inside the lag answers 400 instead of the documented 403 or 404"),
    LAG_403: ("lag_status", "a read inside the lag answers 403 instead of the sandbox's 404"),
}
HEADER = "if-event-reached"
FIRST_EVENT = 276638689419853824  # the seed's example id: 18 decimal digits


@dataclass
class Events:
    lag: float = 1.0  # seconds until an event is applied to the read models
    timeout: float = 10.0  # seconds if-event-reached waits before 412
    scale: float = 1.0
    faults: frozenset[str] = frozenset()
    _ids: itertools.count = field(default_factory=lambda: itertools.count(FIRST_EVENT))
    _applied_at: dict[int, float] = field(default_factory=dict)

    def emit(self) -> str:
        event = next(self._ids)
        self._applied_at[event] = time.monotonic() + self.lag / self.scale
        return str(event)

    def applied(self, event: str | None) -> bool:
        """True for no event and for an event the read models have caught up with."""
        if event is None:
            return True
        at = self._applied_at.get(int(event))
        return at is not None and time.monotonic() >= at

    async def reach(self, raw: str) -> bool:
        """Wait until the event is applied; False after the timeout (an unknown id is never reached)."""
        try:
            event = int(raw.strip())
        except ValueError:
            return False
        deadline, late = time.monotonic() + self.timeout / self.scale, False
        if EARLY_412 in self.faults and event not in self._applied_at:
            return False
        while True:
            at = self._applied_at.get(event)
            now = time.monotonic()
            if at is not None and now >= at:
                return True
            if now >= deadline:
                if LATE_412 not in self.faults or late:
                    return False
                late, deadline = True, deadline + 5 * self.timeout / self.scale  # six timeouts in all
            await asyncio.sleep(min(0.02, deadline - now, (at - now) if at is not None else 0.02))

    def lag_status(self, status: int) -> int:
        """What a read inside the lag answers (the provider's ``status``, unless a fault says otherwise)."""
        return 400 if LAG_400 in self.faults else 403 if LAG_403 in self.faults else status

    def stale_until(self) -> float | None:
        """Under ``consistency-wait-stale``: until when (``time.monotonic()``) an edit just made reads as before
        it, one lag after its event is applied; else None."""
        return time.monotonic() + 2 * self.lag / self.scale if WAIT_STALE in self.faults else None

    def mutation_headers(self, event: str) -> dict[str, str]:
        return {} if ETAG_MISSING in self.faults else {"etag": event}


class ConsistencyMiddleware:
    """Requests carrying if-event-reached wait for their event; ``timed_out()`` answers the rest (412)."""

    def __init__(self, app: ASGIApp, events: Events, timed_out: Callable[[], Response]) -> None:
        self.app, self.events, self.timed_out = app, events, timed_out

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = Headers(scope=scope).get(HEADER)
        if raw is not None and WAIT_IGNORED not in self.events.faults:
            if not await self.events.reach(raw) and NEVER_412 not in self.events.faults:
                await self.timed_out()(scope, receive, send)
                return
        if scope["method"] == "GET" and ETAG_ON_GET in self.events.faults:
            event = self.events.emit()
            send = _with_etag(event, send)
        await self.app(scope, receive, send)


def _with_etag(event: str, send: Send) -> Send:
    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            MutableHeaders(scope=message)["etag"] = event
        await send(message)
    return wrapped
