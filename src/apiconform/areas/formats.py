"""Formats and verbs: suffixes, Accept ignored, 406, HEAD, PUT alias, write statuses, Content-Type."""
from __future__ import annotations

from typing import Any

from apiconform.areas.common import create, created, created_id, discard, resource
from apiconform.checks import body_data, expect, expect_resource, expect_status
from apiconform.client import Api


def _item(data: Any, root: str) -> Any:
    return data[1] if isinstance(data, tuple) else data.get(root)


def _comparable(value: Any) -> Any:
    """XML cannot tell an empty object from an empty string; everything else must match."""
    if value == {} or value == "":
        return None
    if isinstance(value, dict):
        return {k: _comparable(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_comparable(v) for v in value]
    return value


def _both(api: Api, path: str, root: str, clause: str, **kw: Any) -> None:
    read = api.contract.writes["read_clause"]
    json_ex, xml_ex = api.get(path, fmt="json", **kw), api.get(path, fmt="xml", **kw)
    expect_status(json_ex, 200, read, f"GET {path}.json")
    expect_status(xml_ex, 200, read, f"GET {path}.xml")
    as_json = body_data(json_ex, clause)
    as_xml = body_data(xml_ex, clause)[1]
    if isinstance(as_json, list):
        as_json = [item.get(root) for item in as_json]
    else:
        as_json = as_json.get(root)
    expect(_comparable(as_xml) == _comparable(as_json), clause, f"{path}.xml carries other data than {path}.json",
           xml_ex, expected=as_json, actual=as_xml)


def same_data_in_every_format(api: Api, res_name: str, clause: str) -> None:
    """The XML rendering carries the JSON rendering's data, as a list and as a single item."""
    api.verifies(clause, api.contract.writes["read_clause"])
    res = resource(api, res_name)
    if res.singleton:
        _both(api, res.path, res.root, clause)
        return
    pg = api.contract.pagination
    _both(api, res.path, res.root, clause, params={pg["limit"]: 5})
    items = body_data(api.get(res.path, params={pg["limit"]: 1}), clause)
    if items:
        _both(api, f"{res.path}/{items[0][res.root]['id']}", res.root, clause)


def create_from_xml(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    """A write in XML is understood: the resource it creates carries the XML's required name.

    (Echoing every attribute is the payload checks' clause; this one is about the format.)
    """
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs, fmt="xml") as (ident, item):
        expect(item.get("name") == attrs["name"], clause, "a resource created from XML does not carry its name",
               expected=attrs["name"], actual=item.get("name"))


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
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        patch = api.patch(f"{res.path}/{ident}", {res.root: change})
        ex = api.request("PUT", f"{res.path}/{ident}", body={res.root: change})
        expect_status(ex, patch.status, clause, "PUT, answered like the same PATCH")
        expect(bool(ex.body.strip()) == bool(patch.body.strip()), clause, "PUT and PATCH answer different bodies",
               ex, expected=patch.text[:100] or "(empty)", actual=ex.text[:100] or "(empty)")
        after = _item(body_data(api.get(f"{res.path}/{ident}"), clause), res.root)
        for key, value in change.items():
            expect(after.get(key) == value, clause, f"PUT did not change {key}", expected=value, actual=after.get(key))
        expect(after.get("name") == attrs["name"], clause, "PUT replaced attributes it was not sent",
               expected=attrs["name"], actual=after.get("name"))


def create_answers_201(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    ident, item, ex = create(api, res, attrs, clause=clause)
    try:
        expect_resource(api.contract, ex, res, api.contract.schema_clause)
        location = ex.headers.get("location", "")
        expected = api.url(f"{res.path}/{ident}")
        expect(location == expected, clause, "Location is not the new resource's absolute URL", ex,
               expected=expected, actual=location or "(none)")
        again = api.get(f"{res.path}/{ident}")
        expect_status(again, 200, clause, "GET of the created resource")
        expect(_item(body_data(again, clause), res.root) == item, clause,
               "the created body differs from the resource read back", again)
    finally:
        discard(api, res, ident)


def update_answers_empty_200(api: Api, res_name: str, attrs: dict[str, Any], change: dict[str, Any],
                             clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        ex = api.patch(f"{res.path}/{ident}", {res.root: change})
        expect_status(ex, api.contract.writes.get("update_status", 200), clause, "PATCH")
        expect(not ex.body.strip(), clause, "PATCH answered with a body", ex, expected="empty", actual=ex.text[:100])
        after = _item(body_data(api.get(f"{res.path}/{ident}"), clause), res.root)
        for key, value in change.items():
            expect(after.get(key) == value, clause, f"PATCH did not change {key}", expected=value,
                   actual=after.get(key))


def delete_answers_empty_200(api: Api, res_name: str, attrs: dict[str, Any], clause: str,
                             missing_clause: str) -> None:
    api.verifies(clause, missing_clause)
    res = resource(api, res_name)
    ident, _, _ = create(api, res, attrs)
    ex = api.delete(f"{res.path}/{ident}")
    expect_status(ex, api.contract.writes.get("delete_status", 200), clause, "DELETE")
    expect(not ex.body.strip(), clause, "DELETE answered with a body", ex, expected="empty", actual=ex.text[:100])
    gone = api.get(f"{res.path}/{ident}")
    expect(gone.status != 200, clause, "the deleted resource is still readable", gone)
    expect_status(gone, api.contract.writes.get("missing_status", 404), missing_clause, "GET after DELETE")


def content_type_required(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    ex = api.post(res.path, {res.root: attrs}, content_type=False)
    stray = created_id(ex, res)
    if stray is not None:
        discard(api, res, stray)
    expect_status(ex, api.contract.writes["content_type_required_status"], clause, "write without Content-Type")
