"""Generated payloads: valid ones are accepted and echoed, invalid ones rejected as documented.

Live and record draw payloads with Hypothesis from the resource's create schema; replay
takes the payloads its cassette recorded and re-validates them, so replayed verdicts do not
depend on the Hypothesis version. A replay sends exactly as many payloads as the check sends
live, or it is a cassette error: a trimmed or empty cassette cannot pass.
"""
from __future__ import annotations

import json
from typing import Any

from apiconform.areas.common import created_id, discard, resource
from apiconform.checks import body_data, expect, expect_resource, expect_status
from apiconform.client import Api
from apiconform.contract import InvalidPayload, Resource
from apiconform.payloads import breaks_only, invalid_payload, valid_payloads
from apiconform.recording import CassetteError, recorded_bodies
from apiconform.schemas import load_schema, problems


def _recorded(api: Api, res: Resource, n: int) -> list[Any]:
    """The payloads the cassette recorded; more than the ``n`` the check sends is a cassette error."""
    assert api.cassette_path is not None
    bodies = recorded_bodies(api.cassette_path, "POST", f"/{res.path}.json")
    if len(bodies) > n:
        raise _count_error(api, len(bodies), n)
    try:
        return [json.loads(b)[res.root] for b in bodies]
    except (ValueError, KeyError, TypeError):
        raise CassetteError(f"{api.cassette_path}: a recorded POST /{res.path}.json body is not a {res.root} "
                            f"payload; re-record") from None


def _all_sent(api: Api, sent: int, n: int) -> None:
    """After the loop: a replay that got through fewer payloads than the check sends proved nothing.

    A recording of a run that failed midway holds fewer, but then its replay fails at the same
    payload and never gets here.
    """
    if sent != n:
        raise _count_error(api, sent, n)


def _count_error(api: Api, recorded: int, n: int) -> CassetteError:
    return CassetteError(f"{api.cassette_path}: recorded {recorded} payloads, the check sends {n}; re-record")


def valid_accepted(api: Api, res_name: str, n: int, clause: str) -> None:
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.create_schema)
    payloads = _recorded(api, res, n) if api.replaying else valid_payloads(schema, n)
    for attrs in payloads:
        if problems(attrs, schema):  # a replayed payload the schema has since outlawed: re-record
            raise CassetteError(f"{api.cassette_path}: recorded payload {attrs!r} is no longer valid; re-record")
        ex = api.post(res.path, {res.root: attrs})
        stray = created_id(ex, res)
        try:
            expect_status(ex, api.contract.writes.get("create_status", 201), clause, f"create {res_name} {attrs!r}")
            item = expect_resource(api.contract, ex, res, api.contract.schema_clause)
            for key, value in attrs.items():
                expect(item.get(key) == value, clause, f"created {res_name} does not echo {key}", ex,
                       expected=value, actual=item.get(key))
        finally:
            if stray is not None:
                discard(api, res, stray)
    _all_sent(api, len(payloads), n)


def invalid_rejected(api: Api, spec: InvalidPayload, n: int) -> None:
    api.verifies(spec.clause)
    res = resource(api, spec.resource)
    schema = load_schema(api.contract.provider, res.create_schema)
    if api.replaying:
        payloads = _recorded(api, res, n)
        for bad in payloads:
            if not breaks_only(schema, bad, spec.constraint):
                raise CassetteError(f"{api.cassette_path}: recorded payload {bad!r} no longer breaks exactly "
                                    f"{spec.constraint}; re-record")
    else:
        payloads = [invalid_payload(schema, base, spec.constraint) for base in valid_payloads(schema, n)]
    for bad in payloads:
        ex = api.post(res.path, {res.root: bad})
        stray = created_id(ex, res)
        if stray is not None:
            discard(api, res, stray)
        expect_status(ex, spec.status, spec.clause, f"create {spec.resource} breaking {spec.constraint}: {bad!r}")
        body_data(ex, spec.clause)
    _all_sent(api, len(payloads), n)
