"""Formats and verbs: suffixes, Accept ignored, 406, HEAD, PUT alias, Content-Type (write answers: verbs.py)."""
from __future__ import annotations

from typing import Any

import pytest

from apiconform import xmlfmt
from apiconform.checks.common import created, created_id, discard, read_item, resource, still_listed
from apiconform.checks.expect import expect, expect_resource, expect_status, violation
from apiconform.contract.model import Resource
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.verdict import HarnessError

STABLE_READS = 3  # tries to see a JSON and an XML rendering of the same state


def _comparable(value: Any) -> Any:
    """XML cannot tell an empty object from an empty string; everything else must match."""
    if value == {} or value == "":
        return None
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _named_xml(ex: Exchange, clause: str) -> tuple[str, Any]:
    try:
        return xmlfmt.loads_named(ex.body)
    except ValueError as exc:
        violation(clause, f"body does not parse: {exc}", ex, actual=ex.text[:200])


def xml_matches_json(api: Api, path: str, res: Resource, clause: str, *, many: bool = False, **kw: Any) -> Any:
    """GET `path` as JSON and as XML: the XML is the JSON's data under the names the XML dialect gives it.

    Names count, not just values (Rails' to_xml): a single resource's root is its dasherized root, a
    list (`many`) is the resource path's last segment holding root-named items, keys are dasherized,
    nested list items singularised. The JSON twin is checked against the schema first, so a broken
    JSON is not blamed on the XML. Returns the JSON's resource data (a dict, or a list of dicts).
    """
    read = api.contract.writes["read_clause"]
    for _ in range(STABLE_READS):
        json_ex, xml_ex = api.get(path, fmt="json", **kw), api.get(path, fmt="xml", **kw)
        expect_status(json_ex, 200, read, f"GET {path}.json")
        expect_status(xml_ex, 200, read, f"GET {path}.xml")
        data = expect_resource(api.contract, json_ex, res, api.contract.schema_clause, many=many)
        if many:
            expected = xmlfmt.named_list(res.path.rsplit("/", 1)[-1], res.root, data)
        else:
            expected = xmlfmt.named(res.root, data)
        root, value = _named_xml(xml_ex, clause)
        diff = xmlfmt.first_difference((expected[0], _comparable(expected[1])), (root, _comparable(value)))
        if diff is None:
            return data
        # Other checks of the run write in parallel: only an XML read again, between two JSON reads that are the
        # same, and still different proves the XML wrong (a write may come and go between two reads).
        again = api.get(path, fmt="xml", **kw)
        if api.get(path, fmt="json", **kw).body == json_ex.body and again.status == 200:
            root, value = _named_xml(again, clause)
            if xmlfmt.first_difference((expected[0], _comparable(expected[1])), (root, _comparable(value))):
                violation(clause, f"{path}.xml departs from {path}.json at {diff.path}: expected {diff.expected}, "
                          f"found {diff.actual}", xml_ex, expected=diff.expected, actual=diff.actual)
    raise HarnessError(f"GET {path}.json changed between every JSON and XML read ({STABLE_READS} tries): "
                       "something else writes to it; not compared")


def same_data_in_every_format(api: Api, res_name: str, clause: str) -> None:
    """The XML rendering carries the JSON rendering's data and names, as a list and as a single item."""
    api.verifies(clause, api.contract.writes["read_clause"], api.contract.schema_clause)
    res = resource(api, res_name)
    if res.singleton:
        xml_matches_json(api, res.path, res, clause)
        return
    params = {api.contract.pagination["limit"]: 5}
    items = xml_matches_json(api, res.path, res, clause, many=True, params=params)
    one = still_listed(api, res, items, params)
    if one is None:
        pytest.skip(f"{res.path} listed no {res.name} that could still be read: its single XML was not compared")
    expect_status(one, 200, api.contract.writes["read_clause"], f"GET {one.url.split('?')[0]}")
    item = expect_resource(api.contract, one, res, api.contract.schema_clause)
    xml_matches_json(api, f"{res.path}/{item['id']}", res, clause)


def create_from_xml(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    """A write in XML is understood: the resource it creates, and a separate read of it, carry the XML's
    required name.

    (Echoing every attribute is the payload checks' clause; this one is about the format.)
    """
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs, fmt="xml") as (ident, item):
        expect(item.get("name") == attrs["name"], clause, "a resource created from XML does not carry its name",
               expected=attrs["name"], actual=item.get("name"))
        stored = read_item(api, res, ident, clause).get("name")
        expect(stored == attrs["name"], clause, "a resource created from XML does not read back with its name",
               expected=attrs["name"], actual=stored)


