"""The suite's HTTP client: a real httpx client that knows the contract's auth and formats.

Every response passes the contract's invariants (allowed status, error body shape, media type)
before a test sees it, so a check written for one clause still catches a broken invariant on
the way. Transport failures become :class:`HarnessError`, never a contract failure.
"""
from __future__ import annotations

import functools
import json
import ssl
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from apiconform import xmlfmt
from apiconform.contract.model import AuthVariant, Contract
from apiconform.http import rawprobe, resilience, writes
from apiconform.http.exchange import Exchange
from apiconform.http.invariants import check_invariants, check_spec
from apiconform.http.rate import Budget, budget_for
from apiconform.http.timeouts import timeout_s
from apiconform.record.cassettes import PROBE_HEADER, CassetteError, refusal_key
from apiconform.record.scrub import Scrubber
from apiconform.sandbox.reach import CHECK_HEADER
from apiconform.verdict import ContractViolation, HarnessError


class ConnectionRefused(HarnessError):
    """The target refused or reset the connection, or answered with something that is not HTTP.

    Distinct from the other transport errors (DNS, timeouts, unreachable networks) because a
    check may count a refusal as the target's answer; see ``checks.auth.plain_http_refused``.
    """


def _refused(exc: httpx.TransportError) -> bool:
    """Told by exception type along the cause chain, never by message text."""
    if isinstance(exc, httpx.RemoteProtocolError):  # closed without an answer, or answered not in HTTP
        return True
    cause: BaseException | None = exc
    while cause is not None:  # httpx -> httpcore -> the socket's OSError
        if isinstance(cause, (ConnectionRefusedError, ConnectionResetError)):
            return True
        cause = cause.__cause__ or cause.__context__
    return False


def tls_context(target: Target) -> ssl.SSLContext:
    """The client TLS context trusting the target's CA bundle (else certifi's CAs), built once per process and bundle.

    Loading a bundle costs ~10-25 ms (certifi's is 300 KB), once per test before: most of a replay's time.
    The cache key is the bundle's bytes, so a sandbox's new CA at an old path is never trusted stale.
    Replay connects nowhere, so its context loads no CA at all: a socket that got past the replay seal
    would still fail verification rather than talk to anyone.
    """
    if target.kind == "cassettes":
        return _trusts_nothing()
    return _tls_context(target.ca_bundle, Path(target.ca_bundle).read_bytes() if target.ca_bundle else b"")


@functools.cache
def _trusts_nothing() -> ssl.SSLContext:
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)  # verifies certificates and host names, trusts no CA


@functools.lru_cache(maxsize=16)
def _tls_context(ca_bundle: str | None, _content: bytes) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle) if ca_bundle else httpx.create_ssl_context()


@dataclass
class Target:
    """Where requests go and with which credentials."""

    kind: str  # sandbox | url | cassettes
    base_url: str
    credentials: dict[str, str] = field(repr=False)  # never in a traceback or a log line
    ca_bundle: str | None = None
    http_url: str | None = None  # the plain-HTTP twin of base_url, if known
    faults: tuple[str, ...] = ()
    allow_writes: bool = True  # False: a real account without --allow-writes (http/writes.py)
    names_checks: bool = False  # a bundled sandbox in the fault tests' mode: each request names its check


