"""Generated payloads: valid ones are accepted and kept (a separate read shows each field), invalid ones
rejected as documented.

Live and record draw payloads with Hypothesis from the resource's create schema; replay
takes the payloads its cassette recorded and re-validates them, so replayed verdicts do not
depend on the Hypothesis version. A replay sends exactly as many payloads as the check sends
live, or it is a cassette error: a trimmed or empty cassette cannot pass.
"""
from __future__ import annotations

import json
import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from apiconform.checks.common import Ident, created, created_id, discard, resource, sample
from apiconform.checks.expect import body_data, expect, expect_error, expect_resource, expect_status
from apiconform.checks.generate import breaks_only, invalid_payload, valid_payloads
from apiconform.contract.model import InvalidPayload, Resource
from apiconform.contract.schemas import load_schema, problems
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.record.cassettes import CassetteError, recorded_bodies

ID = "{id}"  # stands for a record's id in the path of a recorded update


def recorded(api: Api, res: Resource, n: int, method: str = "POST") -> list[Any]:
    """The payloads the cassette recorded (creates, or updates of one record); more than the ``n``
    the check sends is a cassette error."""
    assert api.cassette_path is not None
    where = urlsplit(api.url(f"{res.path}/{ID}" if method in ("PATCH", "PUT") else res.path)).path
    bodies = recorded_bodies(api.cassette_path, method, re.escape(where).replace(re.escape(ID), "[^/]+"))
    if len(bodies) > n:
        raise _count_error(api, len(bodies), n)
    payloads = [_payload(res, body) for body in bodies]
    if not all(isinstance(p, dict) for p in payloads):
        raise CassetteError(f"{api.cassette_path}: a recorded {method} {where} body is not a {res.name} payload; "
                            "re-record")
    return payloads


def _payload(res: Resource, body: str) -> Any:
    try:
        return res.unwrap(json.loads(body))
    except ValueError:
        return None


def all_sent(api: Api, sent: int, n: int) -> None:
    """After the loop: a replay that got through fewer payloads than the check sends proved nothing.

    A recording of a run that failed midway holds fewer, but then its replay fails at the same
    payload and never gets here.
    """
    if sent != n:
        raise _count_error(api, sent, n)


def _count_error(api: Api, recorded: int, n: int) -> CassetteError:
    return CassetteError(f"{api.cassette_path}: recorded {recorded} payloads, the check sends {n}; re-record")


def valid_accepted(api: Api, res_name: str, n: int, clause: str) -> None:
    """Valid create payloads: answered with the create status (the writes' create clause), echoed, and kept.

    Kept is shown by a separate GET of the new record (:func:`kept`): a target that answers with the body
    it was sent but stores only some of it (the required fields, say) echoes everything and fails only there.
    """
    create_clause = api.contract.writes.get("create_clause", clause)
    api.verifies(clause, create_clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.create_schema)
    payloads = recorded(api, res, n) if api.replaying else [unique(res, p) for p in valid_payloads(schema, n)]
    for attrs in payloads:
        still_valid(api, attrs, schema)
        ex = api.post(res.path, res.wrap(attrs))
        stray = created_id(ex, res)
        try:
            expect_status(ex, api.contract.writes.get("create_status", 201), create_clause,
                          f"create {res_name} {attrs!r}")
            item = expect_resource(api.contract, ex, res, api.contract.schema_clause)
            for key, value in attrs.items():
                expect(echoes(value, item.get(key)), clause, f"created {res_name} does not echo {key}", ex,
                       expected=value, actual=item.get(key))
            expect(stray is not None, create_clause, f"created {res_name} carries no id", ex, actual=ex.text[:200])
            kept(api, res, stray, attrs, clause, "the create")
        finally:
            if stray is not None:
                discard(api, res, stray)
    all_sent(api, len(payloads), n)


def valid_updates_accepted(api: Api, res_name: str, n: int, clause: str) -> None:
    """Valid update payloads, each sent to one sample record: accepted, and each field read back as sent
    by a separate GET (:func:`kept`), so an update that answers well but keeps nothing fails."""
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.update_schema)
    with created(api, res, sample(api, res)) as (ident, _):
        payloads = recorded(api, res, n, "PATCH") if api.replaying else [unique(res, p)
                                                                          for p in valid_payloads(schema, n)]
        for attrs in payloads:
            still_valid(api, attrs, schema)
            ex = api.patch(f"{res.path}/{ident}", res.wrap(attrs))
            expect_status(ex, api.contract.writes.get("update_status", 200), clause, f"update {res_name} {attrs!r}")
            kept(api, res, ident, attrs, clause, "the update")
        all_sent(api, len(payloads), n)  # before the cleanup, which a trimmed cassette lacks too


