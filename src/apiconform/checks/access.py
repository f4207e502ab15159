"""Roles and statuses: forbidden writes, hidden records, unknown ids, locks, malformed bodies."""
from __future__ import annotations

from typing import Any

from apiconform.checks.common import as_credential, created, created_id, discard, read_item, resource
from apiconform.checks.expect import body_data, expect, expect_error, expect_resource, expect_status
from apiconform.checks.generate import valid_payloads
from apiconform.contract.model import Resource
from apiconform.contract.schemas import load_schema
from apiconform.http.client import Api


def role_cannot_write(api: Api, res_name: str, credential: str, attrs: dict[str, Any], clause: str) -> None:
    """A restricted role's writes are refused as its ``[roles.<credential>]`` says (default: a create, 403).

    Where the role may read (``reads``), a list and a single record read as the role must answer 200, the
    record as the target's own credentials read it, so a key refused any read cannot pass. An update or
    delete goes to a record the target's own credentials created; their read-back afterwards must equal a
    read taken before the refusals (not the create's answer, whose differences are the create's clause).
    """
    api.verifies(clause)
    who = as_credential(api, credential)
    role = api.contract.role(credential)
    res = resource(api, res_name)
    if role["reads"]:
        ex = api.get(res.path, invariants=False, **who)
        expect_status(ex, 200, clause, f"list {res_name} as {credential}")
        api.check(ex)
    refused = {"status": role["status"], "error": role.get("error", ""), "clause": clause}
    if "POST" in role["writes"]:
        ex = api.post(res.path, res.wrap(attrs), **who)
        stray = created_id(ex, res)
        if stray is not None:
            discard(api, res, stray)
        expect_error(api.contract, ex, **refused, what=f"create {res_name} as {credential}")
    others = [m for m in ("PATCH", "DELETE") if m in role["writes"]]
    if not (others or role["reads"]):
        return
    with created(api, res, attrs) as (ident, _):
        path, read_clause = f"{res.path}/{ident}", api.contract.writes["read_clause"]
        # Read before the refusals, so that a record missing or changed after them was changed by one.
        first = api.get(path)
        expect_status(first, 200, read_clause, f"GET {res_name} {ident}")
        before = expect_resource(api.contract, first, res, api.contract.schema_clause)
        if role["reads"]:
            ex = api.get(path, invariants=False, **who)
            expect_status(ex, 200, clause, f"GET {res_name} {ident} as {credential}")
            api.check(ex)
            seen = expect_resource(api.contract, ex, res, api.contract.schema_clause)
            expect(seen == before, clause, f"{res_name} {ident} read as {credential} differs", ex,
                   expected=before, actual=seen)
        change = res.wrap(_change(api, res, attrs)) if "PATCH" in others else None
        for method in others:
            ex = api.request(method, path, body=change if method == "PATCH" else None, **who)
            expect_error(api.contract, ex, **refused, what=f"{method} {res_name} as {credential}")
            read = api.get(path)
            expect(read.status != api.contract.writes.get("missing_status", 404), clause,
                   f"a refused {method} as {credential} removed {res_name} {ident}", read, expected=200,
                   actual=read.status)
            expect_status(read, 200, read_clause, f"GET {res_name} {ident} after {method}")
            after = expect_resource(api.contract, read, res, api.contract.schema_clause)
            expect(after == before, clause, f"a refused {method} as {credential} changed {res_name} {ident}",
                   read, expected=before, actual=after)


def _change(api: Api, res: Resource, attrs: dict[str, Any]) -> dict[str, Any]:
    """An update that differs from ``attrs`` in every field it sends, so a write that was applied
    shows in the read-back: a valid draw from the update schema (or the create schema) that
    covers every property, else ``attrs`` with each text changed."""
    schema_name = res.update_schema or res.create_schema
    if schema_name:
        drawn = valid_payloads(load_schema(api.contract.provider, schema_name), 1)[0]
        return {k: v for k, v in drawn.items() if attrs.get(k) != v}
    return {k: f"{v} (changed)" for k, v in attrs.items() if isinstance(v, str)}


