"""Turning views into mite's responses: envelopes, JSON/XML bodies, ETags, error bodies.

Every fault that only changes how a response looks is applied here, once.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apiconform import xmlfmt
from apiconform.sandbox.server import send_stray_body

JSON_TYPE = "application/json; charset=utf-8"
XML_TYPE = "application/xml; charset=utf-8"
CACHE_READ = "max-age=0, private, must-revalidate"
BASE_HEADERS = {
    "Server": "apiconform-sandbox",
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
}


def _json_bytes(value: Any) -> bytes:
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def _strip_note(item: Mapping[str, Any]) -> dict[str, Any]:
    return {key: value for key, value in item.items() if key != "note"}


def _xml_root(root: str, faults: frozenset[str]) -> str:
    return "thing" if "xml-generic-names" in faults else root


def body_single(fmt: str, root: str, item: Mapping[str, Any], faults: frozenset[str]) -> bytes:
    if fmt == "xml":
        if "xml-drops-note" in faults:
            item = _strip_note(item)
        return xmlfmt.dumps(_xml_root(root, faults), dict(item)).encode("utf-8")
    return _json_bytes({root: item})


def body_list(fmt: str, plural: str, root: str, items: list[Mapping[str, Any]],
              faults: frozenset[str]) -> bytes:
    if fmt == "xml":
        if "xml-drops-note" in faults:
            items = [_strip_note(item) for item in items]
        return xmlfmt.dumps_list(plural, _xml_root(root, faults), [dict(item) for item in items]).encode("utf-8")
    return _json_bytes([{root: item} for item in items])


def etag_for(body: bytes, identity: str, faults: frozenset[str]) -> str:
    """Rack::ETag's weak tag: W/ + the first 32 hex of SHA-256 of the body bytes."""
    source = identity.encode("utf-8") if "etag-stale" in faults else body
    digest = hashlib.sha256(source).hexdigest()[:32]
    return f'"{digest}"' if "etag-strong" in faults else f'W/"{digest}"'


def _opaque(tag: str) -> str:
    tag = tag.strip()
    return tag[2:] if tag.startswith("W/") else tag


def if_none_match_hits(header: str | None, etag: str) -> bool:
    """Weak comparison against a list of tags or `*`, as RFC 9110 asks for If-None-Match."""
    if not header:
        return False
    wanted = _opaque(etag)
    for candidate in header.split(","):
        candidate = candidate.strip()
        if candidate == "*" or (candidate and _opaque(candidate) == wanted):
            return True
    return False


def media_type(fmt: str, faults: frozenset[str]) -> str:
    if fmt == "xml":
        return XML_TYPE
    return "text/plain; charset=utf-8" if "json-content-type-text" in faults else JSON_TYPE


def data_response(request: Request, fmt: str, body: bytes, identity: str, faults: frozenset[str],
                  status: int = 200, extra: Mapping[str, str] | None = None) -> Response:
    """A body-carrying answer with ETag and Cache-Control; GET/HEAD may turn it into a 304."""
    etag = etag_for(body, identity, faults)
    drop_etag = request.method == "HEAD" and "head-drops-etag" in faults
    headers = {**BASE_HEADERS, "Cache-Control": CACHE_READ, **(extra or {})}
    if not drop_etag:
        headers["ETag"] = etag
    if (
        request.method in ("GET", "HEAD")
        and status == 200
        and "etag-ignored" not in faults
        and if_none_match_hits(request.headers.get("if-none-match"), etag)
    ):
        if "not-modified-with-body" in faults:
            send_stray_body(request.scope, body)
        return Response(status_code=304, headers=headers)
    headers["Content-Type"] = media_type(fmt, faults)
    # uvicorn drops the body of a HEAD answer itself and keeps Content-Length, as GET would send.
    if request.method == "HEAD" and "head-with-body" in faults:
        send_stray_body(request.scope, body)
    return Response(content=body, status_code=status, headers=headers)


def empty_response() -> Response:
    """What mite answers a successful PATCH/PUT/DELETE with: 200, nothing, not cacheable."""
    headers = {**BASE_HEADERS, "Cache-Control": "no-cache", "Content-Type": "application/json"}
    return Response(content=b"", status_code=200, headers=headers)


def error_response(fmt: str, status: int, message: str, faults: frozenset[str]) -> Response:
    if fmt == "xml":
        if "xml-error-root" in faults:
            text = xmlfmt.dumps("error", message)
        else:
            text = xmlfmt.dumps("errors", {"error": message})
        body, content_type = text.encode("utf-8"), XML_TYPE
    else:
        payload = {"errors": [message]} if "error-key-renamed" in faults else {"error": message}
        body, content_type = _json_bytes(payload), JSON_TYPE
    headers = {**BASE_HEADERS, "Cache-Control": "no-cache", "Content-Type": content_type}
    return Response(content=body, status_code=status, headers=headers)
