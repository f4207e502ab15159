"""The raw probe: one request on a TLS socket of its own, and every byte that came after the header block.

httpx, like any HTTP/1.1 client, reads no body for a HEAD response or a 304, so a server that
sends one anyway goes unseen (until it mis-frames the next response on a kept-alive
connection). The probe sends its request with ``Connection: close``, reads to EOF and keeps the
bytes after the header block unframed: for HEAD and 304 there must be none (RFC 9110).

Recording appends the exchange to the test's vcrpy cassette, through the same hooks as httpx's
(scrubbing, base-URL rewrite); replay plays it back from there without a socket. The request
carries :data:`~apiconform.record.cassettes.PROBE_HEADER`, so a raw interaction only matches a raw probe.
"""
from __future__ import annotations

import socket
import ssl
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from vcr.request import Request as VcrRequest

from apiconform.http.exchange import Exchange
from apiconform.http.timeouts import timeout_s
from apiconform.record.cassettes import CassetteError
from apiconform.verdict import HarnessError

MAX_BYTES = 1 << 20  # a response larger than this is not what a probe is for


@dataclass
class RawResponse:
    status: int
    reason: str
    headers: list[tuple[str, str]]
    rest: bytes  # everything after the header block, as it came


def probe(request: httpx.Request, fmt: str, ssl_context: ssl.SSLContext, cassette: Any = None,
          cassette_path: Path | None = None) -> Exchange:
    """Send ``request`` (or play it from a write-protected ``cassette``); the body is the bytes after the headers."""
    if cassette is not None and cassette.write_protected:  # replay
        response = _play(cassette, request, cassette_path)
    else:
        response = send(request, ssl_context)
        if cassette is not None:
            cassette.append(_vcr_request(request), _serialized(response))
    return Exchange(method=request.method, url=str(request.url), request_headers=dict(request.headers),
                    request_body=request.content.decode("utf-8", "replace"), status=response.status,
                    headers=httpx.Headers(response.headers), body=response.rest, fmt=fmt)


def send(request: httpx.Request, ssl_context: ssl.SSLContext, timeout: float | None = None) -> RawResponse:
    """One request on its own TLS connection, read until the server closes it (or ``timeout`` passes:
    by default the client's, ``timeouts.timeout_s()``)."""
    timeout = timeout or timeout_s()
    url = request.url
    where = f"{request.method} {url.copy_with(query=None)} (raw probe)"
    if url.scheme != "https":
        raise HarnessError(f"{where}: the raw probe speaks TLS only")
    deadline = time.monotonic() + timeout
    data = bytearray()
    try:
        with socket.create_connection((url.host, url.port or 443), timeout=timeout) as plain, \
                ssl_context.wrap_socket(plain, server_hostname=url.host) as sock:
            sock.sendall(_wire(request))
            while chunk := _recv(sock, deadline):
                data += chunk
                if len(data) > MAX_BYTES:
                    raise HarnessError(f"{where}: more than {MAX_BYTES} bytes and no end of the connection")
    except TimeoutError:
        raise HarnessError(f"{where}: timed out after {timeout:g} s, {len(data)} bytes read and the connection "
                           "still open") from None
    except OSError as exc:  # refused, reset, TLS verification, DNS
        raise HarnessError(f"{where}: {type(exc).__name__}: {exc}") from exc
    return parse(bytes(data), where)


def _recv(sock: ssl.SSLSocket, deadline: float) -> bytes:
    sock.settimeout(max(deadline - time.monotonic(), 0.001))
    try:
        return sock.recv(65536)
    except ssl.SSLEOFError:  # closed without close_notify: still the end of what was sent
        return b""


def _wire(request: httpx.Request) -> bytes:
    head = [request.method.encode("ascii") + b" " + request.url.raw_path + b" HTTP/1.1"]
    head += [name + b": " + value for name, value in request.headers.raw]
    return b"\r\n".join(head) + b"\r\n\r\n" + request.content


def parse(data: bytes, where: str) -> RawResponse:
    """Status line and headers of the final response (interim 1xx ones skipped), and the bytes after them."""
    while True:
        head, sep, rest = data.partition(b"\r\n\r\n")
        if not sep:
            raise HarnessError(f"{where}: the connection ended inside the header block ({len(data)} bytes)")
        status_line, *lines = head.decode("latin-1").split("\r\n")
        version, _, tail = status_line.partition(" ")
        code, _, reason = tail.partition(" ")
        if not version.startswith("HTTP/1.") or not (code.isdigit() and len(code) == 3):
            raise HarnessError(f"{where}: not an HTTP/1.x status line: {status_line[:80]!r}")
        if not 100 <= int(code) < 200:
            break
        data = rest
    headers = []
    for line in lines:
        name, colon, value = line.partition(":")
        if not colon:
            raise HarnessError(f"{where}: malformed header line {line[:80]!r}")
        headers.append((name.strip(), value.strip()))
    return RawResponse(int(code), reason, headers, rest)


def _vcr_request(request: httpx.Request) -> VcrRequest:
    return VcrRequest(request.method, str(request.url), request.content, dict(request.headers))


def _serialized(response: RawResponse) -> dict[str, Any]:
    """vcrpy's response shape, as its httpx stub records it."""
    headers: dict[str, list[str]] = {}
    for name, value in response.headers:
        headers.setdefault(name.lower(), []).append(value)
    return {"status": {"code": response.status, "message": response.reason}, "headers": headers,
            "body": {"string": response.rest}}


def _play(cassette: Any, request: httpx.Request, cassette_path: Path | None) -> RawResponse:
    recorded = _vcr_request(request)
    if not cassette.can_play_response_for(recorded):
        raise CassetteError(f"{cassette_path}: {request.method} {request.url.path} (raw probe) is not in the "
                            "cassette; re-record it")
    played = cassette.play_response(recorded)
    return RawResponse(played["status"]["code"], played["status"]["message"],
                       [(name, value) for name, values in played["headers"].items() for value in values],
                       played["body"]["string"])
