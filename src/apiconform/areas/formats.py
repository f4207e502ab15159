"""Formats and verbs: suffixes, Accept ignored, 406, HEAD, PUT alias, write statuses, Content-Type."""
from __future__ import annotations

from typing import Any

from apiconform.areas.common import create, created, created_id, discard, resource
from apiconform.checks import body_data, expect, expect_resource, expect_status
from apiconform.client import Api


def _item(data: Any, root: str) -> Any:
    return data[1] if isinstance(data, tuple) else data.get(root)


def same_data_in_every_format(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    """The XML rendering carries the JSON rendering's data, for a single resource and a list."""
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        as_json = _item(body_data(api.get(f"{res.path}/{ident}", fmt="json"), clause), res.root)
        xml_ex = api.get(f"{res.path}/{ident}", fmt="xml")
        as_xml = _item(body_data(xml_ex, clause), res.root)
        expect(as_xml == as_json, clause, f"{res_name} in XML differs from JSON", xml_ex,
               expected=as_json, actual=as_xml)
    with created(api, res, attrs, fmt="xml") as (ident, item):
        expect(item.get("name") == attrs.get("name"), clause, "a resource created from XML does not echo its name",
               expected=attrs.get("name"), actual=item.get("name"))


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


def head_like_get(api: Api, clause: str) -> None:
    api.verifies(clause)
    get = api.get(api.contract.probe)
    head = api.request("HEAD", api.contract.probe)
    expect_status(head, get.status, clause, "HEAD")
    expect(not head.body, clause, "HEAD answered with a body", head, actual=head.text[:100])
    for name in ("content-type", "etag"):
        expect(head.headers.get(name) == get.headers.get(name), clause, f"HEAD {name} differs from GET's", head,
               expected=get.headers.get(name), actual=head.headers.get(name))


def put_is_patch(api: Api, res_name: str, attrs: dict[str, Any], change: dict[str, Any], clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        ex = api.request("PUT", f"{res.path}/{ident}", body={res.root: change})
        expect_status(ex, api.contract.writes.get("update_status", 200), clause, "PUT")
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
