"""What a write answers, as the contract's ``[writes]`` says: status, body, Location, and the state after it.

mite answers a create with 201, a Location and the resource, an update and a delete with an
empty 200; Mitwirken answers all three with 200 and a body (the member, or a deletion marker).
Each check verifies its write through a separate read, never through the write's own answer.
"""
from __future__ import annotations

from typing import Any

from apiconform.checks.common import create, created, discard, read_item, resource, sample
from apiconform.checks.expect import body_data, expect, expect_error, expect_resource, expect_status
from apiconform.checks.payloads import unique
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange


def create_answers(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    """The create's status, its body the resource as read back, and (``location``) its absolute URL."""
    api.verifies(clause)
    writes = api.contract.writes
    res = resource(api, res_name)
    ident, item, ex = create(api, res, attrs, clause=clause)
    try:
        expect_resource(api.contract, ex, res, api.contract.schema_clause)
        if writes.get("location"):
            location = ex.headers.get("location", "")
            expected = api.url(f"{res.path}/{ident}")
            expect(location == expected, clause, "Location is not the new resource's absolute URL", ex,
                   expected=expected, actual=location or "(none)")
        again = read_item(api, res, ident, clause)
        expect(again == item, clause, "the created body differs from the resource read back",
               expected=item, actual=again)
    finally:
        discard(api, res, ident)


def update_answers(api: Api, res_name: str, attrs: dict[str, Any], change: dict[str, Any], clause: str) -> None:
    """The update's status and body (``update_body``): empty, and the change visible on the next read; or
    the resource, as the next read shows it (whether the change itself is kept is the payload checks' clause)."""
    api.verifies(clause)
    writes = api.contract.writes
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        ex = api.patch(f"{res.path}/{ident}", res.wrap(change))
        expect_status(ex, writes.get("update_status", 200), clause, "PATCH")
        if writes.get("update_body", "empty") == "empty":
            _expect_empty(ex, clause)
            after = read_item(api, res, ident, clause)
            for key, value in change.items():
                expect(after.get(key) == value, clause, f"PATCH did not change {key}", ex, expected=value,
                       actual=after.get(key))
            return
        item = res.unwrap(body_data(ex, clause))
        expect(isinstance(item, dict) and item.get("id") == ident, clause, f"PATCH did not answer with {res.name} "
               f"{ident}", ex, expected=f"{res.name} {ident}", actual=ex.text[:200])
        expect_resource(api.contract, ex, res, api.contract.schema_clause)
        again = read_item(api, res, ident, clause)
        expect(again == item, clause, "the updated body differs from the resource read back", ex,
               expected=again, actual=item)


def delete_answers(api: Api, res_name: str, attrs: dict[str, Any], clause: str, missing_clause: str) -> None:
    """The delete's status and body (``delete_body``: empty, or these fields plus the id); then it is gone."""
    api.verifies(clause, missing_clause)
    writes = api.contract.writes
    res = resource(api, res_name)
    ident, _, _ = create(api, res, attrs)
    ex = api.delete(f"{res.path}/{ident}")
    expect_status(ex, writes.get("delete_status", 200), clause, "DELETE")
    marker = writes.get("delete_body", "empty")
    if marker == "empty":
        _expect_empty(ex, clause)
    else:
        expected = {**marker, "id": ident}
        data = body_data(ex, clause)
        got = {k: data.get(k) for k in expected} if isinstance(data, dict) else data
        expect(got == expected, clause, "DELETE did not answer with the deletion marker", ex, expected=expected,
               actual=got)
    gone = api.get(f"{res.path}/{ident}")
    expect(gone.status != 200, clause, "the deleted resource is still readable", gone)
    expect_error(api.contract, gone, writes.get("missing_status", 404), writes.get("missing_error", ""),
                 missing_clause, "GET after DELETE")


def _expect_empty(ex: Exchange, clause: str) -> None:
    expect(not ex.body.strip(), clause, f"{ex.method} answered with a body", ex, expected="empty",
           actual=ex.text[:100])


def soft_delete(api: Api) -> None:
    """``[soft_delete]``: DELETE marks the record (``field`` = ``deleted``) and it stays readable; the next
    update, a create with the same attributes, or an ``[upsert]`` of it makes that record ``active`` again.
    The reads are held to this clause: a hard delete's 404 fails it."""
    spec = api.contract.raw["soft_delete"]
    clause = spec["clause"]
    api.verifies(clause)
    res = resource(api, spec["resource"])
    attrs = unique(res, sample(api, res))
    ident, _, _ = create(api, res, attrs)
    read_item(api, res, ident, clause)  # readable before the delete: a read that always fails is the read clause's
    upsert = api.contract.raw.get("upsert", {})
    revivals = [("update", lambda: api.patch(f"{res.path}/{ident}", res.wrap({"name": f"{attrs['name']} revived"})),
                 lambda answer: res.unwrap(answer), clause),
                ("create", lambda: api.post(res.path, res.wrap(attrs)), lambda answer: res.unwrap(answer), clause)]
    if upsert.get("resource") == res.name:  # whether the upsert updated at all is the upsert clause's business
        api.verifies(upsert["clauses"]["upsert"])
        revivals.append(("bulk upsert", lambda: api.post(upsert["path"], {upsert["items"]: [attrs]}),
                         lambda answer: (answer.get(api.contract.lists["items"]) or [None])[0],
                         upsert["clauses"]["upsert"]))
    for how, revive, record, same_clause in revivals:
        ex = api.delete(f"{res.path}/{ident}")
        expect_status(ex, (200, 204), clause, f"DELETE {res.path}/{ident}")
        _read_as(api, res, ident, spec, "deleted", "after the delete")
        answer = revive()
        expect_status(answer, (200, 201), clause, f"{how} of the deleted {res.name}")
        data = body_data(answer, clause)
        revived = record(data) if isinstance(data, dict) else None
        got = revived.get("id") if isinstance(revived, dict) else None
        expect(got == ident, same_clause, f"the {how} of the deleted {res.name} answers another record", answer,
               expected=ident, actual=got)
        _read_as(api, res, ident, spec, "active", f"after the {how}")


def _read_as(api: Api, res: Any, ident: Any, spec: dict[str, Any], step: str, when: str) -> None:
    clause = spec["clause"]
    back = api.get(f"{res.path}/{ident}")
    expect_status(back, 200, clause, f"GET {res.path}/{ident} {when}")
    item = expect_resource(api.contract, back, res, api.contract.schema_clause)
    expect(item.get(spec["field"]) == spec[step], clause, f"the {res.name} read back {when} is not {spec[step]}",
           back, expected=spec[step], actual=item.get(spec["field"]))


def duplicate_refused(api: Api, res_name: str, field: str, status: int, clause: str) -> None:
    """A second create with ``field`` already taken is refused with ``status``."""
    api.verifies(clause)
    res = resource(api, res_name)
    attrs = unique(res, sample(api, res))
    create(api, res, attrs)
    ex = api.post(res.path, res.wrap(attrs))
    expect_status(ex, status, clause, f"a second {res.name} with {field} {attrs[field]!r}")
