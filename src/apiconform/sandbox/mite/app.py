"""The mite sandbox as one Starlette app: a single catch-all that does its own dispatch.

One catch-all (instead of Starlette routes) keeps every status under our control: mite
answers 406 for a wrong suffix, 404 for a method it has but not on that path (405, from the
shared fallback, only for a method it has nowhere), and its error bodies in the request's format.
"""

from __future__ import annotations

import logging

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox.endpoint import endpoint
from apiconform.sandbox.fallback import CatchAll
from apiconform.sandbox.mite import render, state
from apiconform.sandbox.mite.auth import authenticate
from apiconform.sandbox.mite.errors import FORMAT_UNSUPPORTED, ApiError, uri_missing
from apiconform.sandbox.mite.handlers import Ctx, dispatch
from apiconform.sandbox.mite.state import Store
from apiconform.sandbox.reach import FaultSet

FORMATS = ("json", "xml")
log = logging.getLogger(__name__)


def _split(path: str) -> tuple[list[str], str | None]:
    """'/customers/5.json' -> (['customers', '5'], 'json'); no suffix -> None."""
    head, _, last = path.rpartition("/")
    stem, dot, suffix = last.rpartition(".")
    if not dot:
        stem, suffix_or_none = last, None
    else:
        suffix_or_none = suffix.lower()
    segments = [s for s in head.split("/") if s] + [stem]
    return segments, suffix_or_none


def _response_format(request: Request, suffix: str, faults: frozenset[str]) -> str:
    if "accept-honoured" not in faults:
        return suffix  # mite: "the HTTP header Accept is not supported"
    accept = request.headers.get("accept", "").lower()
    if suffix == "json" and "application/xml" in accept and "application/json" not in accept:
        return "xml"
    if suffix == "xml" and "application/json" in accept and "application/xml" not in accept:
        return "json"
    return suffix


def method_not_allowed(request: Request, faults: frozenset[str]) -> Response:
    """A method mite has nowhere: 405, in the format the suffix asks for (JSON without one)."""
    _, suffix = _split(request.url.path)
    return render.error_response(suffix if suffix in FORMATS else "json", 405,
                                 f"The HTTP method {request.method} is not supported.", faults)


async def handle(request: Request, store: Store, faults: frozenset[str], base_url: str) -> Response:
    path = request.url.path
    segments, suffix = _split(path)
    if suffix not in FORMATS:
        if "unknown-suffix-404" in faults:
            return render.error_response("json", 404, uri_missing(path), faults)
        return render.error_response("json", 406, FORMAT_UNSUPPORTED, faults)
    fmt = _response_format(request, suffix, faults)
    try:
        user = authenticate(request, store, faults)
        method = request.method
        if method == "HEAD":
            method = "GET"
        elif method == "PUT":
            if "put-not-aliased" in faults:
                raise ApiError(404, uri_missing(path))
            if "put-applies-nothing" in faults:
                return render.empty_response()
            method = "PATCH"
        if any(not s for s in segments):
            raise ApiError(404, uri_missing(path))
        ctx = Ctx(request=request, store=store, faults=faults, fmt=fmt, suffix=suffix, user=user,
                  base_url=base_url)
        return await dispatch(ctx, method, segments)
    except ApiError as error:
        return render.error_response(error.fmt or fmt, error.status, error.message, faults)


def create_app(faults: frozenset[str], rate_scale: float = 1.0) -> tuple[Starlette, dict[str, str]]:
    """A fresh account and the app serving it; plus the env vars naming its credentials.

    ``rate_scale`` is part of every sandbox's signature; mite documents no rate limit, so it changes nothing.

    The server sets `app.state.base_url` (the https URL) once it knows its port; the app
    needs it for absolute Location headers.
    """
    faults = FaultSet(faults)
    store = state.seed()
    served = endpoint(lambda request: handle(request, store, faults, app.state.base_url), log)
    app = Starlette(routes=[CatchAll(served, ("GET", "HEAD", "POST", "PUT", "PATCH", "DELETE"),
                                     lambda request: method_not_allowed(request, faults))])
    app.state.base_url = "https://127.0.0.1"
    app.state.isolated = [store]  # what a check can change: restored per check under --isolate-checks
    return app, _credential_env(store)


def _credential_env(store: Store) -> dict[str, str]:
    by_name = {store.users[c.user_id]["name"]: c for c in store.credentials.values()}
    owner, tracker, revoked = by_name["Olivia Owner"], by_name["Tim Tracker"], by_name["Rita Revoked"]
    return {
        "MITE_ACCOUNT": state.ACCOUNT_NAME,
        "MITE_API_KEY": owner.api_key,
        "MITE_EMAIL": owner.email,
        "MITE_PASSWORD": owner.password,
        "MITE_TIME_TRACKER_API_KEY": tracker.api_key,
        "MITE_REVOKED_API_KEY": revoked.api_key,
    }
