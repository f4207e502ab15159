"""The sandboxes' shared rate-limit block: an ASGI middleware that enforces a per-key limit.

A provider sandbox passes parameters (limit, window, header style and names, the body of its
exceeded response) and its active faults; the block counts, answers above the limit and writes
the headers. Each key gets a fixed window that opens with its first request, so ``remaining``
counts down within a window and ``reset`` is the time left in it.

``scale`` runs the sandbox on a faster clock: the window lasts ``window / scale`` real seconds,
and every duration in a header is on the sandbox's clock (``reset: 1`` means 1/scale s), so the
headers look exactly as at the documented rate. The suite's budget divides by the same scale.

Usage, in a provider's ``create_app(faults, rate_scale)``::

    Starlette(routes, middleware=[Middleware(RateLimitMiddleware, config=RateLimitConfig(
        limit=2, window=1, error=my_429_response, scale=rate_scale, faults=faults))])
"""
from __future__ import annotations

import asyncio
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

# Fault flags: each breaks one thing a ratelimit check verifies (the key of ``[rate_limit.clauses]``).
HEADERS_MISSING = "ratelimit-headers-missing"
HEADERS_GARBLED = "ratelimit-headers-garbled"
HEADERS_MISSING_ON_WRITES = "ratelimit-headers-missing-on-writes"
LIMIT_MISMATCH = "ratelimit-limit-mismatch"
REMAINING_STUCK = "ratelimit-remaining-stuck"
REMAINING_NEGATIVE = "ratelimit-remaining-negative"
RESET_BEYOND_WINDOW = "ratelimit-reset-beyond-window"
RESET_ZERO = "ratelimit-reset-zero"
NOT_ENFORCED = "ratelimit-not-enforced"
RETRY_AFTER_MISSING = "ratelimit-retry-after-missing"
RETRY_AFTER_SHORT = "ratelimit-retry-after-short"
RESET_IN_MS = "ratelimit-reset-in-ms"
RESET_AS_EPOCH = "ratelimit-reset-as-epoch"
DELAYS_NOT_REFUSES = "ratelimit-delays-not-refuses"

#: flag -> (the ``[rate_limit.clauses]`` key it breaks, what it does); a provider builds its Faults from this.
FAULTS: dict[str, tuple[str, str]] = {
    HEADERS_MISSING: ("headers", "no rate-limit header on any response (the limit is still enforced)"),
    HEADERS_GARBLED: ("headers", "rate-limit header values are not numbers"),
    HEADERS_MISSING_ON_WRITES: ("headers", "answers to POST, PATCH, PUT and DELETE carry no rate-limit header"),
    LIMIT_MISMATCH: ("limit", "the limit header announces one more request than is enforced"),
    REMAINING_STUCK: ("remaining", "remaining (or used) never moves within a window"),
    REMAINING_NEGATIVE: ("remaining", "requests above the limit drive remaining below zero"),
    RESET_BEYOND_WINDOW: ("reset", "reset announces ten windows instead of the time left in this one"),
    RESET_ZERO: ("reset", "reset always says 0, even while the window is spent"),
    NOT_ENFORCED: ("exceeded", "requests above the limit are served"),
    RETRY_AFTER_MISSING: ("exceeded", "the exceeded response carries no retry-after"),
    RETRY_AFTER_SHORT: ("retry", "retry-after says 0 while the window is still closed"),
    RESET_IN_MS: ("reset", "reset is sent in milliseconds (1000 where 1 second is meant)"),
    RESET_AS_EPOCH: ("reset", "reset is sent as a Unix timestamp where seconds left are documented"),
    DELAYS_NOT_REFUSES: ("exceeded", "a request above the limit is held until its window has passed, then "
                                     "served (200, with its window's headers) instead of refused"),
}
#: the faults a provider takes only when it has the header they bend (its own faults.py picks them)
OPT_IN: frozenset[str] = frozenset({RESET_IN_MS, RESET_AS_EPOCH, DELAYS_NOT_REFUSES})


def authorization_key(scope: Scope) -> str:
    """The default key: the credential in the Authorization header, else the client address."""
    auth = Headers(scope=scope).get("authorization")
    return f"auth:{auth}" if auth else f"client:{(scope.get('client') or ('?',))[0]}"