def role_cannot_read(api: Api, res_name: str, credential: str, clause: str) -> None:
    api.verifies(clause)
    ex = api.get(resource(api, res_name).path, **as_credential(api, credential))
    expect_status(ex, 403, clause, f"list {res_name} as {credential}")


def hidden_from_role(api: Api, res_name: str, credential: str, attrs: dict[str, Any], clause: str) -> None:
    """Another user's record answers 404 (not 403), so its existence does not leak."""
    api.verifies(clause)
    who = as_credential(api, credential)
    res = resource(api, res_name)
    with created(api, res, attrs) as (ident, _):
        ex = api.get(f"{res.path}/{ident}", **who)
        expect_status(ex, 404, clause, f"another user's {res_name} read as {credential}")


def unknown_is_404(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    ex = api.get(f"{res.path}/{res.unknown_id}")
    writes = api.contract.writes
    expect_error(api.contract, ex, writes.get("missing_status", 404), writes.get("missing_error", ""), clause,
                 f"unknown {res_name} id")


def unknown_endpoint_is_404(api: Api, clause: str) -> None:
    """A path that is no endpoint of the API gets the missing status (and error type: ``endpoint_error``,
    else ``missing_error``)."""
    api.verifies(clause)
    writes = api.contract.writes
    ex = api.get("apiconform-no-such-endpoint")
    error = writes.get("endpoint_error", writes.get("missing_error", ""))
    expect_error(api.contract, ex, writes.get("missing_status", 404), error, clause,
                 "an unknown endpoint")


def malformed_body_is_400(api: Api, res_name: str, fmt: str, clause: str) -> None:
    """A body that does not parse gets 400, of the type ``[writes] malformed_error`` names (if any); where
    ``[writes] malformed_body`` gives the refusal's exact body (Hive's ``["bad request"]``), that body and no other."""
    api.verifies(clause)
    res = resource(api, res_name)
    raw = f'{{"{res.root}": {{"name": ' if fmt == "json" else f"<{res.root}><name>unclosed</{res.root}"
    ex = api.post(res.path, raw=raw, fmt=fmt)
    stray = created_id(ex, res)
    if stray is not None:
        discard(api, res, stray)
    expect_error(api.contract, ex, 400, api.contract.writes.get("malformed_error", ""), clause, f"malformed {fmt} body")
    body = api.contract.writes.get("malformed_body")
    if body is not None:
        got = body_data(ex, clause)
        expect(got == body, clause, f"malformed {fmt} body: the refusal's body is not the documented one", ex,
               expected=body, actual=got)


def locked_refuses_changes(api: Api, res_name: str, attrs: dict[str, Any], clause: str) -> None:
    """A locked record refuses update and delete, and a separate read shows it unchanged; the documented
    override (force) still works, and the update after it reads back."""
    api.verifies(clause)
    res = resource(api, res_name)
    locked = api.contract.writes.get("locked_status", 423)
    with created(api, res, attrs) as (ident, _):
        path = f"{res.path}/{ident}"
        expect_status(api.patch(path, res.wrap(dict(res.lock or {}))), 200, clause, "lock")
        before = read_item(api, res, ident, clause)
        expect_status(api.patch(path, res.wrap({"note": "changed while locked"})), locked, clause,
                      "update of a locked record")
        expect_status(api.delete(path), locked, clause, "delete of a locked record")
        after = read_item(api, res, ident, clause)
        expect(after == before, clause, "the refused update or delete changed the locked record", expected=before,
               actual=after)
        expect_status(api.patch(path, res.wrap(dict(res.unlock or {}))), 200, clause, "unlock with force")
        expect_status(api.patch(path, res.wrap({"note": "changed after unlock"})), 200, clause,
                      "update after unlock")
        note = read_item(api, res, ident, clause).get("note")
        expect(note == "changed after unlock", clause, "the update after the unlock does not read back",
               expected="changed after unlock", actual=note)
