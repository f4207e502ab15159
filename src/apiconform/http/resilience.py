"""A flaky network is an `error`, never a `fail`, and never a hang.

Three parts, used by :class:`apiconform.http.client.Api`:

- **A deadline per attempt.** httpx's read timeout restarts with every byte, so a body that
  drips one byte a second never times out. :class:`DeadlineBackend` wraps httpcore's socket
  backend and gives every read and write only what is left of the attempt's deadline
  (``APICONFORM_TIMEOUT`` seconds, default 20, for connect, send and the whole answer). The deadline
  starts when the rate budget lets the request go (:func:`bounded`), not while the budget holds it.
- **Retries, capped, with backoff.** :func:`send` retries what is safe to send twice: any request
  whose connection failed before a byte was sent (``httpx.ConnectError``), and a safe method
  (GET, HEAD, OPTIONS) after any transport failure or a gateway answer. PUT and DELETE are
  idempotent by RFC 9110, but a retried DELETE that the first attempt applied answers 404 where
  the check expects 200: the network fault would become a contract `fail`, so they are not
  retried after something was sent. Each attempt goes through the rate budget (the caller's
  ``attempt``), so retries are paced like any request. Replay never sleeps.
- **The gateway rule.** A 502, 503 or 504 whose media type is not one the contract's API speaks
  (an HTML page from a proxy or load balancer) is the network's answer, not the API's: it is
  retried where safe, and what remains is a :class:`GatewayError` (``error``). A 502/503/504 in
  the API's own media type (a JSON error body) is the API's answer and goes through the
  invariants like any other.
"""
from __future__ import annotations

import contextvars
import random
import time
from collections.abc import Callable, Iterable
from typing import Any, TypeVar

import httpcore
import httpx

from apiconform.http.timeouts import timeout_s
from apiconform.verdict import HarnessError

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
GATEWAY_STATUSES = frozenset({502, 503, 504})
ATTEMPTS = 5  # at most this many sends of one request
BACKOFF = 0.25  # seconds before the first retry; doubles each time, with jitter
BACKOFF_CAP = 4.0

T = TypeVar("T")


class GatewayError(HarnessError):
    """A proxy's or load balancer's error page, not the API's answer (see the module's rule)."""


class DeadlinePassed(HarnessError):
    """No answer within the deadline a check set for one request (``Api.request(deadline=...)``): the check that
    set it, and only that check, says what a late answer means (the 412 of an event wait that never ends)."""


_unreachable: set[str] = set()  # targets whose last request failed to connect on every attempt
_deadline: contextvars.ContextVar[float | None] = contextvars.ContextVar("apiconform_deadline", default=None)


class _DeadlineStream(httpcore.NetworkStream):
    """A socket stream whose reads and writes end at the attempt's deadline."""

    def __init__(self, inner: httpcore.NetworkStream) -> None:
        self.inner = inner

    @staticmethod
    def _left(timeout: float | None, exc: type[Exception]) -> float | None:
        deadline = _deadline.get()
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise exc("the attempt's deadline passed")
        return left if timeout is None else min(timeout, left)

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        return self.inner.read(max_bytes, self._left(timeout, httpcore.ReadTimeout))

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        self.inner.write(buffer, self._left(timeout, httpcore.WriteTimeout))

    def close(self) -> None:
        self.inner.close()

    def start_tls(self, ssl_context: Any, server_hostname: str | None = None,
                  timeout: float | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.start_tls(ssl_context, server_hostname,
                                                    self._left(timeout, httpcore.ConnectTimeout)))

    def get_extra_info(self, info: str) -> Any:
        return self.inner.get_extra_info(info)


