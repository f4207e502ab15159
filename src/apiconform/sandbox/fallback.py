"""One route that hands every HTTP request to the provider, so no answer is the framework's own.

Starlette answers what no route matches itself, as ``text/plain`` ("Not Found"): ``Mount("/")``'s pattern
stops at a newline, so ``DELETE /v2/projects/%0A…`` never reached a provider. :class:`CatchAll` matches
every path, and answers a method its API has nowhere (``TRACE``) with the provider's 405 (its own error
body and media type) and an ``Allow`` header naming the methods the API has.
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Match, NoMatchFound
from starlette.types import ASGIApp, Receive, Scope, Send


class CatchAll(BaseRoute):
    """Every HTTP request to ``app``; a method outside ``methods`` gets ``not_allowed(request)`` (a 405)."""

    def __init__(self, app: ASGIApp, methods: Collection[str], not_allowed: Callable[[Request], Response]) -> None:
        self.app = app
        self.methods = frozenset(m.upper() for m in methods)
        self.allow = ", ".join(sorted(self.methods))
        self.not_allowed = not_allowed

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        return (Match.FULL, {}) if scope["type"] == "http" else (Match.NONE, {})

    def url_path_for(self, name: str, /, **path_params: Any) -> Any:
        raise NoMatchFound(name, path_params)

    async def handle(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["method"].upper() in self.methods:
            await self.app(scope, receive, send)
            return
        response = self.not_allowed(Request(scope, receive))
        response.headers["Allow"] = self.allow
        await response(scope, receive, send)
