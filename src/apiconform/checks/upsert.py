"""Bulk upserts as the contract's ``[upsert]`` table defines them (Hive's POST /skus/bulk_upsert).

A batch of 1 to ``max`` items under ``items``, keyed by ``key``: an unknown key creates a record,
a known one updates it in place; on an update an omitted field becomes null, except the ``kept``
fields, which keep their value. Every write is verified through a separate read (``filter`` is the
list parameter that narrows to keys, used to show a refused batch left nothing behind).
"""
from __future__ import annotations

import json
import re
from typing import Any
from urllib.parse import urlsplit

from apiconform.checks.common import read_item, resource
from apiconform.checks.expect import body_data, expect, expect_resource, expect_status
from apiconform.checks.generate import valid_payloads
from apiconform.checks.payloads import echoes, unique
from apiconform.contract.model import ContractError
from apiconform.contract.schemas import load_schema, problems
from apiconform.http.client import Api
from apiconform.record.cassettes import CassetteError, recorded_bodies


def _table(api: Api) -> dict[str, Any]:
    table = api.contract.raw.get("upsert")
    if not table:
        raise ContractError(f"{api.contract.path}: no [upsert] table")
    return dict(table)


def _send(api: Api, up: dict[str, Any], batch: list[dict[str, Any]], clause: str) -> list[dict[str, Any]]:
    """POST the batch; 200 with ``{<items>: [the upserted records]}``, one per item, in order (the answer's
    shape is assumed: the docs show none), each held to the resource schema."""
    res = resource(api, up["resource"])
    ex = api.post(up["path"], {up["items"]: batch})
    expect_status(ex, (200, 201), clause, f"bulk upsert of {len(batch)}")
    data = body_data(ex, clause)
    records = data.get(api.contract.lists["items"]) if isinstance(data, dict) else None
    expect(isinstance(records, list) and len(records) == len(batch), clause, f"the bulk upsert of {len(batch)} "
           "does not answer with one record per item", ex, expected=len(batch),
           actual=len(records) if isinstance(records, list) else records)
    schema = load_schema(api.contract.provider, res.schema)
    found = [f"{i}: {p}" for i, record in enumerate(records) for p in problems(record, schema)]
    expect(not found, api.contract.schema_clause, f"upserted records do not match {res.schema}: {'; '.join(found)}",
           ex, expected=res.schema, actual=found)
    return records


def _item(api: Api, up: dict[str, Any]) -> dict[str, Any]:
    res = resource(api, up["resource"])
    return unique(res, {up["key"]: "", **res.sample, **up["sample"]})


def create_or_update(api: Api) -> None:
    """A new key creates; the same key again updates that record (same id, new value); a new one beside it creates."""
    up = _table(api)
    clause = up["clauses"]["upsert"]
    api.verifies(clause)
    res = resource(api, up["resource"])
    first = _item(api, up)
    created = _send(api, up, [first], clause)[0]
    renamed = {**first, "name": first["name"] + " renamed"}
    other = _item(api, up)
    again, beside = _send(api, up, [renamed, other], clause)
    expect(again.get("id") == created.get("id"), clause, f"upserting {up['key']} {first[up['key']]!r} again did "
           "not update the record it created", expected=created.get("id"), actual=again.get("id"))
    expect(beside.get("id") not in (None, created.get("id")), clause, "a new key in the batch did not create a record",
           actual=beside.get("id"))
    back = read_item(api, res, created["id"], clause)
    expect(back.get("name") == renamed["name"], clause, "the updated record read back lacks the new value",
           expected=renamed["name"], actual=back.get("name"))