@dataclass(frozen=True)
class RateLimitConfig:
    limit: int  # requests per window and key
    window: float  # seconds on the sandbox's clock
    error: Callable[[float], Response]  # the exceeded response's body, given retry-after seconds
    style: str = "remaining"  # remaining: limit/remaining/reset; used: used/max (Hive)
    names: dict[str, str] = field(default_factory=lambda: {
        "limit": "ratelimit-limit", "remaining": "ratelimit-remaining", "reset": "ratelimit-reset",
        "retry_after": "retry-after", "used": "x-rate-limit-used", "max": "x-rate-limit-max",
        "exempt": "x-ratelimit-exempt"})
    status: int = 429
    fractional_retry_after: bool = False  # "3.2" rather than "4"
    epoch_reset: bool = False  # reset as epoch seconds rather than seconds left
    exempt_value: str = "yes"
    key: Callable[[Scope], str] = authorization_key
    exempt: Callable[[Scope], bool] | None = None  # routes outside the limit (they say so in a header)
    scale: float = 1.0
    faults: frozenset[str] = frozenset()


class RateLimitMiddleware:
    """Counts requests per key in a fixed window that opens with the key's first request."""

    def __init__(self, app: ASGIApp, config: RateLimitConfig) -> None:
        self.app, self.config = app, config
        self._windows: dict[str, tuple[float, int]] = {}  # key -> (window start, requests counted)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        c = self.config
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if c.exempt is not None and c.exempt(scope):
            await self.app(scope, receive, self._with({c.names["exempt"]: c.exempt_value}, send))
            return
        now = time.monotonic()
        key = c.key(scope)
        start, count = self._windows.get(key, (now, 0))
        if now >= start + c.window / c.scale:
            start, count = now, 0
        over = count >= c.limit and NOT_ENFORCED not in c.faults
        count += 1
        self._windows[key] = (start, count if not over or REMAINING_NEGATIVE in c.faults else c.limit)
        # Sandbox seconds until the window resets, rounded to the microsecond: on a scaled clock the float
        # arithmetic makes a full window 1.0000000000000009, which whole-second headers would round up to 2.
        left = round((start + c.window / c.scale - now) * c.scale, 6)
        delayed = over and DELAYS_NOT_REFUSES in c.faults
        headers = self._headers(count, left, over and not delayed)
        if HEADERS_MISSING_ON_WRITES in c.faults and scope["method"] in ("POST", "PATCH", "PUT", "DELETE"):
            headers = {}
        if delayed:  # held until its window has passed, then served with the headers of the window it came in
            await asyncio.sleep(max(0.0, start + c.window / c.scale - time.monotonic()))
            await self.app(scope, receive, self._with(headers, send))
        elif over:
            response = c.error(left)
            response.status_code = c.status
            await response(scope, receive, self._with(headers, send))
        else:
            await self.app(scope, receive, self._with(headers, send))

    def _headers(self, count: int, left: float, over: bool) -> dict[str, str]:
        c, faults, n = self.config, self.config.faults, self.config.names
        if HEADERS_MISSING in faults:
            return {}
        counted = 1 if REMAINING_STUCK in faults else count
        limit = c.limit + 1 if LIMIT_MISMATCH in faults else c.limit
        reset = 10 * c.window if RESET_BEYOND_WINDOW in faults else 0 if RESET_ZERO in faults else left
        out = {n["max"]: str(limit), n["used"]: str(counted)} if c.style == "used" else {
            n["limit"]: str(limit), n["remaining"]: str(c.limit - counted if REMAINING_NEGATIVE in faults
                                                        else max(0, c.limit - counted)),
            n["reset"]: str(math.ceil(time.time() + reset / c.scale) if c.epoch_reset or RESET_AS_EPOCH in faults
                            else math.ceil(reset * 1000) if RESET_IN_MS in faults else math.ceil(reset))}
        if over and RETRY_AFTER_MISSING not in faults:
            wait = 0.0 if RETRY_AFTER_SHORT in faults else left
            out[n["retry_after"]] = f"{math.ceil(wait * 10) / 10:.1f}" if c.fractional_retry_after \
                else str(math.ceil(wait))
        if HEADERS_GARBLED in faults:
            out = {k: "soon" for k in out}
        return out

    @staticmethod
    def _with(extra: dict[str, str], send: Send) -> Send:
        async def wrapped(message: Message) -> None:
            if message["type"] == "http.response.start" and extra:
                headers = MutableHeaders(scope=message)
                for name, value in extra.items():
                    headers[name] = value
            await send(message)
        return wrapped
