"""Writes on an eventually consistent API whose creates answer no id (mStudio).

A create answers 201 and an event id (``consistency.mutation``), not the record: the record is
found in the list read with the event's wait header, among the ids that were not listed before,
by the resource's ``find_by`` field (its value is in the payload: a token's description, an SSH
key's key). Edits (``update_method``, PUT for mStudio) answer 204 and an event id; the read-back
waits for that event. The payload checks here are ``checks.payloads``' for such an API: valid
creates and edits read back as sent, invalid edits refused; replay sends the recorded payloads.
"""
from __future__ import annotations

import hashlib
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from referencing import Registry
from referencing.jsonschema import DRAFT202012

from apiconform.checks import consistency, payloads
from apiconform.checks.common import as_credential, note_write, resource, sample
from apiconform.checks.expect import body_data, expect, expect_error, expect_status, violation
from apiconform.checks.generate import breaks_only, invalid_payload, valid_payloads
from apiconform.contract.model import InvalidPayload, Resource
from apiconform.contract.schemas import load_schema
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.writes import uninterrupted
from apiconform.record.cassettes import CassetteError
from apiconform.verdict import HarnessError


def listed(api: Api, res: Resource, clause: str, event: str | None = None) -> list[dict[str, Any]]:
    """The resource's list (with the wait header for ``event``), each entry a record."""
    ex = consistency.read_after(api, res.path, event) if event else api.get(res.path)
    expect_status(ex, 200, api.contract.writes["read_clause"], f"GET {res.path}")
    data = body_data(ex, clause)
    items = api.contract.list_records(res, data)
    expect(isinstance(items, list) and all(isinstance(i, dict) for i in items), clause,
           f"GET {res.path} is not a list of {res.name}", ex, actual=ex.text[:200])
    return items


def _carried(record: dict[str, Any], field: str, attrs: dict[str, Any]) -> bool:
    value = record.get(field)
    return isinstance(value, str) and any(value == v or (value and value in v) for v in attrs.values()
                                          if isinstance(v, str))


def create(api: Api, res: Resource, attrs: dict[str, Any], clause: str, **kw: Any) -> tuple[str, dict[str, Any]]:
    """POST ``attrs``; 201 with an event id; the new record as listed once the event is reached."""
    before = {r.get(res.id_field) for r in listed(api, res, clause)}
    with uninterrupted():  # an interrupt before the record is found would leave it off the ledger
        ex = api.post(res.path, attrs, **kw)
        expect_status(ex, api.contract.writes.get("create_status", 201), clause, f"create {res.name}")
        event = consistency.mutation(api, ex, f"create {res.name}")
        new = [r for r in listed(api, res, clause, event) if r.get(res.id_field) not in before]
        found = [r for r in new if _carried(r, res.find_by, attrs)]
        if len(found) > 1:  # a parallel check's record whose value is a part of ours (a short generated key)
            longest = max(len(r[res.find_by]) for r in found)
            found = [r for r in found if len(r[res.find_by]) == longest]
        if len(found) > 1:
            raise HarnessError(f"{len(found)} new {res.name} records carry {res.find_by} of {attrs!r}: another check "
                               "created the same one meanwhile")
        if not found:  # the list was read waiting for the create's event: it must show the write
            violation(consistency.clause(api, "read_your_write"), f"the {res.name} created with {attrs!r} is not "
                      f"listed by a read waiting for its event {event}", ex, expected=attrs,
                      actual=[r.get(res.find_by) for r in new])
        ident = str(found[0][res.id_field])
        note_write(api, "created", res, ident)  # the answer named no id, so the client's ledger could not
    return ident, found[0]


def read(api: Api, res: Resource, ident: str, event: str | None, clause: str) -> dict[str, Any]:
    """GET one record (with the wait header for ``event``): 200 and the record, unwrapped from ``item_key``."""
    path = f"{res.path}/{ident}"
    ex = consistency.read_after(api, path, event) if event else api.get(path)
    expect_status(ex, 200, consistency.clause(api, "read_your_write") if event else clause,
                  f"GET {path}" + (f" waiting for event {event}" if event else ""))
    data = body_data(ex, clause)
    item = data.get(res.item_key) if res.item_key and isinstance(data, dict) else data
    expect(isinstance(item, dict), clause, f"GET {path} does not carry a {res.name}", ex, actual=ex.text[:200])
    return item


def tagged(api: Api, res: Resource, purpose: str) -> dict[str, Any]:
    """The resource's sample with ``{tag}`` filled in from ``purpose``: the same in every run (so replay finds the
    record it recorded) and different for every check (so checks running in parallel never create the same one,
    which a create that answers no id could not tell apart)."""
    tag = hashlib.sha256(f"{res.name} {purpose}".encode()).hexdigest()[:24]
    return {k: v.replace("{tag}", tag) if isinstance(v, str) else v for k, v in sample(api, res).items()}


