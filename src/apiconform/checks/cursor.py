"""Cursor pagination (``[pagination] style = "cursor"``): limit, after and before an item's id.

The walks create their own records (``items`` of them, from the ``seed`` template), so they know
what must come back, and page through everything with ``page_size``: forward with ``after`` to
the end, back with ``before`` to the front. Other records may come and go meanwhile (other
checks, other clients); only the check's own must each be seen exactly once, and no page may
repeat an item of an earlier one. Every walk ends: each page must bring new items or be the last.
``order`` says where new records appear: ``newest_first`` (at the front) or ``oldest_first``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apiconform.checks.common import Ident, create, created, discard, resource, sample
from apiconform.checks.expect import expect, expect_error, expect_page, expect_status
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api

ORDERS = ("newest_first", "oldest_first")


def _rules(api: Api) -> dict[str, Any]:
    pg = api.contract.pagination
    if pg.get("style") != "cursor":
        raise ContractError(f"{api.contract.path}: [pagination] style is {pg.get('style')!r}, not 'cursor'")
    if pg.get("order") not in ORDERS:
        raise ContractError(f"{api.contract.path}: [pagination] order is {pg.get('order')!r}, not one of {ORDERS}")
    return pg


@contextmanager
def seeded(api: Api, res: Resource, tag: str) -> Iterator[list[Ident]]:
    """``items`` records made from the ``seed`` template, their ids in creation order."""
    pg = _rules(api)
    ids: list[Ident] = []
    try:
        for i in range(pg["items"]):
            attrs = {k: v.format(tag=tag, i=i) if isinstance(v, str) else v for k, v in pg["seed"].items()}
            ident, _, _ = create(api, res, attrs)
            ids.append(ident)
        yield ids
    finally:
        for ident in ids:
            discard(api, res, ident)


def _page(api: Api, res: Resource, clause: str, params: dict[str, Any]) -> tuple[list[Ident], bool]:
    """The ids on one page and its "more" flag: status on ``clause``, shape on the schema clause."""
    items, more = _items(api, res, clause, params)
    return [item["id"] for item in items], more


def _items(api: Api, res: Resource, clause: str, params: dict[str, Any]) -> tuple[list[dict[str, Any]], bool]:
    ex = api.get(res.path, params=params)
    expect_status(ex, 200, clause, f"list {res.name} {params}")
    return expect_page(api.contract, ex, res, api.contract.schema_clause)


def walk(api: Api, res: Resource, clause: str, size: int | None = None) -> list[dict[str, Any]]:
    """Every item from the first page to the last with ``after`` (pages of ``size``, else ``page_size``),
    each page held to the walk's rules."""
    records: dict[Ident, dict[str, Any]] = {}
    ids = _walk(api, res, clause, "after", None, records, size)
    return [records[i] for i in ids]


def _walk(api: Api, res: Resource, clause: str, direction: str, start: Ident | None,
          records: dict[Ident, dict[str, Any]] | None = None, size: int | None = None) -> list[Ident]:
    """Every id from ``start`` on in ``direction`` (``after`` or ``before``), in list order; ``records``
    collects the items by id."""
    pg = _rules(api)
    size, seen, cursor = size or pg["page_size"], [], start
    while True:
        params = {pg["limit"]: size, **({pg[direction]: cursor} if cursor is not None else {})}
        items, more = _items(api, res, clause, params)
        got = [item["id"] for item in items]
        if records is not None:
            records.update(zip(got, items, strict=True))
        where = f"the page {direction} {cursor}" if cursor is not None else "the first page"
        expect(len(got) <= size, clause, f"{where} holds {len(got)} items, more than limit={size}", expected=size,
               actual=len(got))
        expect(cursor not in got, clause, f"{where} holds its cursor", expected=f"not {cursor}", actual=got)
        again = [i for i in got if i in seen]
        expect(not again, clause, f"{where} repeats items of earlier pages: {again}", actual=got)
        expect(len(set(got)) == len(got), clause, f"{where} holds an item twice", actual=got)
        forward = direction == "after"
        seen = seen + got if forward else got + seen
        if not more:
            # Nothing may lie beyond the end, if it is the old end: records others create meanwhile
            # (other checks, other clients) appear at the new one.
            if seen and forward == (pg["order"] == "newest_first"):
                beyond, _ = _page(api, res, clause, {pg["limit"]: size, pg[direction]: seen[-1 if forward else 0]})
                expect(not beyond, clause, f"has_more was false on {where}, yet {len(beyond)} items lie beyond it",
                       expected=[], actual=beyond)
            return seen
        expect(bool(got), clause, f"{where} is empty, yet has_more is true", expected="items", actual=got)
        cursor = got[-1] if forward else got[0]


