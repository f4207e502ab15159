"""A webhook receiver for the suite: HTTPS on loopback, from a thread of the test's process.

It answers every POST with 204 and keeps what arrived (headers and the raw body, byte for byte:
a signature is over those bytes). Its TLS is a throw-away trustme CA of its own, whose PEM the
run hands to the sandbox when it registers the URL, so the sandbox verifies the receiver as a
real provider verifies a merchant's endpoint.
"""
from __future__ import annotations

import queue
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from starlette.requests import Request
    from starlette.responses import Response

PATH = "/apiconform/webhooks"


@dataclass(frozen=True)
class Delivery:
    headers: dict[str, str]  # names lower-cased
    body: bytes


@dataclass
class Receiver:
    url: str
    ca_pem: str
    inbox: queue.Queue[Delivery]

    def next(self, timeout: float) -> Delivery | None:
        """The next delivery, or None once ``timeout`` seconds passed without one (never a hang)."""
        try:
            return self.inbox.get(timeout=timeout)
        except queue.Empty:
            return None


@contextmanager
def receiving() -> Iterator[Receiver]:
    # The server stack (starlette, uvicorn, trustme) is imported here, where a live check needs it: a
    # replayed webhook check reads its deliveries from the cassette and only needs Delivery.
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    from apiconform.sandbox.server import serving_in_thread
    from apiconform.sandbox.tls import make_tls

    inbox: queue.Queue[Delivery] = queue.Queue()

    async def receive(request: Request) -> Response:
        inbox.put(Delivery({k.lower(): v for k, v in request.headers.items()}, await request.body()))
        return Response(status_code=204)

    app = Starlette(routes=[Route(PATH, receive, methods=["POST"])])
    with tempfile.TemporaryDirectory(prefix="apiconform-receiver-") as folder:
        tls = make_tls(folder)
        with serving_in_thread(app, tls) as base:
            yield Receiver(base + PATH, tls.ca_path.read_text(), inbox)