@dataclass(repr=False)
class Api:
    """One test's view of the target. ``auth`` names the default auth variant."""

    contract: Contract
    target: Target
    auth: str | None = None
    cassette_path: Path | None = None
    cassette: Any = None  # the test's vcrpy cassette when recording or replaying: raw probes go through it too
    replaying: bool = False
    observed: set[str] = field(default_factory=set)  # invariant clauses this test exercised
    declared: list[str] = field(default_factory=list)  # clauses the test said it verifies
    exchanges: list[Exchange] = field(default_factory=list)
    refused: list[str] = field(default_factory=list)  # requests whose connection was refused (refusal_key)
    recorded_refusals: tuple[str, ...] = ()  # replay: the refusals the cassette recorded, replayed as such
    network_retries: list[str] = field(default_factory=list)  # requests resent after they may have arrived
    scrubber: Scrubber | None = None  # learns the secrets responses hand out (contract [[secrets]])
    check_id: str = ""  # the test's node id, sent as X-Apiconform-Check when the target names checks

    def __post_init__(self) -> None:
        if self.auth is None and self.contract.auth:
            self.auth = self.contract.auth[0].name
        # One TLS context for httpx and the raw probe: both trust exactly the same CAs.
        self._ssl = tls_context(self.target)
        named = {CHECK_HEADER: self.check_id} if self.check_id and self.target.names_checks else {}
        self._http = httpx.Client(transport=resilience.transport(self._ssl), timeout=timeout_s(),
                                  follow_redirects=False, headers={"User-Agent": self.contract.user_agent, **named})

    def __repr__(self) -> str:
        """Short: a traceback through a check shows its arguments, and the contract alone is thousands of lines."""
        return f"Api({self.contract.provider} @ {self.target.kind}, {len(self.exchanges)} exchanges)"

    def close(self) -> None:
        self._http.close()

    @property
    def budget(self) -> Budget:
        """The provider's rate budget, shared by every process of the run (a no-op without ``[rate_limit]``)."""
        return budget_for(self.contract, self.target.base_url, self.target.kind, self.replaying)

    def verifies(self, *clauses: str) -> None:
        """Declare the clauses this check verifies (for checks parametrised at run time)."""
        for clause in clauses:
            self.contract.clause(clause)
            if clause not in self.declared:
                self.declared.append(clause)

    def check(self, exchange: Exchange) -> Exchange:
        """Run the contract's invariants (on an exchange requested with ``invariants=False``, say).

        One invariant lives here rather than in :mod:`invariants`, because only the client knows
        it: genuine credentials of the target must never be refused.
        """
        self.observed |= check_invariants(self.contract, exchange)
        if exchange.genuine_auth:
            self.observed.add(exchange.genuine_auth)
            if exchange.status in self.contract.refusal_statuses:
                raise ContractViolation(exchange.genuine_auth, f"valid credentials were refused with "
                                        f"{exchange.status}", expected="accepted", actual=exchange.status,
                                        exchange=exchange)
        self.observed |= check_spec(self.contract, exchange)
        return exchange

    # -- building requests -------------------------------------------------------------
    def url(self, path: str, fmt: str | None = None, base: str | None = None) -> str:
        """``path`` with the format suffix where the contract's formats are suffixes (``customers/3`` ->
        ``.../customers/3.json``), else as it is."""
        fmt = fmt or self.contract.formats.get("default", "json")
        base = (base or self.target.base_url).rstrip("/")
        suffix = f".{fmt}" if fmt and self.contract.formats.get("style", "suffix") == "suffix" else ""
        return f"{base}/{path.lstrip('/')}{suffix}"

    def _apply_auth(self, variant: AuthVariant, headers: dict[str, str], params: dict[str, Any],
                    creds: Mapping[str, str]) -> httpx.Auth | None:
        if variant.kind == "header":
            headers[variant.header] = creds[variant.credential]
        elif variant.kind == "query":
            params[variant.param] = creds[variant.credential]
        elif variant.kind == "basic":
            return httpx.BasicAuth(creds[variant.username], creds[variant.password])
        elif variant.kind == "bearer":
            headers["Authorization"] = f"Bearer {creds[variant.credential]}"
        else:
            raise HarnessError(f"{self.contract.path}: auth kind {variant.kind!r} is not supported")
        return None

    def request(self, method: str, path: str, *, fmt: str | None = None, auth: str | None | bool = True,
                credentials: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
                body: Any = None, raw: str | bytes | None = None, content_type: str | None | bool = True,
                headers: Mapping[str, str] | None = None, base: str | None = None,
                invariants: bool = True, deadline: float | None = None) -> Exchange:
        """Send one request and return the checked exchange.

        ``auth``: True for this Api's default variant, a variant name, or False/None for none.
        ``credentials`` overrides the target's (e.g. a wrong key). ``body`` is encoded in ``fmt``;
        ``raw`` is sent as is. ``content_type``: True sets the format's media type when a body
        is sent, a string sets that, False/None sends none.
        ``deadline``: seconds the answer may take (one attempt); none by then raises ``DeadlinePassed``.
        """
        request, fmt, genuine, used = self._build(method, path, fmt=fmt, auth=auth, credentials=credentials,
                                                  params=params, body=body, raw=raw, content_type=content_type,
                                                  headers=headers, base=base)
        where = f"{method} {str(request.url).split('?')[0]}"
        key = refusal_key(method, str(request.url))
        if self.replaying and self.recorded_refusals.count(key) > self.refused.count(key):
            self.refused.append(key)  # a refusal leaves no interaction, only this mark in the metadata
            raise ConnectionRefused(f"{where}: connection refused, as recorded in {self.cassette_path}")
        writes.guard(self.target.allow_writes, method, where)  # a real account without --allow-writes: skip, unsent
        exchange = self._send(method, where, key, request, fmt, used, path, deadline)
        return self._finish(exchange, genuine, invariants)

    def _send(self, method: str, where: str, key: str, request: httpx.Request, fmt: str, used: list[str],
              path: str, deadline: float | None = None) -> Exchange:
        """The request on the wire (or from the cassette): retries, the budget, transport errors as HarnessError."""
        if deadline is not None:  # httpx's own timeouts (APICONFORM_TIMEOUT) must not end the wait before it
            request.extensions["timeout"] = httpx.Timeout(deadline).as_dict()
        try:  # retried where safe, each attempt through the budget (http/resilience.py)
            def wire() -> httpx.Response:  # the deadline starts when the budget lets the request go
                # An interrupt is held from the send until what it created is on the ledger; the budget's wait
                # before it stays interruptible.
                with writes.uninterrupted():
                    response = resilience.bounded(lambda: self._http.send(request), deadline)
                    if writes.tracks(self, method):
                        writes.track(self, method, path, Exchange.from_response(response, fmt))
                return response

            response = resilience.send(method, where, self.target.base_url, lambda: self.budget.send(used, wire),
                                       retry=deadline is None and str(request.url).startswith(self.target.base_url),
                                       replaying=self.replaying, gateway=self._gateway_page,
                                       on_retry=self.network_retries.append)
        except httpx.TransportError as exc:
            if deadline is not None and isinstance(exc, httpx.TimeoutException):
                raise resilience.DeadlinePassed(f"{where}: no answer within {deadline:.2f} s") from exc
            refused = _refused(exc)
            if refused:
                self.refused.append(key)
            raise (ConnectionRefused if refused else HarnessError)(f"{where}: {type(exc).__name__}: {exc}") from exc
        except Exception as exc:  # vcrpy's missing-cassette-entry and friends: harness, not contract
            if type(exc).__name__ == "CannotOverwriteExistingCassetteException":
                raise CassetteError(f"{method} {request.url.path} is not in the cassette {self.cassette_path} "
                                    f"(re-record it): {str(exc).splitlines()[0]}") from None
            raise
        return Exchange.from_response(response, fmt)

    def raw(self, method: str, path: str, *, headers: Mapping[str, str] | None = None, invariants: bool = True,
            **kw: Any) -> Exchange:
        """Send one request the way :meth:`request` would, on a socket of its own (:mod:`rawprobe`).

        The exchange's ``body`` is every byte that came after the header block, unframed: what
        httpx never reads after a HEAD response or a 304. Takes :meth:`request`'s keywords.
        """
        request, fmt, genuine, used = self._build(method, path, **kw, headers={**(headers or {}), "Connection": "close",
                                                                                PROBE_HEADER: "raw"})
        writes.guard(self.target.allow_writes, method, f"{method} {str(request.url).split('?')[0]}")
        exchange = self.budget.send(used, lambda: rawprobe.probe(request, fmt, self._ssl, self.cassette,
                                                                 self.cassette_path))
        if self._gateway_page(exchange):
            raise resilience.GatewayError(f"{method} {request.url.path}: a gateway answered {exchange.status} with "
                                          f"a page the API does not serve; the network, not the API")
        return self._finish(exchange, genuine, invariants)

    def _gateway_page(self, answer: httpx.Response | Exchange) -> bool:
        status = answer.status_code if isinstance(answer, httpx.Response) else answer.status
        return resilience.is_gateway_page(status, answer.headers.get("content-type", ""),
                                          self.contract.formats.get("media_types", {}).values())

    def _build(self, method: str, path: str, *, fmt: str | None = None, auth: str | None | bool = True,
               credentials: Mapping[str, str] | None = None, params: Mapping[str, Any] | None = None,
               body: Any = None, raw: str | bytes | None = None, content_type: str | None | bool = True,
               headers: Mapping[str, str] | None = None, base: str | None = None
               ) -> tuple[httpx.Request, str, str, list[str]]:
        """The request as it goes out, its format, the clause of its auth variant when it carries
        only the target's genuine credentials (else ""), and the credential values it carries (the
        rate budget is per credential)."""
        fmt = fmt or self.contract.formats.get("default", "json")
        url = self.url(path, fmt, base)
        hdrs = dict(headers or {})
        query = dict(params or {})
        basic = None
        if auth:
            variant = self.contract.auth_variant(self.auth if auth is True else auth)
            creds = {**self.target.credentials, **(credentials or {})}
            missing = [c for c in (variant.credential, variant.username, variant.password) if c and not creds.get(c)]
            if missing:
                envs = ", ".join(self.contract.credentials[m].env for m in missing)
                raise HarnessError(f"auth variant {variant.name!r} needs {envs}, which is not set")
            if urlsplit(url).scheme != "https":
                raise HarnessError(f"refusing to send credentials over plain HTTP to {url}")
            basic = self._apply_auth(variant, hdrs, query, creds)
        content = self._encode(body, raw, fmt, path)
        if content is not None and content_type:
            body_fmt = fmt if fmt in self.contract.formats["media_types"] else self.contract.formats["default"]
            hdrs.setdefault("Content-Type", content_type if isinstance(content_type, str)
                            else self.contract.media_type(body_fmt))
        request = self._http.build_request(method, url, params=query or None, content=content, headers=hdrs)
        if basic is not None:
            request = next(basic.auth_flow(request))
        genuine, used = "", []
        if auth:
            valid = {v for name, v in self.target.credentials.items()
                     if name in self.contract.credentials and not self.contract.credentials[name].refused}
            used = [creds[c] for c in (variant.credential, variant.username, variant.password) if c]
            roles = [name for name, v in self.target.credentials.items() if v in used]
            # A role's documented refusal of this method is the contract's answer, not a refused credential;
            # so is a refusal of a method the variant is not documented to authenticate (``[[auth]] methods``).
            if (all(value in valid for value in used) and all(self.contract.may(r, method) for r in roles)
                    and method.upper() in variant.methods):
                genuine = variant.clause
        return request, fmt, genuine, used

    def _finish(self, exchange: Exchange, genuine: str, invariants: bool) -> Exchange:
        if self.scrubber is not None:
            self.scrubber.learn_from(exchange.method, exchange.url, exchange.body)
        self.exchanges.append(exchange)
        exchange.genuine_auth = genuine
        return self.check(exchange) if invariants else exchange

    def _encode(self, body: Any, raw: str | bytes | None, fmt: str, path: str) -> bytes | None:
        if raw is not None:
            return raw.encode() if isinstance(raw, str) else raw
        if body is None:
            return None
        if fmt == "xml":
            root, value = next(iter(body.items()))
            return xmlfmt.dumps(root, value).encode()
        return json.dumps(body).encode()

    # -- shorthands ------------------------------------------------------------------
    def get(self, path: str, **kw: Any) -> Exchange:
        return self.request("GET", path, **kw)

    def post(self, path: str, body: Any = None, **kw: Any) -> Exchange:
        return self.request("POST", path, body=body, **kw)

    def patch(self, path: str, body: Any = None, **kw: Any) -> Exchange:
        return self.request("PATCH", path, body=body, **kw)

    def delete(self, path: str, **kw: Any) -> Exchange:
        return self.request("DELETE", path, **kw)
