"""Pagination (``limit``/``page``, mite): walking pages yields each item once; defaults; past the end; order.

Field names come from ``[pagination]``: ``label`` is the field the seeded records carry their tag in
(and ``filter`` the list parameter that narrows by it), ``sort`` the field lists are sorted by.
Page-number lists with page counts (Hive) are ``checks/pages.py``; cursors are ``checks/cursor.py``.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from apiconform.checks.common import create, discard, resource
from apiconform.checks.expect import expect, expect_resource, expect_status
from apiconform.contract.model import ListFilter, Resource
from apiconform.http.client import Api

MAX_PAGES = 50  # a walk that has not ended by then never will: the target keeps serving full pages


@contextmanager
def seeded(api: Api, res: Resource, tag: str) -> Iterator[tuple[str, list[int]]]:
    """``items`` records whose names share a prefix the list filter can narrow to."""
    pg = api.contract.pagination
    prefix = f"apiconform {tag} {res.name}"
    for stale in _leftovers(api, res, prefix):  # from a crashed earlier run against a live account
        discard(api, res, stale)
    ids = []
    try:
        for i in range(pg["items"]):
            ident, _, _ = create(api, res, {pg["label"]: f"{prefix} {_shuffled(i, pg['items'])}"})
            ids.append(ident)
        yield prefix, ids
    finally:
        for ident in ids:
            discard(api, res, ident)


def _leftovers(api: Api, res: Resource, prefix: str, archived: bool = False) -> list[int]:
    pg = api.contract.pagination
    path = f"{res.path}/{pg['archived']}" if archived else res.path
    ex = api.get(path, params={pg["filter"]: prefix}, invariants=False)
    try:
        items = ex.data() if ex.status == 200 else []
        return [item[res.root]["id"] for item in items]
    except (ValueError, TypeError, KeyError):
        return []  # the list check itself will say what is wrong with this answer


def _shuffled(i: int, n: int) -> str:
    """Names whose order matches neither creation order nor its reverse."""
    return f"{chr(ord('a') + (i * 3) % n)}{i:02d}"


def _page(api: Api, res: Resource, prefix: str, clause: str, path: str = "", **params: Any
          ) -> list[dict[str, Any]]:
    pg = api.contract.pagination
    ex = api.get(path or res.path, params={pg["filter"]: prefix, **params})
    expect_status(ex, 200, clause, f"list {res.name} {params}")
    return expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)


def walk(api: Api, res: Resource, prefix: str, clause: str, size: int | None = None,
         past_end: str = "") -> list[dict[str, Any]]:
    """Every item of the list narrowed to ``prefix``, page by page with ``size`` (else ``page_size``), until a
    short page. A later page that holds only items already walked is the page past the end answering an
    earlier one again: it fails ``past_end`` (else ``clause``)."""
    pg = api.contract.pagination
    size, page, out = size or pg["page_size"], pg["first_page"], []
    while True:
        items = _page(api, res, prefix, clause, **{pg["limit"]: size, pg["page"]: page})
        seen = {item.get("id") for item in out}
        expect(not out or not items or any(item.get("id") not in seen for item in items), past_end or clause,
               f"page {page} repeats items of earlier pages and nothing else: the page past the end is not empty",
               api.exchanges[-1], actual=[item.get("id") for item in items])
        out += items
        if len(items) < size:
            return out
        expect(page < MAX_PAGES, clause, f"{MAX_PAGES} full pages and the list has not ended", actual=len(out))
        page += 1


def walk_yields_each_once(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    pg = api.contract.pagination
    res = resource(api, res_name)
    size = pg["page_size"]
    with seeded(api, res, "walk") as (prefix, ids):
        seen: list[int] = []
        page = pg["first_page"]
        while True:
            items = _page(api, res, prefix, clause, **{pg["limit"]: size, pg["page"]: page})
            expect(len(items) <= size, clause, f"page {page} has {len(items)} items, more than limit={size}",
                   expected=size, actual=len(items))
            seen += [i["id"] for i in items]
            if len(items) < size or page > len(ids):
                break
            page += 1
        dupes = sorted({i for i in seen if seen.count(i) > 1})
        expect(not dupes, clause, f"items returned on more than one page: {dupes}", actual=seen)
        expect(sorted(seen) == sorted(ids), clause, "walking the pages did not yield every item",
               expected=sorted(ids), actual=sorted(seen))


def default_returns_all(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    res = resource(api, res_name)
    with seeded(api, res, "all") as (prefix, ids):
        got = [i["id"] for i in _page(api, res, prefix, clause)]
        expect(sorted(got) == sorted(ids), clause, "a list without limit did not return every item",
               expected=sorted(ids), actual=sorted(got))


def beyond_end_is_empty(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    pg = api.contract.pagination
    res = resource(api, res_name)
    with seeded(api, res, "end") as (prefix, ids):
        past = -(-len(ids) // pg["page_size"]) + 1
        items = _page(api, res, prefix, clause, **{pg["limit"]: pg["page_size"], pg["page"]: past})
        expect(items == [], clause, f"page {past} past the end is not empty", expected=[],
               actual=[i["id"] for i in items])


def sorted_by_name(api: Api, res_name: str, clause: str) -> None:
    api.verifies(clause)
    pg = api.contract.pagination
    res = resource(api, res_name)
    with seeded(api, res, "order") as (prefix, ids):
        names = [i[pg["sort"]] for i in _page(api, res, prefix, clause)]
        expect(len(names) >= 2, clause, f"the list of {len(ids)} seeded records holds {len(names)}: no order to "
               "check", expected=f">= 2 of {len(ids)}", actual=len(names))
        expect(names == sorted(names, key=str.lower), clause, f"the list is not sorted by {pg['sort']}",
               expected=sorted(names, key=str.lower), actual=names)


def archived_apart(api: Api, res_name: str, clause: str) -> None:
    """An archived record is listed under ``<path>/archived`` and not in the plain list."""
    api.verifies(clause)
    pg = api.contract.pagination
    res = resource(api, res_name)
    flag = pg["archived"]
    prefix = f"apiconform archived {res.name}"
    for stale in _leftovers(api, res, prefix) + _leftovers(api, res, prefix, archived=True):
        discard(api, res, stale)
    active, _, _ = create(api, res, {pg["label"]: f"{prefix} active", flag: False})
    try:
        shelved, _, _ = create(api, res, {pg["label"]: f"{prefix} shelved", flag: True})
        try:
            plain = {i["id"]: i for i in _page(api, res, prefix, clause)}
            archive = {i["id"]: i for i in _page(api, res, prefix, clause, path=f"{res.path}/{flag}")}
            expect(set(plain) == {active}, clause, "the plain list does not hold exactly the active record",
                   expected=[active], actual=sorted(plain))
            expect(set(archive) == {shelved}, clause, "the archived list does not hold exactly the archived record",
                   expected=[shelved], actual=sorted(archive))
            expect(archive[shelved].get(flag) is True and plain[active].get(flag) is False, clause,
                   f"listed records carry the wrong {flag} value")
        finally:
            discard(api, res, shelved)
    finally:
        discard(api, res, active)


def filter_narrows(api: Api, spec: ListFilter) -> None:
    """Each value of the filter yields the created records with that value and none without it."""
    api.verifies(spec.clause)
    res = resource(api, spec.resource)
    made: dict[int, Any] = {}
    try:
        for value in spec.values:
            ident, _, _ = create(api, res, {**spec.seed, spec.attribute: value})
            made[ident] = value
        for value in spec.values:
            wire = str(value).lower() if isinstance(value, bool) else value
            ex = api.get(res.path, params={**spec.narrow, spec.param: wire})
            expect_status(ex, 200, spec.clause, f"list {res.name} {spec.param}={wire}")
            items = expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)
            wrong = [i["id"] for i in items if i.get(spec.attribute) != value]
            expect(not wrong, spec.clause, f"{spec.param}={wire} listed records whose {spec.attribute} differs: "
                   f"{wrong[:5]}", ex, expected=value, actual=wrong[:5])
            missing = sorted(set(i for i, v in made.items() if v == value) - {i["id"] for i in items})
            expect(not missing, spec.clause, f"{spec.param}={wire} left out matching records {missing}", ex)
    finally:
        for ident in made:
            discard(api, res, ident)