def discard(api: Api, res: Resource, ident: str) -> None:
    """Cleanup without contract checks; like ``common.discard``, never replaces a verdict in flight."""
    in_flight = sys.exception()
    try:
        api.delete(f"{res.path}/{ident}", invariants=False)
    except HarnessError as exc:
        if in_flight is None:
            raise
        in_flight.add_note(f"cleanup of {res.name} {ident} failed too: {exc}")


@contextmanager
def created(api: Api, res: Resource, attrs: dict[str, Any], clause: str) -> Iterator[tuple[str, dict[str, Any]]]:
    ident, record = create(api, res, attrs, clause)
    try:
        yield ident, record
    finally:
        discard(api, res, ident)


def edit(api: Api, res: Resource, ident: str, attrs: dict[str, Any], clause: str, **kw: Any) -> str:
    """Edit ``ident`` with ``attrs``: the update status (204) without a body, and an event id."""
    path = f"{res.path}/{ident}"
    ex = api.request(res.update_method, path, body=attrs, **kw)
    expect_status(ex, api.contract.writes.get("update_status", 204), clause, f"{res.update_method} {path}")
    expect(not ex.body, clause, f"{res.update_method} {path} answered {len(ex.body)} bytes, not an empty body", ex,
           actual=ex.text[:200])
    return consistency.mutation(api, ex, f"{res.update_method} {path}")


def gone(api: Api, path: str, event: str, clause: str) -> None:
    """After a delete (``event``): a read that waits for it no longer finds the record. Still there fails
    ``clause``; any other answer than the missing status is that status's clause (``access.unknown_is_404``'s)."""
    ex = consistency.read_after(api, path, event)
    expect(ex.status != 200, clause, f"GET {path} still finds the record after its delete", ex, expected=404,
           actual=ex.status)
    writes = api.contract.writes
    api.verifies(writes["missing_clause"])
    expect_error(api.contract, ex, writes.get("missing_status", 404), writes.get("missing_error", ""),
                 writes["missing_clause"], f"GET {path} after the delete")


def same(sent: Any, stored: Any) -> bool:
    """Equal, or the same moment (a date-time may come back in another notation)."""
    if sent == stored:
        return True
    try:
        return datetime.fromisoformat(str(sent).replace("Z", "+00:00")) == \
            datetime.fromisoformat(str(stored).replace("Z", "+00:00"))
    except ValueError:
        return False


def _declared(api: Api, res: Resource) -> set[str]:
    """The properties the record schema declares (its top-level ``$ref`` followed)."""
    schema = load_schema(api.contract.provider, res.schema)
    if "$ref" in schema:
        schema = Registry().resolver_with_root(DRAFT202012.create_resource(schema)).lookup(schema["$ref"]).contents
    return set(schema.get("properties", {}))


def _holds(api: Api, res: Resource, record: dict[str, Any], attrs: dict[str, Any], clause: str, what: str) -> None:
    """Each sent field the record carries or its schema declares reads back as sent: one the record leaves out
    fails, so a target that drops a field cannot pass by omission (a create-only field, such as an SSH key's
    publicKey, is neither and is not compared)."""
    declared = _declared(api, res)
    for key, value in attrs.items():
        if key in record or key in declared:
            expect(same(value, record.get(key)), clause, f"{what}: {key} reads back as {record.get(key)!r}",
                   expected=value, actual=record.get(key))


def valid_creates(api: Api, res_name: str, n: int, clause: str) -> None:
    """``n`` valid creates from the create schema: each listed, read back carrying what was sent."""
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.create_schema)
    attempts = payloads.recorded(api, res, n) if api.replaying else valid_payloads(schema, n)
    for attrs in attempts:
        payloads.still_valid(api, attrs, schema)
        with created(api, res, attrs, clause) as (ident, record):
            _holds(api, res, record, attrs, clause, f"created {res_name}")
    payloads.all_sent(api, len(attempts), n)


def valid_edits(api: Api, res_name: str, n: int, clause: str) -> None:
    """``n`` valid edits of one record: each 204, then read back (waiting for its event) as sent; ``clause`` is
    the resource's edit clause."""
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.update_schema)
    with created(api, res, tagged(api, res, f"edits {clause}"), clause) as (ident, _):
        attempts = payloads.recorded(api, res, n, res.update_method) if api.replaying else valid_payloads(schema, n)
        for attrs in attempts:
            payloads.still_valid(api, attrs, schema)
            event = edit(api, res, ident, attrs, clause)
            consistency.shows_write(api, f"{res.path}/{ident}", read(api, res, ident, event, clause), attrs, clause,
                                    res.item_key, same)
        payloads.all_sent(api, len(attempts), n)


