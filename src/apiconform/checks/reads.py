"""Reads: every resource answers 200 and matches its schema, as a list and as a single item."""
from __future__ import annotations

import pytest

from apiconform.checks.common import resource, still_listed
from apiconform.checks.expect import expect, expect_resource, expect_status
from apiconform.http.client import Api


def read_matches_schema(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause, api.contract.schema_clause)
    res = resource(api, res_name)
    pg = api.contract.pagination
    if res.singleton:
        ex = api.get(res.path)
        expect_status(ex, 200, clause, f"GET {res.path}")
        expect_resource(api.contract, ex, res, api.contract.schema_clause)
        return
    params = {pg["limit"]: 5} if pg.get("limit") else {}
    ex = api.get(res.path, params=params)
    expect_status(ex, 200, clause, f"GET {res.path}")
    items = expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)
    if res.archived_list:
        shelf = f"{res.path}/{pg['archived']}"
        archived = api.get(shelf, params={pg["limit"]: 5})
        expect_status(archived, 200, clause, f"GET {shelf}")
        expect_resource(api.contract, archived, res, api.contract.schema_clause, many=True)
    one = still_listed(api, res, items, params)
    if one is None:  # the list itself held; a single read needs an item, so say that it was not verified
        pytest.skip(f"GET {res.path} listed no {res.name} that could still be read singly")
    expect_status(one, 200, clause, f"GET {one.url.split('?')[0]}")
    expect_resource(api.contract, one, res, api.contract.schema_clause)


def include_adds(api: Api, res_name: str, include: dict[str, str], nested: str, field: str, clause: str) -> None:
    """A list read with ``include`` gives every entry of each record's ``nested`` list a ``field`` list."""
    api.verifies(clause)
    res = resource(api, res_name)
    ex = api.get(res.path, params=include)
    expect_status(ex, 200, clause, f"GET {res.path} {include}")
    items = expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)
    entries = [entry for item in items for entry in item.get(nested) or []]
    expect(bool(entries), clause, f"GET {res.path} {include} listed no {nested} to look at", ex, expected="some",
           actual=0)
    lacking = [entry for entry in entries if not isinstance(entry.get(field), list)]
    expect(not lacking, clause, f"{len(lacking)} of {len(entries)} {nested} carry no {field} list", ex,
           expected=f"{field}: [...]", actual=lacking[:3])
