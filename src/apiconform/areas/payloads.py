"""Generated payloads: valid ones are accepted and echoed, invalid ones rejected as documented.

Live and record draw payloads with Hypothesis from the resource's create schema; replay
takes the payloads its cassette recorded and re-validates them, so replayed verdicts do not
depend on the Hypothesis version.
"""
from __future__ import annotations

import json
from typing import Any

from apiconform.areas.common import created_id, discard, resource
from apiconform.checks import body_data, expect, expect_resource, expect_status
from apiconform.client import Api
from apiconform.contract import InvalidPayload, Resource
from apiconform.payloads import breaks_only, invalid_payload, valid_payloads
from apiconform.recording import recorded_bodies
from apiconform.schemas import load_schema, problems
from apiconform.verdict import HarnessError


def _recorded(api: Api, res: Resource) -> list[dict[str, Any]]:
    assert api.cassette_path is not None
    bodies = recorded_bodies(api.cassette_path, "POST", f"/{res.path}.json")
    return [json.loads(b)[res.root] for b in bodies]


def valid_accepted(api: Api, res_name: str, n: int, clause: str) -> None:
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    schema = load_schema(api.contract.provider, res.create_schema)
    payloads = _recorded(api, res) if api.replaying else valid_payloads(schema, n)
    for attrs in payloads:
        if problems(attrs, schema):  # a replayed payload the schema has since outlawed: re-record
            raise HarnessError(f"{api.cassette_path}: recorded payload {attrs!r} is no longer valid; re-record")
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


def invalid_rejected(api: Api, spec: InvalidPayload, n: int) -> None:
    api.verifies(spec.clause)
    res = resource(api, spec.resource)
    schema = load_schema(api.contract.provider, res.create_schema)
    if api.replaying:
        payloads = _recorded(api, res)
        for bad in payloads:
            if not breaks_only(schema, bad, spec.constraint):
                raise HarnessError(f"{api.cassette_path}: recorded payload {bad!r} no longer breaks exactly "
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
