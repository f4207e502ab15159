"""Conditional requests: weak ETags, If-None-Match -> 304, a new ETag after a change."""
from __future__ import annotations

import re
from typing import Any

from apiconform.checks.common import created, resource
from apiconform.checks.expect import expect, expect_status
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange

WEAK = re.compile(r'^W/"[^"]+"$')
ANY = re.compile(r'^(W/)?"[^"]*"$')


def _etag(ex: Exchange, clause: str) -> str:
    tag = ex.headers.get("etag", "")
    where = f"{ex.method} {ex.url.split('?')[0]}"
    expect(bool(ANY.match(tag)), clause, f"no valid ETag on {where}", ex, actual=tag or "(none)")
    return tag


def etags_are_weak(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    for path in (api.contract.probe, res.path):
        ex = api.get(path)
        expect_status(ex, 200, clause, f"GET {path}")
        tag = _etag(ex, clause)
        if api.contract.conditional.get("weak"):
            expect(bool(WEAK.match(tag)), clause, f"ETag {tag} is not weak (W/\"...\")", ex, expected='W/"..."',
                   actual=tag)


def not_modified(api: Api, clause: str) -> None:
    """The current ETag in the conditional header gets a 304 with that ETag and not one byte of body.

    The bytes come from a raw probe (:meth:`Api.raw`), because httpx never reads a 304's body.
    """
    read = api.contract.writes["read_clause"]
    api.verifies(clause, read)
    cond = api.contract.conditional
    status = cond.get("not_modified", 304)
    first = api.get(api.contract.probe)
    expect_status(first, 200, read, "GET")
    tag = _etag(first, clause)
    conditional = {cond["request_header"]: tag}
    again = api.get(api.contract.probe, headers=conditional)
    expect_status(again, status, clause, f"GET with {cond['request_header']}: {tag}")
    expect(again.headers.get("etag") == tag, clause, "304 did not repeat the ETag", again, expected=tag,
           actual=again.headers.get("etag"))
    raw = api.raw("GET", api.contract.probe, headers=conditional)
    expect_status(raw, status, clause, f"GET with {cond['request_header']}: {tag} (raw probe)")
    expect(not raw.body, clause, f"{status} answered with {len(raw.body)} bytes after the headers", raw,
           expected="no bytes", actual=raw.text[:100])


def changed_after_update(api: Api, res_name: str, attrs: dict[str, Any], change: dict[str, Any],
                         clause: str) -> None:
    api.verifies(clause)
    cond = api.contract.conditional
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        path = f"{res.path}/{ident}"
        before = api.get(path)
        expect_status(before, 200, api.contract.writes["read_clause"], f"GET {path}")
        tag = _etag(before, clause)
        expect_status(api.patch(path, res.wrap(change)), api.contract.writes.get("update_status", 200),
                      api.contract.writes["update_clause"], "PATCH")
        after = api.get(path, headers={cond["request_header"]: tag})
        expect_status(after, 200, clause, "GET with the ETag from before the change")
        new_tag = _etag(after, clause)  # a changed resource still carries an ETag, and a new one
        expect(new_tag != tag, clause, "the ETag did not change with the resource", after,
               expected=f"not {tag}", actual=new_tag)
