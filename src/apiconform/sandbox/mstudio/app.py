"""The mStudio sandbox as one Starlette app: rate limit, then event consistency, then auth and dispatch.

In front, the shared rate-limit block: 20 requests per 4 s and token (the numbers are undocumented
for v2, so assumed; suites/mstudio/contract.toml), X-RateLimit-* on every answer and
``X-RateLimit-Exempt: yes`` on the session-status route. Then the shared consistency block
(sandbox/events.py): if-event-reached waits, 412 after the timeout. Then the token (X-Access-Token
or Authorization: Bearer; missing, unknown, expired or deleted: 401), an api_read token's writes
(403), and the endpoint.

The lag and the timeout are on the sandbox's clock (``rate_scale`` runs it faster) and can be set
with MSTUDIO_SANDBOX_LAG and MSTUDIO_SANDBOX_EVENT_TIMEOUT (seconds; defaults 1 and the documented 10).
"""
from __future__ import annotations

import logging
import os
import re
from datetime import UTC, datetime, timedelta

from starlette.applications import Starlette
from starlette.datastructures import Headers
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import Response
from starlette.types import Scope

from apiconform.sandbox.endpoint import endpoint
from apiconform.sandbox.events import ConsistencyMiddleware, Events
from apiconform.sandbox.fallback import CatchAll
from apiconform.sandbox.mstudio import store as st
from apiconform.sandbox.mstudio.errors import ApiError, error_response, forbidden, json_response, unauthorized
from apiconform.sandbox.mstudio.handlers import Ctx, dispatch
from apiconform.sandbox.ratelimit import RateLimitConfig, RateLimitMiddleware
from apiconform.sandbox.reach import FaultSet

RATE_LIMIT, RATE_WINDOW = 20, 4.0
EXEMPT = "/v2/users/self/sessions/current/status"
WRITES = ("POST", "PUT", "PATCH", "DELETE")
_ONE_RECORD = re.compile(r"/[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")  # a path ending in an id
log = logging.getLogger(__name__)


def presented(headers: Headers, faults: frozenset[str], method: str = "GET") -> str | None:
    """The token a request carries: X-Access-Token, else Authorization: Bearer."""
    token = headers.get("x-access-token")
    if token and "access-token-refused" not in faults:
        return token.strip()
    scheme, _, value = (headers.get("authorization") or "").partition(" ")
    if scheme.lower() == "bearer" and value.strip() and "bearer-refused" not in faults \
            and not (method in WRITES and "bearer-refused-on-writes" in faults):
        return value.strip()
    return None


def authenticate(request: Request, store: st.Store, revoked: dict[str, st.Record], faults: frozenset[str]
                 ) -> st.Record:
    value = presented(request.headers, faults, request.method)
    if value is None:
        raise forbidden("no access token") if "missing-token-403" in faults else unauthorized()
    record = store.token_by_secret(value)
    if record is None and "deleted-token-accepted" in faults:
        record = revoked.get(value)
    if record is None:
        raise forbidden("access token invalid") if "unknown-token-403" in faults else unauthorized()
    expires = record.get("expiresAt")
    if expires and datetime.fromisoformat(expires.replace("Z", "+00:00")) <= datetime.now(UTC) \
            and "expired-token-accepted" not in faults:
        raise unauthorized()
    if request.method in WRITES and "api_write" not in record["roles"] and "read-token-can-write" not in faults:
        raise forbidden("this token may only read (api_read)")
    if request.method == "GET" and "api_write" not in record["roles"] and _ONE_RECORD.search(request.url.path) \
            and "read-token-cannot-read-one" in faults:
        raise forbidden("this token may only read (api_read)")
    return record


def _seconds(name: str, default: float) -> float:
    return float(os.environ.get(name, default))


def create_app(faults: frozenset[str], rate_scale: float = 1.0) -> tuple[Starlette, dict[str, str]]:
    """A fresh account (one user, 13 projects, three tokens) and the app serving it; plus the env naming the tokens."""
    faults = FaultSet(faults)
    store = st.seed()
    full = store.add_token("apiconform owner", ["api_read", "api_write"])
    read = store.add_token("apiconform reader", ["api_read"])
    past = st.timestamp(datetime.now(UTC) - timedelta(days=1))
    expired = store.add_token("apiconform expired", ["api_read", "api_write"], expires=past)
    revoked: dict[str, st.Record] = {}  # secret -> the deleted token, for the fault that still accepts it
    events = Events(lag=_seconds("MSTUDIO_SANDBOX_LAG", 1.0), timeout=_seconds("MSTUDIO_SANDBOX_EVENT_TIMEOUT", 10.0),
                    scale=rate_scale, faults=faults)

    async def handle(request: Request) -> Response:
        try:
            segments = [s for s in request.url.path.split("/") if s]
            token = authenticate(request, store, revoked, faults)
            if segments[:1] != ["v2"]:
                raise ApiError(404, "NotFound", "route not found")
            before = dict(store.tokens)
            response = await dispatch(Ctx(request, store, events, faults, token), request.method, segments[1:])
            revoked.update({r["secret"]: r for k, r in before.items() if k not in store.tokens})
            return response
        except ApiError as error:
            return error_response(error, faults)

    def too_many(_retry_after: float) -> Response:
        """The spec's commons.RateLimitError; its own faults, not the error-body ones, change it."""
        kind = "TooManyRequests" if "ratelimit-429-untyped" in faults else "RateLimitError"
        body = {} if "ratelimit-429-empty" in faults else {"type": kind, "message": "too many requests"}
        return json_response(body, faults, 429)

    def timed_out() -> Response:
        return error_response(ApiError(412, "PreconditionFailed", "the event was not reached in time"), faults)

    limited = RateLimitConfig(
        limit=RATE_LIMIT, window=RATE_WINDOW, scale=rate_scale, faults=faults, error=too_many,
        names={"limit": "X-RateLimit-Limit", "remaining": "X-RateLimit-Remaining", "reset": "X-RateLimit-Reset",
               "retry_after": "Retry-After", "exempt": "X-RateLimit-Exempt"},
        key=_token_key, exempt=None if "exempt-unmarked" in faults else (lambda scope: scope["path"] == EXEMPT))
    route = CatchAll(endpoint(handle, log), ("GET", "POST", "PUT", "PATCH", "DELETE"),
                      lambda _request: error_response(ApiError(405, "MethodNotAllowed", "method not allowed"), faults))
    app = Starlette(routes=[route],
                    middleware=[Middleware(RateLimitMiddleware, config=limited),
                                Middleware(ConsistencyMiddleware, events=events, timed_out=timed_out)])
    app.state.base_url = "https://127.0.0.1"
    app.state.isolated = [store, revoked]  # what a check can change: restored per check under --isolate-checks
    return app, {"MSTUDIO_API_TOKEN": full["secret"], "MSTUDIO_READ_TOKEN": read["secret"],
                 "MSTUDIO_EXPIRED_TOKEN": expired["secret"]}


def _token_key(scope: Scope) -> str:
    """The rate limit counts per token (assumed: the docs say "for your current user")."""
    headers = Headers(scope=scope)
    token = headers.get("x-access-token") or headers.get("authorization")
    return f"token:{token}" if token else f"client:{(scope.get('client') or ('?',))[0]}"