def accept_ignored(api: Api, clause: str) -> None:
    api.verifies(clause)
    media = api.contract.formats["media_types"]
    for fmt, other in (("json", "xml"), ("xml", "json")):
        ex = api.get(api.contract.probe, fmt=fmt, headers={"Accept": media[other]}, invariants=False)
        expect(ex.media_type != media[other], clause, f".{fmt} with Accept: {media[other]} answered {ex.media_type}",
               ex, expected=media[fmt], actual=ex.media_type)
        api.check(ex)
        expect_status(ex, 200, clause, f".{fmt} with Accept: {media[other]}")


def unsupported_suffix(api: Api, clause: str) -> None:
    api.verifies(clause)
    ex = api.get(api.contract.probe, fmt=api.contract.formats["unsupported_suffix"])
    expect_status(ex, api.contract.formats["unsupported_status"], clause, "unsupported format suffix")


def head_like_get(api: Api, clause: str, etag_clause: str) -> None:
    """HEAD answers 200 with GET's Content-Type and ETag, and not one byte of body.

    GET must answer 200 (the read clause), or there is nothing for HEAD to mirror. GET's ETag
    must be there: a read without one breaks ``etag_clause`` (reads carry an ETag), so two
    missing ETags are a failure of that conditional clause, not an agreement between HEAD and
    GET. HEAD's status, headers and bytes are ``clause``. The bytes come from a raw probe
    (:meth:`Api.raw`), because httpx never reads a body after a HEAD response.
    """
    read = api.contract.writes["read_clause"]
    api.verifies(clause, read, etag_clause)
    get = api.get(api.contract.probe)
    expect_status(get, 200, read, "GET")
    expect("etag" in get.headers, etag_clause, "GET carries no ETag for HEAD to repeat", get, actual="(none)")
    head = api.request("HEAD", api.contract.probe)
    expect_status(head, 200, clause, "HEAD")
    for name in ("content-type", "etag"):
        expect(head.headers.get(name) == get.headers.get(name), clause, f"HEAD {name} differs from GET's", head,
               expected=get.headers.get(name), actual=head.headers.get(name) or "(none)")
    raw = api.raw("HEAD", api.contract.probe)
    expect_status(raw, 200, clause, "HEAD (raw probe)")
    expect(not raw.body, clause, f"HEAD answered with {len(raw.body)} bytes after the headers", raw,
           expected="no bytes", actual=raw.text[:100])


def put_is_patch(api: Api, res_name: str, attrs: dict[str, Any], change: dict[str, Any], clause: str) -> None:
    """PUT changes what it is sent, and only that, and answers as PATCH does.

    The PUT is the first write after the create, so the read-back can only show what the PUT
    did; a PATCH that puts the original values back afterwards gives the answer to compare with.
    """
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, before):
        path = f"{res.path}/{ident}"
        put = api.request("PUT", path, body=res.wrap(change))
        expect_status(put, api.contract.writes.get("update_status", 200), clause, "PUT")
        after = read_item(api, res, ident, clause)
        for key, value in change.items():
            expect(after.get(key) == value, clause, f"PUT did not change {key}", put, expected=value,
                   actual=after.get(key))
        untouched = {k: v for k, v in before.items() if k not in change and k != "updated_at"}
        moved = {k: after.get(k) for k, v in untouched.items() if after.get(k) != v}
        expect(not moved, clause, f"PUT changed attributes it was not sent: {sorted(moved)}", put,
               expected={k: untouched[k] for k in moved}, actual=moved)
        patch = api.patch(path, res.wrap({k: before.get(k) for k in change}))
        expect_status(put, patch.status, clause, "PUT, answered like the same PATCH")
        expect(bool(put.body.strip()) == bool(patch.body.strip()), clause, "PUT and PATCH answer different bodies",
               put, expected=patch.text[:100] or "(empty)", actual=put.text[:100] or "(empty)")


def content_type_required(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    ex = api.post(res.path, res.wrap(attrs), content_type=False)
    stray = created_id(ex, res)
    if stray is not None:
        discard(api, res, stray)
    expect_status(ex, api.contract.writes["content_type_required_status"], clause, "write without Content-Type")
