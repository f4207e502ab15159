"""The check that benchmarks/replay_scaling.py records and replays: one test, ``n`` distinct requests.

It walks ``n`` pages of mite's services list, one item a page, through the ``api`` fixture (so
the real client, invariants, recorder and replay path), and holds them to mite's own clause that
a page past the end is an empty list. ``replay_scaling.py`` places it beside mite's
``contract.toml`` in a temporary suite folder; it is not collected by the engine's tests.
"""
from __future__ import annotations

import pytest

from apiconform.checks.common import resource
from apiconform.checks.expect import expect, expect_resource, expect_status
from apiconform.http.client import Api

SIZES = [500, 1000, 2000, 5000]
CLAUSE = "mite.page.beyond-end"


@pytest.mark.parametrize("n", SIZES)
def test_pages(api: Api, n: int) -> None:
    api.verifies(CLAUSE)
    pg = api.contract.pagination
    res = resource(api, "services")
    ended_at = None
    for page in range(pg["first_page"], pg["first_page"] + n):
        ex = api.get(res.path, params={pg["limit"]: 1, pg["page"]: page})
        expect_status(ex, 200, CLAUSE, f"list {res.name} page {page}")
        items = expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)
        if ended_at is None and not items:
            ended_at = page
        expect(ended_at is None or items == [], CLAUSE, f"page {page} after the empty page {ended_at} is not empty",
               ex, expected=[], actual=[i["id"] for i in items])
    expect(ended_at is not None, CLAUSE, f"{n} pages of one item never reached the end of the list")