class DeadlineBackend(httpcore.NetworkBackend):
    """httpcore's socket backend, every stream bounded by the current attempt's deadline."""

    def __init__(self) -> None:
        self.inner = httpcore.SyncBackend()

    def connect_tcp(self, host: str, port: int, timeout: float | None = None, local_address: str | None = None,
                    socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        timeout = _DeadlineStream._left(timeout, httpcore.ConnectTimeout)
        return _DeadlineStream(self.inner.connect_tcp(host, port, timeout, local_address, socket_options))

    def connect_unix_socket(self, path: str, timeout: float | None = None,
                            socket_options: Iterable[Any] | None = None) -> httpcore.NetworkStream:
        return _DeadlineStream(self.inner.connect_unix_socket(path, timeout, socket_options))

    def sleep(self, seconds: float) -> None:
        self.inner.sleep(seconds)


def transport(ssl_context: Any) -> httpx.HTTPTransport:
    """An httpx transport whose connections honour the attempt deadline.

    httpx does not take a network backend, so it is set on the transport's httpcore pool
    (``tests/test_resilience.py`` fails if a new httpx moves it).
    """
    tr = httpx.HTTPTransport(verify=ssl_context)
    tr._pool._network_backend = DeadlineBackend()
    return tr


def is_gateway_page(status: int, content_type: str, media_types: Iterable[str]) -> bool:
    """The rule: a 502/503/504 in a media type the API does not speak came from something in between."""
    if status not in GATEWAY_STATUSES:
        return False
    media = content_type.split(";", 1)[0].strip().lower()
    return media not in {m.lower() for m in media_types}


def bounded(call: Callable[[], T], seconds: float | None = None) -> T:
    """Run one network send under the attempt's deadline (``seconds``, by default ``timeout_s()``). It starts
    when the request leaves the rate budget, not before: a budget may hold a request for a whole rate window
    (Hive's is a minute), which is pacing, not a slow network."""
    token = _deadline.set(time.monotonic() + (timeout_s() if seconds is None else seconds))
    try:
        return call()
    finally:
        _deadline.reset(token)


def send(method: str, where: str, target: str, attempt: Callable[[], T], *, retry: bool, replaying: bool,
         gateway: Callable[[T], bool], on_retry: Callable[[str], None] = lambda cause: None) -> T:
    """Call ``attempt`` (one send through the budget) until it answers, retrying what is safe.

    ``target`` (its base URL) keys :data:`_unreachable`. ``retry``: False for a request whose
    failure may be the answer a check waits for (the refusal of a plain-HTTP port): one attempt.
    ``gateway(answer)``: the answer is a gateway page. Raises :class:`GatewayError` or re-raises
    the last transport error. ``on_retry(cause)`` hears of each retry after something may have
    reached the target (not after a failed connect).
    """
    safe = method.upper() in SAFE_METHODS
    # A target that could not be reached after every retry gets one attempt per request until it
    # answers again: a run against a dead target ends in errors quickly instead of backing off N times.
    attempts = ATTEMPTS if retry and target not in _unreachable else 1
    for n in range(1, attempts + 1):
        try:
            answer = attempt()
        except httpx.TransportError as exc:
            nothing_sent = isinstance(exc, httpx.ConnectError)
            if n == attempts or not (nothing_sent or safe):
                if nothing_sent and retry:
                    _unreachable.add(target)
                exc.add_note(f"after {n} attempt(s)")
                raise
            if not nothing_sent:
                on_retry(f"{where}: {type(exc).__name__}")
        else:
            _unreachable.discard(target)
            if not gateway(answer):
                return answer
            if n == attempts or not safe:
                raise GatewayError(f"{where}: a gateway answered {_status(answer)} with a page the API does not "
                                   f"serve (not its media type) after {n} attempt(s); the network, not the API")
            on_retry(f"{where}: gateway {_status(answer)}")
        if not replaying:
            time.sleep(min(BACKOFF_CAP, BACKOFF * 2 ** (n - 1)) * random.uniform(0.8, 1.2))
    raise AssertionError("unreachable")  # the loop returns or raises


def _status(answer: Any) -> str:
    status = getattr(answer, "status_code", None) or getattr(answer, "status", "?")
    ctype = answer.headers.get("content-type", "no Content-Type")
    return f"{status} ({ctype})"