def kept(api: Api, res: Resource, ident: Ident, attrs: dict[str, Any], clause: str, write: str) -> None:
    """A separate GET of ``ident`` carries every field of ``attrs`` as :func:`echoes` compares them: what the
    write's own answer says proves nothing about what was stored."""
    back = api.get(f"{res.path}/{ident}")
    expect_status(back, 200, api.contract.writes["read_clause"], f"GET {res.name} {ident} after {write}")
    item = expect_resource(api.contract, back, res, api.contract.schema_clause)
    for key, value in attrs.items():
        expect(echoes(value, item.get(key)), clause, f"{res.name} read back after {write} does not carry {key}",
               back, expected=value, actual=item.get(key))


def unique(res: Resource, attrs: dict[str, Any]) -> dict[str, Any]:
    """``attrs`` with a fresh value in each of the resource's ``unique`` fields it carries, so that
    derandomised examples (and earlier runs on a live account) never collide on them."""
    return {**attrs, **{name: f"apiconform-{secrets.token_hex(6)}" for name in res.unique if name in attrs}}


def echoes(sent: Any, got: Any) -> bool:
    """The answer carries what was sent: objects field by field (the stored record may add read-only
    fields, e.g. a line item's sku_id), lists item by item, numbers by value, anything else equal."""
    if isinstance(sent, dict):
        return isinstance(got, dict) and all(echoes(v, got.get(k)) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(got, list) and len(got) == len(sent) and all(map(echoes, sent, got))
    if isinstance(sent, bool) or isinstance(got, bool):
        return sent is got
    return sent == got


def still_valid(api: Api, attrs: Any, schema: dict[str, Any]) -> None:
    if problems(attrs, schema):  # a replayed payload the schema has since outlawed: re-record
        raise CassetteError(f"{api.cassette_path}: recorded payload {attrs!r} is no longer valid; re-record")


def invalid_rejected(api: Api, spec: InvalidPayload, n: int) -> None:
    """Each payload breaking ``spec.constraint`` is refused (else ``spec.accepted_clause`` fails) with the
    status and error type of ``spec.clause``. An update goes to one sample record."""
    api.verifies(spec.clause, spec.accepted_clause)
    res = resource(api, spec.resource)
    updating = spec.action == "update"
    schema = load_schema(api.contract.provider, res.update_schema if updating else res.create_schema)
    if api.replaying:
        payloads = recorded(api, res, n, "PATCH" if updating else "POST")
        for bad in payloads:
            if not breaks_only(schema, bad, spec.constraint):
                raise CassetteError(f"{api.cassette_path}: recorded payload {bad!r} no longer breaks exactly "
                                    f"{spec.constraint}; re-record")
    else:
        payloads = [invalid_payload(schema, unique(res, base), spec.constraint) for base in valid_payloads(schema, n)]
    if updating:
        with created(api, res, sample(api, res)) as (ident, _):
            for bad in payloads:
                refused(api, spec, api.patch(f"{res.path}/{ident}", res.wrap(bad)), bad)
            all_sent(api, len(payloads), n)  # before the cleanup, which a trimmed cassette lacks too
        return
    for bad in payloads:
        ex = api.post(res.path, res.wrap(bad))
        stray = created_id(ex, res)
        if stray is not None:
            discard(api, res, stray)
        refused(api, spec, ex, bad)
    all_sent(api, len(payloads), n)


def refused(api: Api, spec: InvalidPayload, ex: Exchange, bad: Any) -> None:
    what = f"{spec.action} {spec.resource} breaking {spec.constraint}: {bad!r}"
    expect(not 200 <= ex.status < 300, spec.accepted_clause, f"{what} was accepted", ex, expected=spec.status,
           actual=ex.status)
    expect_error(api.contract, ex, spec.status, spec.error, spec.clause, what)
    data = body_data(ex, spec.clause)
    if spec.message:
        field = api.contract.errors.get("messages_field", "")
        listed = data.get(field) if isinstance(data, dict) else None
        expect(isinstance(listed, list | str) and spec.message in listed, spec.clause,
               f"{what}: the refusal does not say {spec.message!r}", ex, expected=spec.message, actual=listed)
