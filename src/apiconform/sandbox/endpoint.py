"""The ASGI endpoint every sandbox mounts: one request handler whose crashes are logged, never answered."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send


def endpoint(handle: Callable[[Request], Awaitable[Response]], log: logging.Logger) -> ASGIApp:
    """An ASGI app answering each request with ``handle``'s response.

    An exception in ``handle`` is logged on the provider's ``log`` and re-raised, so the server answers a bare
    500: a sandbox bug must still not look like a conformant answer.
    """
    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        request = Request(scope, receive)
        try:
            response = await handle(request)
        except Exception:
            log.exception("sandbox error on %s %s", request.method, request.url.path)
            raise
        await response(scope, receive, send)

    return app