def walk_after(api: Api, res_name: str, clause: str) -> None:
    """From the first page to the last with ``after``: each of the check's records exactly once."""
    api.verifies(clause)
    res = resource(api, res_name)
    with seeded(api, res, "walk") as ids:
        seen = _walk(api, res, clause, "after", None)
        missing = [i for i in ids if i not in seen]
        expect(not missing, clause, f"walking the pages left out {len(missing)} of the {len(ids)} records the check "
               "created", expected=ids, actual=missing)


def walk_before(api: Api, res_name: str, clause: str) -> None:
    """From the check's last record in list order back to the front with ``before``: each of its
    other records exactly once."""
    api.verifies(clause)
    res = resource(api, res_name)
    with seeded(api, res, "back") as ids:
        in_order = ids[::-1] if _rules(api)["order"] == "newest_first" else ids
        seen = _walk(api, res, clause, "before", in_order[-1])
        missing = [i for i in in_order[:-1] if i not in seen]
        expect(not missing, clause, f"walking back left out {len(missing)} of the {len(ids) - 1} records the "
               "check created before its cursor", expected=in_order[:-1], actual=missing)


def after_and_before_refused(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    pg = _rules(api)
    res = resource(api, res_name)
    with created(api, res, sample(api, res)) as (ident, _):
        ex = api.get(res.path, params={pg["after"]: ident, pg["before"]: ident})
        expect_error(api.contract, ex, pg["refused_status"], pg.get("refused_error", ""), clause,
                     f"{pg['after']} and {pg['before']} together")


def limit_bounds(api: Api, res_name: str, clause: str) -> None:
    """``min_limit`` and ``max_limit`` are served (that many items at most); below, above or not a number is refused."""
    api.verifies(clause)
    pg = _rules(api)
    res = resource(api, res_name)
    lo, hi = pg["min_limit"], pg["max_limit"]
    for bad in (lo - 1, hi + 1, "ten"):
        ex = api.get(res.path, params={pg["limit"]: bad})
        expect_error(api.contract, ex, pg["refused_status"], pg.get("refused_error", ""), clause,
                     f"{pg['limit']}={bad}")
    every, _ = _page(api, res, clause, {pg["limit"]: hi})
    expect(len(every) <= hi, clause, f"{pg['limit']}={hi} returned {len(every)} items", expected=hi,
           actual=len(every))
    if len(every) <= lo:  # the smallest page cannot be told from the whole list
        pytest.skip(f"the list holds {len(every)} {res.name}, not more than {pg['limit']}={lo}: its bound "
                    "could not be checked")
    least, _ = _page(api, res, clause, {pg["limit"]: lo})
    expect(len(least) == min(lo, len(every)), clause, f"{pg['limit']}={lo} returned {len(least)} items",
           expected=min(lo, len(every)), actual=len(least))


def default_limit(api: Api, res_name: str, clause: str) -> None:
    """Without ``limit`` a page holds ``default_limit`` items, unless the list is shorter (then: all, no more)."""
    api.verifies(clause)
    pg = _rules(api)
    res = resource(api, res_name)
    default = pg["default_limit"]
    got, more = _page(api, res, clause, {})
    expect(len(got) == default if more else len(got) <= default, clause, f"a list without {pg['limit']} holds "
           f"{len(got)} items (has_more {more}), not the default {default}", expected=default, actual=len(got))
    if not more and len(got) < default:
        pytest.skip(f"the list holds {len(got)} {res.name}, fewer than the default page of {default}: the default "
                    "could not be told from a larger one")
