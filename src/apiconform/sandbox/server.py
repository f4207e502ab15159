"""Serving a sandbox app: HTTPS on loopback, plus a plain-HTTP port that never serves the API.

The plain-HTTP port either redirects to HTTPS (`redirect`, mite) or refuses every connection
(`refuse`, for APIs that "do not support HTTP"): its socket is bound, so the port stays ours and
can be named, but never listens, so the kernel answers each connection attempt with a reset.

Both uvicorn servers share one asyncio loop. We bind the sockets ourselves so port 0 can pick
free ports, and we own signal handling (uvicorn would re-raise the signal after shutdown).
Faults that break HTTP framing itself, which no ASGI app can do, go through
:func:`send_stray_body`.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass

import uvicorn
from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uvicorn.protocols.http.auto import AutoHTTPProtocol

from apiconform.sandbox.tls import TlsFiles

HOST = "127.0.0.1"
PLAIN_HTTP_FAULT = "plain-http-served"
PLAIN_HTTP_MODES = ("redirect", "refuse")
# Idle TLS keep-alive clients can hold a graceful shutdown open for ssl_shutdown_timeout (30 s);
# a sandbox has nothing worth waiting for, so stop waiting soon.
SHUTDOWN_GRACE = 1.0
STRAY_BODY = "apiconform.stray_body"  # scope key: bytes the server writes after the response's header block


def bind(port: int = 0, listen: bool = True) -> socket.socket:
    # IPPROTO_TCP explicitly: asyncio turns Nagle off (TCP_NODELAY) only on accepted sockets whose proto
    # says TCP, and with Nagle on, every answer after the first on a keep-alive connection waited ~40 ms
    # for the client's delayed ACK between its header and body writes.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((HOST, port))
    if listen:
        sock.listen(128)
    sock.setblocking(False)
    return sock


def send_stray_body(scope: Scope, data: bytes) -> None:
    """Have this response followed on the wire by ``data``, whatever its framing says (a fault).

    uvicorn (h11 and httptools alike) writes no body for a HEAD response or a 304, as RFC 9110
    asks, so an app cannot send one; the connection's protocol (:class:`_StrayBodyProtocol`)
    writes these bytes straight to the transport instead. A client that keeps the connection
    alive then reads them as the start of its next response.
    """
    scope[STRAY_BODY] = data


class _StrayBodyProtocol(AutoHTTPProtocol):  # type: ignore[misc,valid-type]
    """uvicorn's own HTTP protocol, which honours :func:`send_stray_body` on each connection."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        app = self.app

        async def with_stray_body(scope: Scope, receive: Receive, send: Send) -> None:
            async def send_(message: Message) -> None:
                # Before the last body message: uvicorn may close the connection right after it.
                if message["type"] == "http.response.body" and not message.get("more_body") and STRAY_BODY in scope:
                    transport.write(scope.pop(STRAY_BODY))
                await send(message)

            await app(scope, receive, send_)

        self.app = with_stray_body


class _Server(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:  # the sandbox main loop handles signals
        yield


def redirect_app(https_base: str) -> ASGIApp:
    """HTTPS only, the polite way: answer everything with 301 to the https URL, no body."""

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return
        target = https_base + scope["path"]
        if scope.get("query_string"):
            target += "?" + scope["query_string"].decode("latin-1")
        headers = [
            (b"location", target.encode("latin-1")),
            (b"content-length", b"0"),
            (b"server", b"apiconform-sandbox"),
        ]
        await send({"type": "http.response.start", "status": 301, "headers": headers})
        await send({"type": "http.response.body", "body": b""})

    return app


@dataclass
class Listening:
    https_url: str
    http_url: str


def _config(app: ASGIApp, tls: TlsFiles | None) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        host=HOST,
        log_level="warning",
        access_log=False,
        lifespan="off",
        http=_StrayBodyProtocol,
        server_header=False,  # the app sends its own Server header
        timeout_graceful_shutdown=SHUTDOWN_GRACE,
        ssl_certfile=str(tls.cert_path) if tls else None,
        ssl_keyfile=str(tls.key_path) if tls else None,
    )


async def serve(
    make_app: Callable[[str], ASGIApp],
    tls: TlsFiles,
    faults: frozenset[str],
    on_ready: Callable[[Listening], None],
    stop: asyncio.Event,
    port: int = 0,
    plain_http: str = "redirect",
) -> None:
    """Serve until `stop` is set. `make_app(https_base_url)` builds the API app.

    `plain_http` (one of PLAIN_HTTP_MODES) is what the plain-HTTP port does; the fault
    `plain-http-served` makes it serve the API instead, whatever the mode.
    """
    if plain_http not in PLAIN_HTTP_MODES:
        raise ValueError(f"plain_http {plain_http!r} is not one of {PLAIN_HTTP_MODES}")
    served = PLAIN_HTTP_FAULT in faults
    https_sock, http_sock = bind(port), bind(0, listen=served or plain_http == "redirect")
    https_url = f"https://{HOST}:{https_sock.getsockname()[1]}"
    http_url = f"http://{HOST}:{http_sock.getsockname()[1]}"
    api = make_app(https_url)
    servers = [_Server(_config(api, tls))]
    tasks = [asyncio.create_task(servers[0].serve(sockets=[https_sock]))]
    if served or plain_http == "redirect":
        servers.append(_Server(_config(api if served else redirect_app(https_url), None)))
        tasks.append(asyncio.create_task(servers[1].serve(sockets=[http_sock])))
    try:
        while not all(s.started for s in servers):
            done = [t for t in tasks if t.done()]
            if done:  # a server died during startup: surface its exception
                for task in done:
                    task.result()
                raise RuntimeError("a sandbox server stopped during startup")
            await asyncio.sleep(0.02)
        on_ready(Listening(https_url=https_url, http_url=http_url))
        await stop.wait()
    finally:
        for server in servers:
            server.should_exit = True
        _, pending = await asyncio.wait(tasks, timeout=SHUTDOWN_GRACE + 1)
        for server in servers:
            server.force_exit = True
        for task in pending:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for sock in (https_sock, http_sock):
            sock.close()


@contextlib.contextmanager
def serving_in_thread(app: ASGIApp, tls: TlsFiles) -> Iterator[str]:
    """Serve `app` over HTTPS on a free loopback port from a thread of this process; yields its URL.

    For apps that live beside a test (a mutating proxy, a one-off server): the bundled sandboxes
    run in a process of their own through `runner.start_sandbox`.
    """
    sock = bind(0)
    server = _Server(_config(app, tls))
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started and thread.is_alive():
        thread.join(0.02)
    try:
        if not server.started:
            raise RuntimeError("the server stopped during startup")
        yield f"https://{HOST}:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()
