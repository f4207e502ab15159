"""Violations outside the fault catalogue: a mutating TLS proxy between the suite and a clean sandbox.

The fault catalogue proves each check can fail against faults we wrote with the checks in
mind. Here a proxy bends responses in other ways; each mutation must turn the run red with
contract failures (never harness errors), and a harmless rewrite must change nothing.
"""
from __future__ import annotations

import contextlib
import json
import re
import ssl
from collections.abc import Callable, Iterator

import httpx
import pytest
from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox.server import serving_in_thread
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


def _not_modified_as_200() -> Mutation:
    """A 304 becomes a full 200 that repeats the last body served for that URL: only the 304 check can tell."""
    last: dict[str, tuple[dict[str, str], bytes]] = {}

    def mutate(req: Request, status: int, headers: dict[str, str], body: bytes):
        if status == 200 and req.method == "GET":
            last[str(req.url)] = (dict(headers), body)
        elif status == 304 and str(req.url) in last:
            full, previous = last[str(req.url)]
            return 200, {**full, **headers}, previous
        return status, headers, body
    return mutate


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


def _page_past_end_repeats() -> Mutation:
    """A page past the end repeats the last non-empty page served for that collection: well-formed, but wrong."""
    last: dict[str, bytes] = {}

    def mutate(req: Request, status: int, headers: dict[str, str], body: bytes):
        if "page" not in req.query_params or status != 200 or not req.url.path.endswith(".json"):
            return status, headers, body
        if body.strip() == b"[]" and req.url.path in last:
            return status, headers, last[req.url.path]
        last[req.url.path] = body
        return status, headers, body
    return mutate


def _tracker_null(req: Request, status: int, headers: dict[str, str], body: bytes):
    if req.method == "GET" and req.url.path == "/tracker.json" and body == b'{"tracker":{}}':
        body = b'{"tracker":null}'
    return status, headers, body


def _tracker_stop_null(req: Request, status: int, headers: dict[str, str], body: bytes):
    if req.method == "DELETE" and req.url.path.startswith("/tracker/") and status == 200:
        body = b'{"tracker":null}'
    return status, headers, body


def _etag_dropped_when_changed(req: Request, status: int, headers: dict[str, str], body: bytes):
    """A conditional GET that misses answers without an ETag: the client can never revalidate again."""
    if "if-none-match" in req.headers and status == 200:
        headers = {k: v for k, v in headers.items() if k.lower() != "etag"}
    return status, headers, body


def _undasherise_leaf(m: re.Match[bytes]) -> bytes:
    if b'type="array"' in m[2]:  # an (empty) list, possibly the document's root: not a key
        return m[0]
    tag = m[1].replace(b"-", b"_")
    return b"<%s%s>%s</%s>" % (tag, m[2], m[3], tag)


def _xml_keys_undasherised(req: Request, status: int, headers: dict[str, str], body: bytes):
    """The dashed keys of a 2xx XML body (its leaf elements) written with underscores: `<created_at>`."""
    if req.url.path.endswith(".xml") and 200 <= status < 300:
        body = re.sub(rb"<([a-z]+(?:-[a-z]+)+)([^>]*)>([^<]*)</\1>", _undasherise_leaf, body)
    return status, headers, body


def _xml_hash_root(req: Request, status: int, headers: dict[str, str], body: bytes):
    """A single resource's XML root (the one without type="array") renamed `<hash>`."""
    if req.url.path.endswith(".xml") and 200 <= status < 300:
        body = re.sub(rb"^(<\?xml[^>]*\?>\s*)<([a-z-]+)>(.*)</\2>(\s*)$", rb"\1<hash>\3</hash>\4", body, flags=re.S)
    return status, headers, body


def _harmless(req: Request, status: int, headers: dict[str, str], body: bytes):
    headers["x-proxied-by"] = "apiconform-tests"
    return status, headers, body


# name -> (mutation, the clause it breaks). The run must fail on that clause: a mutation caught
# only by some other clause shows that its own check is blind.
MUTATIONS: dict[str, tuple[Callable[[], Mutation], str]] = {
    "ids-as-strings": (lambda: _json_sub(r'"id":(\d+)', r'"id":"\1"'), "mite.schema.resources"),
    "archived-as-string": (lambda: _json_sub(r'"archived":(true|false)', r'"archived":"\1"'), "mite.schema.resources"),
    "timestamps-without-zone": (lambda: _json_sub(r'("created_at":"[0-9T:-]+)\+01:00"', r'\1"'),
                                "mite.schema.resources"),
    "created-answers-200": (lambda: _status(201, 200), "mite.status.allowed"),  # 200 is not a POST answer
    "locked-answers-409": (lambda: _status(423, 409), "mite.status.allowed"),
    "unauthorized-as-403": (lambda: _status(401, 403), "mite.auth.401-missing"),
    "no-etag": (lambda: _drop_header("etag"), "mite.cond.etag"),
    "relative-location": (lambda: _relative_location, "mite.verb.create-201"),
    "reversed-lists": (lambda: _reverse_lists, "mite.page.sorted"),
    "last-item-dropped": (lambda: _drop_last_item, "mite.page.default-all"),
    "error-key-message": (lambda: _error_as_message, "mite.error.json"),
    "not-modified-as-200": (_not_modified_as_200, "mite.cond.304"),
    "json-served-as-html": (lambda: _json_served_as_html, "mite.format.json"),
    "xml-errors-renamed": (lambda: _xml_errors_renamed, "mite.error.xml"),
    "query-key-refused": (lambda: _query_key_refused, "mite.auth.query-key"),
    "strong-etag": (lambda: _strong_etag, "mite.cond.etag"),
    "page-past-end-not-empty": (_page_past_end_repeats, "mite.page.beyond-end"),
    "etag-dropped-when-changed": (lambda: _etag_dropped_when_changed, "mite.cond.changed"),
    "idle-tracker-null": (lambda: _tracker_null, "mite.schema.resources"),
    "tracker-stop-null": (lambda: _tracker_stop_null, "mite.tracker.start-stop"),
    "xml-keys-undasherised": (lambda: _xml_keys_undasherised, "mite.format.xml"),
    "xml-hash-root": (lambda: _xml_hash_root, "mite.format.xml"),
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

    with serving_in_thread(app, tls) as own_url:
        yield own_url, str(tls.ca_path)


def _run_through(mutation: Mutation, sandbox, suite_run, tmp_path):
    env = dict(sandbox.env)
    with proxy(env["MITE_BASE_URL"], env["MITE_CA_BUNDLE"], mutation, tmp_path) as (url, ca):
        return suite_run("mite", tmp_path / "reports", "--target", url, "--ca-bundle", ca, env=env)


@pytest.mark.parametrize("name", sorted(MUTATIONS))
def test_mutation_is_caught(name, sandbox, suite_run, tmp_path):
    make, clause = MUTATIONS[name]
    proc, records = _run_through(make(), sandbox, suite_run, tmp_path)
    errors = [r["message"] for r in records if r["verdict"] == "error"]
    assert not errors, errors[:3]
    violated = {r["violated"] for r in records if r["verdict"] == "fail"}
    assert clause in violated, f"{name} was not caught on {clause} (failed: {sorted(violated)})"
    assert proc.returncode == 1


def test_harmless_proxy_changes_nothing(sandbox, suite_run, tmp_path):
    proc, records = _run_through(_harmless, sandbox, suite_run, tmp_path)
    bad = [(r["test"], r["verdict"], r["message"][:200]) for r in records if r["verdict"] != "pass"]
    assert records and not bad
    assert proc.returncode == 0
