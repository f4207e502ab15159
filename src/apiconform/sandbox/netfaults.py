"""A TLS proxy that breaks the network between the suite and a target, at a configurable rate.

The sandboxes' faults break a contract clause; these break the wire, which must never become a
contract ``fail`` (``tests/test_netfaults.py``). The proxy terminates TLS with a throw-away CA of
its own (trust it with ``--ca-bundle``), forwards one request per connection to the upstream
(``Connection: close`` both ways, the upstream's origin rewritten to the proxy's in headers and
bodies, as a reverse proxy does), and on each connection, with probability ``rate``, does one of:

- ``reset``: reads the request, then resets the connection (RST) without forwarding it;
- ``stall``: reads the request and says nothing for ``stall`` seconds (past the client's timeout);
- ``gateway``: answers 502 or 503 with an HTML page, as a load balancer does;
- ``drip``: forwards the answer a few bytes at a time (slow, may pass the client's deadline);
- ``cut``: forwards the headers and half the body, then closes;
- ``refuse``: stops listening for ``refuse_for`` seconds (connections are refused), then resumes.

Real sockets, no mocks: ``serving(...)`` runs it in a thread for a test.
"""
from __future__ import annotations

import asyncio
import contextlib
import random
import re
import socket
import ssl
import struct
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from apiconform.sandbox.tls import make_tls

FAULTS = ("reset", "stall", "gateway", "drip", "cut", "refuse")
GATEWAY_PAGE = (b"<html><head><title>{status} {reason}</title></head><body><center><h1>{status} {reason}</h1>"
                b"</center><hr><center>nginx</center></body></html>")


@dataclass
class Settings:
    rate: float  # probability that a connection meets a fault
    faults: tuple[str, ...] = FAULTS
    seed: int = 0
    stall: float = 30.0  # seconds a stalled answer waits (the client should give up sooner)
    refuse_for: float = 1.5  # seconds the listener is closed after a `refuse`
    drip_bytes: int = 48
    drip_every: float = 0.02
    counts: dict[str, int] = field(default_factory=dict)  # what happened, by fault (and "clean")
    requests: list[str] = field(default_factory=list)  # "METHOD /path" of every request the proxy read
    methods: tuple[str, ...] = ()  # faults only for requests with these methods (default: any)

    def __post_init__(self) -> None:
        unknown = sorted(set(self.faults) - set(FAULTS))
        if unknown:
            raise ValueError(f"unknown network fault(s) {', '.join(unknown)}; known: {', '.join(FAULTS)}")
        if not 0 <= self.rate <= 1:
            raise ValueError(f"the fault rate must be within [0, 1], not {self.rate}")


