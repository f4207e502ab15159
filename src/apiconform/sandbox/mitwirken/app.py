"""The Mitwirken sandbox as one Starlette app: a catch-all that authenticates, then dispatches.

In front of it the shared rate-limit block (sandbox/ratelimit.py): 2 requests per second and
key (seeds/000 Rate limit; per key is assumed), IETF ratelimit-* headers on every answer and
retry-after only on the 429. Then, in order (providers/mitwirken.md §10): no key 401, an
invalid key 403, a restricted key doing anything but getting members 401 restricted_api_key;
then the endpoint (404 not_found).
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox import bearer
from apiconform.sandbox.endpoint import endpoint
from apiconform.sandbox.fallback import CatchAll
from apiconform.sandbox.mitwirken import members
from apiconform.sandbox.mitwirken.errors import (
    ApiError,
    error_response,
    invalid_api_key,
    method_not_allowed,
    missing_api_key,
    rate_limit_exceeded,
    restricted_api_key,
)
from apiconform.sandbox.mitwirken.faults import RESTRICTED_ONCE_UPDATED
from apiconform.sandbox.mitwirken.handlers import Ctx, dispatch
from apiconform.sandbox.ratelimit import RateLimitConfig, RateLimitMiddleware
from apiconform.sandbox.reach import FaultSet

KEY_PREFIX = "mit_"
READ = "read"
METHODS = ("GET", "POST", "PATCH", "DELETE")
RATE_LIMIT, RATE_WINDOW = 2, 1.0  # requests per window (seconds), per key
log = logging.getLogger(__name__)


def authenticate(request: Request, keys: bearer.Keyring, faults: frozenset[str]) -> bearer.ApiKey:
    """The request's key, or the documented refusal: 401 when missing, 403 when invalid."""
    try:
        key = keys.identify(request.headers.get("authorization"))
    except bearer.KeyRefused as refused:
        if refused.reason == bearer.REVOKED and refused.key and "revoked-key-accepted" in faults:
            return refused.key
        if refused.reason == bearer.MISSING:
            error = invalid_api_key() if "missing-key-403" in faults else missing_api_key()
            raise error from None
        if (refused.reason == bearer.UNKNOWN and "unknown-key-401" in faults) or (
                refused.reason == bearer.MALFORMED and "malformed-key-401" in faults):
            raise missing_api_key() from None
        raise invalid_api_key() from None
    if key.scope != READ and "full-key-refused" in faults:
        raise invalid_api_key()
    return key


def authorise(key: bearer.ApiKey, method: str, segments: list[str], faults: frozenset[str]) -> None:
    """A restricted key may only get members (M3: restricted_api_key)."""
    if key.scope != READ:
        return
    if (method != "GET" and "restricted-key-can-write" not in faults) or (
            method == "GET" and "restricted-key-cannot-read" in faults) or (
            method == "GET" and len(segments) == 2 and "restricted-key-cannot-read-one" in faults):
        raise restricted_api_key()


async def handle(request: Request, ctx: Ctx, keys: bearer.Keyring) -> Response:
    try:
        key = authenticate(request, keys, ctx.faults)
        segments = [s for s in request.url.path.split("/") if s]
        try:
            authorise(key, request.method, segments, ctx.faults)
        except ApiError:
            if "restricted-write-applied" in ctx.faults or (  # refuses, but only after doing the write
                    RESTRICTED_ONCE_UPDATED in ctx.faults and segments[1:] and segments[1] in ctx.store.updated):
                await dispatch(ctx, request.method, segments)
            raise
        return await dispatch(ctx, request.method, segments)
    except ApiError as error:
        return error_response(error, ctx.faults)


def create_app(faults: frozenset[str], rate_scale: float = 1.0) -> tuple[Starlette, dict[str, str]]:
    """A fresh account (24 members, three keys) and the app serving it; plus the env naming the keys.

    ``rate_scale`` runs the rate limit's clock that many times faster (its headers still read as
    at the documented rate).
    """
    faults = FaultSet(faults)
    store = members.seed()
    keys = bearer.Keyring(KEY_PREFIX)
    full, restricted, revoked = keys.issue("full"), keys.issue("restricted", READ), keys.issue("revoked", revoked=True)

    limited = RateLimitConfig(limit=RATE_LIMIT, window=RATE_WINDOW, scale=rate_scale, faults=faults,
                              error=lambda _retry_after: error_response(rate_limit_exceeded(), faults))
    served = endpoint(lambda request: handle(request, Ctx(request, store, faults), keys), log)
    route = CatchAll(served, METHODS, lambda _request: error_response(method_not_allowed(), faults))
    app = Starlette(routes=[route], middleware=[Middleware(RateLimitMiddleware, config=limited)])
    app.state.base_url = "https://127.0.0.1"
    app.state.isolated = [store]  # what a check can change: restored per check under --isolate-checks
    return app, {"MITWIRKEN_API_KEY": full.value, "MITWIRKEN_RESTRICTED_API_KEY": restricted.value,
                 "MITWIRKEN_REVOKED_API_KEY": revoked.value}
