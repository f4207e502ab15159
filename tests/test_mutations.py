"""Violations outside the fault catalogue: a mutating TLS proxy between the suite and a clean sandbox.

The fault catalogue proves each check can fail against faults we wrote with the checks in
mind. Here a proxy bends responses in other ways; each mutation must turn the run red with
contract failures (never harness errors), and a harmless rewrite must change nothing.
"""
from __future__ import annotations

import asyncio
import contextlib
import json
import re
import ssl
import threading
from collections.abc import Callable, Iterator

import httpx
import pytest
import uvicorn
from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox.server import bind
from apiconform.sandbox.tls import make_tls

Mutation = Callable[[Request, int, dict[str, str], bytes], tuple[int, dict[str, str], bytes]]


def _json_sub(pattern: str, repl: str) -> Mutation:
    def mutate(req: Request, status: int, headers: dict[str, str], body: bytes):
        if req.url.path.endswith(".json") and 200 <= status < 300:
            body = re.sub(pattern.encode(), repl.encode(), body)
        return status, headers, body
    return mutate


def _status(frm: int, to: int, method: str | None = None) -> Mutation:
    def mutate(req: Request, status: int, headers: dict[str, str], body: bytes):
        if status == frm and (method is None or req.method == method):
            status = to
        return status, headers, body
    return mutate


def _drop_header(name: str) -> Mutation:
    def mutate(req: Request, status: int, headers: dict[str, str], body: bytes):
        return status, {k: v for k, v in headers.items() if k.lower() != name}, body
    return mutate


def _relative_location(req: Request, status: int, headers: dict[str, str], body: bytes):
    if "location" in headers:
        headers["location"] = re.sub(r"^https://[^/]+", "", headers["location"])
    return status, headers, body


def _reverse_lists(req: Request, status: int, headers: dict[str, str], body: bytes):
    if req.url.path.endswith(".json") and body.startswith(b"["):
        body = json.dumps(list(reversed(json.loads(body))), separators=(",", ":")).encode()
    return status, headers, body


def _drop_last_item(req: Request, status: int, headers: dict[str, str], body: bytes):
    if req.url.path.endswith(".json") and body.startswith(b"[") and "limit" not in req.query_params:
        items = json.loads(body)
        body = json.dumps(items[:-1] if len(items) > 1 else items, separators=(",", ":")).encode()
    return status, headers, body


def _error_as_message(req: Request, status: int, headers: dict[str, str], body: bytes):
    if status >= 400 and req.url.path.endswith(".json"):
        body = body.replace(b'{"error":', b'{"message":')
    return status, headers, body


def _not_modified_as_200(req: Request, status: int, headers: dict[str, str], body: bytes):
    return (200, headers, b"{}") if status == 304 else (status, headers, body)


def _json_served_as_html(req: Request, status: int, headers: dict[str, str], body: bytes):
    if req.url.path.endswith(".json"):
        headers = {k: ("text/html; charset=utf-8" if k.lower() == "content-type" else v) for k, v in headers.items()}
    return status, headers, body


def _xml_errors_renamed(req: Request, status: int, headers: dict[str, str], body: bytes):
    if status >= 400 and req.url.path.endswith(".xml"):
        body = body.replace(b"<errors>", b"<problems>").replace(b"</errors>", b"</problems>")
    return status, headers, body


def _query_key_refused(req: Request, status: int, headers: dict[str, str], body: bytes):
    if "api_key" in req.query_params and status == 200:
        return 401, headers, b'{"error":"Access denied"}'
    return status, headers, body


def _strong_etag(req: Request, status: int, headers: dict[str, str], body: bytes):
    if "etag" in headers:
        headers["etag"] = headers["etag"].removeprefix("W/")
    return status, headers, body


def _page_past_end_repeats(req: Request, status: int, headers: dict[str, str], body: bytes):
    if body == b"[]" and "page" in req.query_params:
        body = b'[{"customer":{"id":1,"name":"stale page"}}]'
    return status, headers, body