def invalid_refused(api: Api, spec: InvalidPayload, n: int) -> None:
    """Like ``payloads.invalid_rejected``, for an API whose creates answer no id: a create that was accepted
    is found and removed, and an edit goes to a record created here."""
    api.verifies(spec.clause, spec.accepted_clause)
    res = resource(api, spec.resource)
    updating = spec.action == "update"
    schema = load_schema(api.contract.provider, res.update_schema if updating else res.create_schema)
    if api.replaying:
        bad_ones = payloads.recorded(api, res, n, res.update_method if updating else "POST")
        if not all(breaks_only(schema, bad, spec.constraint) for bad in bad_ones):
            raise CassetteError(f"{api.cassette_path}: a recorded payload no longer breaks exactly {spec.constraint}; "
                                "re-record")
    else:
        bad_ones = [invalid_payload(schema, base, spec.constraint) for base in valid_payloads(schema, n)]
    if updating:
        with created(api, res, tagged(api, res, f"invalid {spec.constraint}"), spec.clause) as (ident, _):
            for bad in bad_ones:
                ex = api.request(res.update_method, f"{res.path}/{ident}", body=bad)
                payloads.refused(api, spec, ex, bad)
                names_field(api, ex, spec)
            payloads.all_sent(api, len(bad_ones), n)
        return
    for bad in bad_ones:
        ex = api.post(res.path, bad)
        payloads.refused(api, spec, ex, bad)
        names_field(api, ex, spec)
    payloads.all_sent(api, len(bad_ones), n)


def names_field(api: Api, ex: Exchange, spec: InvalidPayload) -> None:
    """With ``[errors.validation]`` (list, path, clause): the refusal lists a problem at the broken property's
    path, in JS property notation (``.roles``, ``.roles[1]``). A missing property may also be named the way
    ajv does, where the validation's ``context`` and ``missing`` say so (mStudio): the path of its object
    (``""`` at the top) and ``context.missingProperty`` naming it."""
    rule = api.contract.errors.get("validation")
    if not rule:
        return
    api.verifies(rule["clause"])
    keyword, _, prop = spec.constraint.partition(":")
    entries = ex.data().get(rule["list"]) if isinstance(ex.data(), dict) else None
    found = [e for e in entries or [] if isinstance(e, dict)]
    paths = [e.get(rule["path"]) for e in found]
    at_prop = any(isinstance(p, str) and (p == f".{prop}" or p.startswith(f".{prop}[")) for p in paths)
    context = [e.get(rule["context"]) for e in found if e.get(rule["path"]) == ""] if "context" in rule else []
    missing = keyword == "required" and any(isinstance(c, dict) and c.get(rule["missing"]) == prop for c in context)
    expect(at_prop or missing, rule["clause"], f"the refusal of a payload breaking {spec.constraint} names the paths "
           f"{paths}, not .{prop}" + (f" (nor {rule['context']}.{rule['missing']} {prop!r} at the top)"
                                      if keyword == "required" and "context" in rule else ""),
           ex, expected=f".{prop}", actual=found)


def read_only_refused(api: Api, res_name: str, credential: str, change: dict[str, Any], clause: str) -> None:
    """A role that may only read (``[roles.<credential>]``): its list read and its read of one record are
    served; its create, edit and delete get the role's status and error; the owner's record reads back
    untouched."""
    api.verifies(clause)
    who = as_credential(api, credential)
    role = api.contract.role(credential)
    res = resource(api, res_name)
    refusal = {"status": role["status"], "error": role.get("error", ""), "clause": clause}
    ex = api.get(res.path, **who)  # a read token refused with 401 is a genuine token refused: its own clause
    expect_status(ex, 200, clause, f"list {res_name} as {credential}")
    with created(api, res, tagged(api, res, f"owner {credential}"), clause) as (ident, before):
        expect_error(api.contract, api.post(res.path, tagged(api, res, f"as {credential}"), **who), **refusal,
                     what=f"create {res_name} as {credential}")
        path = f"{res.path}/{ident}"
        expect_status(api.get(path, **who), 200, clause, f"read {res_name} {ident} as {credential}")
        for method in (res.update_method, "DELETE"):
            ex = api.request(method, path, body=change if method != "DELETE" else None, **who)
            expect_error(api.contract, ex, **refusal, what=f"{method} {res_name} as {credential}")
        after = read(api, res, ident, None, api.contract.writes["read_clause"])
        expect(after == before, clause, f"refused writes as {credential} changed {res_name} {ident}",
               expected=before, actual=after)
