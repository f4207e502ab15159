"""The Hive sandbox as one Starlette app: rate limit, then Bearer authentication, then the endpoint.

In front, the shared rate-limit block (sandbox/ratelimit.py): 100 requests per minute and key
(seed 003), ``X-Rate-Limit-Used`` and ``X-Rate-Limit-Max`` on every answer, and a fractional
``Retry-After`` on the 429. A missing or wrong key gets 401 ``["authentication required"]``.
The API lives below /merchant_api/v1; anything else is 404.
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
from apiconform.sandbox.hive import store as st
from apiconform.sandbox.hive.errors import (
    AUTHENTICATION_REQUIRED,
    NOT_FOUND,
    TOO_MANY_REQUESTS,
    ApiError,
    error_response,
)
from apiconform.sandbox.hive.handlers import Ctx, dispatch
from apiconform.sandbox.ratelimit import RateLimitConfig, RateLimitMiddleware
from apiconform.sandbox.reach import FaultSet
from apiconform.sandbox.webhooks import Webhooks

BASE_PATH = "/merchant_api/v1"
RATE_LIMIT, RATE_WINDOW = 100, 60.0  # requests per window (seconds), per key
SIGNATURE_HEADER = "x-hive-signature"
log = logging.getLogger(__name__)


def authenticate(request: Request, keys: bearer.Keyring, faults: frozenset[str]) -> bearer.ApiKey:
    try:
        key = keys.identify(request.headers.get("authorization"))
    except bearer.KeyRefused as refused:
        if refused.reason == bearer.MALFORMED and "malformed-key-400" in faults:
            raise ApiError(400, "bad request") from None
        raise ApiError(401, AUTHENTICATION_REQUIRED) from None
    if "bearer-refused" in faults:
        raise ApiError(401, AUTHENTICATION_REQUIRED)
    return key


def create_app(faults: frozenset[str], rate_scale: float = 1.0) -> tuple[Starlette, dict[str, str]]:
    """A fresh shop (three SKUs, an order and its shipment, a return, a restocking shipment) and one key."""
    faults = FaultSet(faults)
    store = st.seed()
    keys = bearer.Keyring("")
    token = keys.issue("merchant")
    webhooks = Webhooks(SIGNATURE_HEADER, faults)

    async def handle(request: Request) -> Response:
        try:
            path = request.url.path
            if not (path == BASE_PATH or path.startswith(BASE_PATH + "/")):
                raise ApiError(404, NOT_FOUND)
            key = authenticate(request, keys, faults)
            segments = [s for s in path[len(BASE_PATH):].split("/") if s]
            return await dispatch(Ctx(request, store, faults, webhooks, key.value), request.method, segments)
        except ApiError as error:
            return error_response(error, faults)

    limited = RateLimitConfig(limit=RATE_LIMIT, window=RATE_WINDOW, style="used", fractional_retry_after=True,
                              scale=rate_scale, faults=faults,
                              error=lambda _left: error_response(ApiError(429, TOO_MANY_REQUESTS), faults))
    route = CatchAll(endpoint(handle, log), ("GET", "POST", "PUT", "PATCH", "DELETE"),
                      lambda _request: error_response(ApiError(405, "method not allowed"), faults))
    app = Starlette(routes=[route],
                    middleware=[Middleware(RateLimitMiddleware, config=limited)])
    app.state.isolated = [store]  # what a check can change: restored per check under --isolate-checks
    return app, {"HIVE_API_KEY": token.value, "HIVE_WEBHOOK_TRIGGER": "1"}