def _harmless(req: Request, status: int, headers: dict[str, str], body: bytes):
    headers["x-proxied-by"] = "apiconform-tests"
    return status, headers, body


MUTATIONS: dict[str, Mutation] = {
    "ids-as-strings": _json_sub(r'"id":(\d+)', r'"id":"\1"'),
    "archived-as-string": _json_sub(r'"archived":(true|false)', r'"archived":"\1"'),
    "timestamps-without-zone": _json_sub(r'("created_at":"[0-9T:-]+)\+01:00"', r'\1"'),
    "created-answers-200": _status(201, 200),
    "locked-answers-409": _status(423, 409),
    "unauthorized-as-403": _status(401, 403),
    "no-etag": _drop_header("etag"),
    "relative-location": _relative_location,
    "reversed-lists": _reverse_lists,
    "last-item-dropped": _drop_last_item,
    "error-key-message": _error_as_message,
    "not-modified-as-200": _not_modified_as_200,
    "json-served-as-html": _json_served_as_html,
    "xml-errors-renamed": _xml_errors_renamed,
    "query-key-refused": _query_key_refused,
    "strong-etag": _strong_etag,
    "page-past-end-not-empty": _page_past_end_repeats,
}


@contextlib.contextmanager
def proxy(upstream: str, upstream_ca: str, mutate: Mutation, tmp_path) -> Iterator[tuple[str, str]]:
    """A TLS proxy on loopback that forwards to ``upstream`` and mutates each response.

    Like any faithful reverse proxy it rewrites the upstream's own URL in headers (Location).
    """
    tls = make_tls(tmp_path / "proxy-tls")
    client = httpx.AsyncClient(verify=ssl.create_default_context(cafile=upstream_ca), follow_redirects=False)

    async def app(scope, receive, send):
        request = Request(scope, receive)
        headers = {k: v for k, v in request.headers.items() if k.lower() not in ("host", "content-length")}
        upstream_response = await client.request(request.method, upstream + request.url.path,
                                                 params=request.query_params, headers=headers,
                                                 content=await request.body())
        out = {k: v.replace(upstream, own_url) for k, v in upstream_response.headers.items()
               if k.lower() not in ("content-length", "transfer-encoding", "content-encoding", "connection")}
        status, out, body = mutate(request, upstream_response.status_code, out, upstream_response.content)
        await Response(body, status_code=status, headers=out)(scope, receive, send)

    sock = bind(0)
    own_url = f"https://127.0.0.1:{sock.getsockname()[1]}"
    config = uvicorn.Config(app, log_level="warning", access_log=False, lifespan="off",
                            ssl_certfile=str(tls.cert_path), ssl_keyfile=str(tls.key_path))
    server = uvicorn.Server(config)
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    while not server.started:
        thread.join(0.02)
    try:
        yield own_url, str(tls.ca_path)
    finally:
        server.should_exit = True
        thread.join(10)
        sock.close()


def _run_through(mutation: Mutation, sandbox, suite_run, tmp_path):
    env = dict(sandbox.env)
    with proxy(env["MITE_BASE_URL"], env["MITE_CA_BUNDLE"], mutation, tmp_path) as (url, ca):
        return suite_run("mite", tmp_path / "reports", "--target", url, "--ca-bundle", ca, env=env)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(name, sandbox, suite_run, tmp_path):
    proc, records = _run_through(MUTATIONS[name], sandbox, suite_run, tmp_path)
    verdicts = {r["verdict"] for r in records}
    assert "fail" in verdicts, f"{name} went unnoticed"
    assert "error" not in verdicts, [r["message"] for r in records if r["verdict"] == "error"][:3]
    assert proc.returncode == 1


def test_harmless_proxy_changes_nothing(sandbox, suite_run, tmp_path):
    proc, records = _run_through(_harmless, sandbox, suite_run, tmp_path)
    bad = [(r["test"], r["verdict"], r["message"][:200]) for r in records if r["verdict"] != "pass"]
    assert records and not bad
    assert proc.returncode == 0