class Proxy:
    """The proxy's state: its listener, the upstream, and the fault dice."""

    def __init__(self, upstream: str, upstream_ca: str, settings: Settings, tls_dir: Path) -> None:
        parts = urlsplit(upstream)
        self.upstream = f"{parts.scheme}://{parts.netloc}"  # the origin: a request's path goes through as sent
        self.base_path = parts.path.rstrip("/")  # e.g. Hive's /merchant_api/v1, kept in the proxy's base URL
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 443
        self.upstream_ssl = ssl.create_default_context(cafile=upstream_ca)
        self.tls = make_tls(tls_dir)
        self.server_ssl = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        self.server_ssl.load_cert_chain(self.tls.cert_path, self.tls.key_path)
        self.settings = settings
        self.rng = random.Random(settings.seed)
        self.listen_port = 0
        self.server: asyncio.Server | None = None
        self.refusing = False

    @property
    def origin(self) -> str:
        return f"https://127.0.0.1:{self.listen_port}"

    @property
    def base_url(self) -> str:
        """The upstream's base URL as seen through the proxy: its path below the proxy's origin."""
        return self.origin + self.base_path

    async def start(self) -> None:
        self.server = await asyncio.start_server(self._handle, "127.0.0.1", self.listen_port, ssl=self.server_ssl,
                                                 reuse_address=True)
        self.listen_port = self.server.sockets[0].getsockname()[1]

    def _pick(self, method: str) -> str:
        hit = self.rng.random() < self.settings.rate and (not self.settings.methods or method in self.settings.methods)
        fault = self.rng.choice(self.settings.faults) if hit else "clean"
        self.settings.counts[fault] = self.settings.counts.get(fault, 0) + 1
        return fault

    async def _refuse_for_a_while(self) -> None:
        if self.refusing or self.server is None:
            return
        self.refusing = True
        self.server.close()
        await asyncio.sleep(self.settings.refuse_for)
        await self.start()
        self.refusing = False

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            await self._serve(reader, writer)
        except (OSError, asyncio.IncompleteReadError, ssl.SSLError, ValueError):
            pass  # the client went away, or sent something that is not HTTP: nothing to answer
        finally:
            with contextlib.suppress(OSError, ssl.SSLError, RuntimeError):
                writer.close()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = await reader.readuntil(b"\r\n\r\n")
        length = _content_length(head)
        body = await reader.readexactly(length) if length else b""
        line = b" ".join(head.split(b" ", 2)[:2]).decode("latin-1").split("?")[0]
        self.settings.requests.append(line)
        fault = self._pick(line.split(" ")[0])
        if fault == "refuse":  # this connection ends, and the next ones are refused for a while
            asyncio.get_running_loop().create_task(self._refuse_for_a_while())
            _reset(writer)
            return
        if fault == "reset":
            _reset(writer)
            return
        if fault == "stall":
            await asyncio.sleep(self.settings.stall)
            return
        if fault == "gateway":
            status, reason = self.rng.choice([(502, b"Bad Gateway"), (503, b"Service Unavailable")])
            page = GATEWAY_PAGE.replace(b"{status}", str(status).encode()).replace(b"{reason}", reason)
            writer.write(b"HTTP/1.1 %d %s\r\nContent-Type: text/html\r\nContent-Length: %d\r\nConnection: close\r\n"
                         b"\r\n%s" % (status, reason, len(page), page))
            await writer.drain()
            return
        answer = await self._forward(_close_header(head) + body)
        if fault == "cut":
            cut = answer.index(b"\r\n\r\n") + 4
            writer.write(answer[:cut + max(1, (len(answer) - cut) // 2)] if len(answer) > cut + 1 else answer[:cut])
            await writer.drain()
            return  # closed (FIN) short of the Content-Length it announced
        if fault == "drip":
            for i in range(0, len(answer), self.settings.drip_bytes):
                writer.write(answer[i:i + self.settings.drip_bytes])
                await writer.drain()
                await asyncio.sleep(self.settings.drip_every)
            return
        writer.write(answer)
        await writer.drain()

    async def _forward(self, request: bytes) -> bytes:
        up_reader, up_writer = await asyncio.open_connection(self.host, self.port, ssl=self.upstream_ssl,
                                                             server_hostname=self.host)
        try:
            up_writer.write(request)
            await up_writer.drain()
            answer = await up_reader.read()
        finally:
            with contextlib.suppress(OSError, ssl.SSLError):
                up_writer.close()
        return self._rewrite(answer, request.split(b" ", 1)[0])

    def _rewrite(self, answer: bytes, method: bytes) -> bytes:
        """The upstream's origin as the proxy's, Content-Length to match, Connection: close."""
        head, _, body = answer.partition(b"\r\n\r\n")
        old, new = self.upstream.encode(), self.origin.encode()
        head, rewritten = _close_header(head.replace(old, new) + b"\r\n\r\n"), body.replace(old, new)
        if rewritten != body and method != b"HEAD":
            head = re.sub(rb"(?im)^content-length:[^\r\n]*", b"Content-Length: %d" % len(rewritten), head)
        return head + rewritten


def _content_length(head: bytes) -> int:
    match = re.search(rb"(?im)^content-length:\s*(\d+)", head)
    return int(match.group(1)) if match else 0


def _close_header(head: bytes) -> bytes:
    """The header block with ``Connection: close`` (one request per connection)."""
    lines = [line for line in head[:-4].split(b"\r\n") if not line.lower().startswith(b"connection:")]
    return b"\r\n".join([*lines, b"Connection: close"]) + b"\r\n\r\n"


def _reset(writer: asyncio.StreamWriter) -> None:
    """Close with an RST: SO_LINGER with a zero timeout."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


@contextlib.contextmanager
def serving(upstream: str, upstream_ca: str, settings: Settings, tls_dir: Path) -> Iterator[Proxy]:
    """Run a proxy in a thread of its own; yields it once it listens (``proxy.base_url``, ``proxy.tls.ca_path``)."""
    proxy = Proxy(upstream, upstream_ca, settings, tls_dir)
    loop = asyncio.new_event_loop()
    ready = threading.Event()

    def run() -> None:
        asyncio.set_event_loop(loop)
        loop.run_until_complete(proxy.start())
        ready.set()
        loop.run_forever()

    thread = threading.Thread(target=run, name="netfaults", daemon=True)
    thread.start()
    if not ready.wait(30):
        raise RuntimeError("the network-fault proxy did not start")
    try:
        yield proxy
    finally:
        asyncio.run_coroutine_threadsafe(_shutdown(proxy), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)


async def _shutdown(proxy: Proxy) -> None:
    """Stop listening and end every connection still open (a stalled one, say)."""
    if proxy.server is not None:
        proxy.server.close()
    tasks = [t for t in asyncio.all_tasks() if t is not asyncio.current_task()]
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