def omitted_nulled(api: Api) -> None:
    """Upsert a full item, then the same key with only the required fields: the others read back null,
    the ``kept`` ones unchanged."""
    up = _table(api)
    clause, updates = up["clauses"]["omitted"], up["clauses"]["upsert"]
    api.verifies(clause, updates)
    res = resource(api, up["resource"])
    full = _item(api, up)
    required = set(load_schema(api.contract.provider, res.create_schema).get("required", []))
    omitted = sorted(set(full) - required)
    if not omitted:
        raise ContractError(f"{api.contract.path}: [upsert] sample and the resource's sample hold only required "
                            "fields, so no field is omitted on the update")
    ident = _send(api, up, [full], clause)[0].get("id")
    before = read_item(api, res, ident, clause)
    # Fields the full upsert did not store read back null (or unchanged) whatever the update does with them.
    unstored = {k: before.get(k) for k in omitted if not echoes(full[k], before.get(k))}
    expect(not unstored, updates, "the upserted record reads back without fields it was sent", expected={
        k: full[k] for k in unstored}, actual=unstored)
    again = _send(api, up, [{k: v for k, v in full.items() if k in required}], clause)[0]
    expect(again.get("id") == ident, updates, "upserting the same key again did not update its record (the rule "
           "for omitted fields is about that update)", expected=ident, actual=again.get("id"))
    after = read_item(api, res, ident, clause)
    want = {k: before.get(k) if k in up["kept"] else None for k in omitted}
    got = {k: after.get(k) for k in omitted}
    expect(got == want, clause, "after an upsert that omitted them, fields are not null (or the kept ones changed)",
           expected=want, actual=got)


def limit_refused(api: Api) -> None:
    """``max`` items are accepted; ``max + 1``, and none, are refused with ``refused_status``, and nothing of
    the refused batch is written."""
    up = _table(api)
    clause = up["clauses"]["limit"]
    api.verifies(clause)
    res = resource(api, up["resource"])
    batch = _recorded(api, up, up["max"] + 1) if api.replaying else [_item(api, up) for _ in range(up["max"] + 1)]
    for size, items in ((len(batch), batch), (0, [])):
        ex = api.post(up["path"], {up["items"]: items})
        expect_status(ex, up["refused_status"], clause, f"bulk upsert of {size} items")
    ex = api.post(up["path"], {up["items"]: batch[1:]})
    expect_status(ex, (200, 201), clause, f"bulk upsert of {up['max']} items, the most allowed")
    probe = api.get(res.path, params={up["filter"]: [batch[0][up["key"]], batch[-1][up["key"]]]})
    expect_status(probe, 200, api.contract.writes["read_clause"], f"list {res.name}")
    written = [i.get(up["key"]) for i in expect_resource(api.contract, probe, res, api.contract.schema_clause,
                                                         many=True) if i.get(up["key"]) in
               (batch[0][up["key"]], batch[-1][up["key"]])]
    expect(written == [batch[-1][up["key"]]], clause, "the refused batch was written (or the allowed one was not)",
           probe, expected=[batch[-1][up["key"]]], actual=written)


def valid_batches_accepted(api: Api, n: int) -> None:
    """One batch of ``n`` Hypothesis items from the create schema: accepted, each echoed in its record.

    Replay sends the recorded batch (re-validated against today's schema), like the payload checks.
    """
    up = _table(api)
    clause = up["clauses"]["upsert"]
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, up["resource"])
    schema = load_schema(api.contract.provider, res.create_schema)
    batch = _recorded(api, up, n) if api.replaying else [unique(res, p) for p in valid_payloads(schema, n)]
    for item in batch:
        if problems(item, schema):
            raise CassetteError(f"{api.cassette_path}: recorded item {item!r} is no longer valid; re-record")
    for sent, got in zip(batch, _send(api, up, batch, clause), strict=True):
        expect(echoes(sent, got), clause, f"the upserted record does not carry what was sent: {sent!r}",
               expected=sent, actual=got)


def _recorded(api: Api, up: dict[str, Any], n: int) -> list[dict[str, Any]]:
    assert api.cassette_path is not None
    where = urlsplit(api.url(up["path"])).path
    batch = None
    for body in recorded_bodies(api.cassette_path, "POST", re.escape(where)):
        try:
            batch = json.loads(body)[up["items"]]
        except (ValueError, KeyError, TypeError):
            continue
        break
    if not isinstance(batch, list) or len(batch) != n:
        raise CassetteError(f"{api.cassette_path}: the first recorded batch does not hold {n} items; re-record")
    return batch


