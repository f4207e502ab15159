"""Page-number pagination (``[pagination] style = "page-number"``, Hive): pages, their counts, created_at ranges.

A list is ``{<items>: [...], <meta>: {current, item_count, page_count, items_per_page}}`` with the
field names in ``[pagination]``. The walk creates its own records with ``created`` set to minutes
of a fixed day (``seed_day``), so it can narrow the list to them with the contract's range
filters and so their order is known; it walks until a short page, so a wrong ``page_count``
fails the counts, not the walk. On a live account, records of earlier runs on that day are
walked too: only the check's own records must each appear exactly once.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from typing import Any

from apiconform.checks.common import Ident, create, discard, read_item, resource, sample
from apiconform.checks.expect import body_data, expect, expect_resource, expect_status, violation
from apiconform.checks.payloads import unique
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange

MAX_PAGES = 50  # a walk that has not ended by then never will: the target keeps serving full pages
OPS = {"lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}


def _pg(api: Api) -> dict[str, Any]:
    pg = api.contract.pagination
    if pg.get("style") != "page-number":
        raise ContractError(f"{api.contract.path}: [pagination] style is not page-number")
    return pg


def _moment(text: Any) -> datetime | None:
    try:
        return datetime.fromisoformat(str(text).replace("Z", "+00:00"))
    except ValueError:
        return None


def _day(seed_day: str) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(f"{seed_day}T00:00:00+00:00")
    return start, start + timedelta(days=1)


def _param(name: str, op: str) -> str:
    return f"{name}[{op}]"


@contextmanager
def seeded(api: Api, res: Resource, seed_day: str, n: int) -> Iterator[list[tuple[Ident, datetime]]]:
    """``n`` records of ``res`` created at minutes 0..n-1 of ``seed_day``, oldest first; (id, created) each.

    The created time each answer carries is checked (the writes clause: the final state carries what was
    sent), so a target that ignores it fails there and not in the walk that relies on it.
    """
    pg = _pg(api)
    field, start = pg["created"], _day(seed_day)[0]
    made: list[tuple[Ident, datetime]] = []
    try:
        for i in range(n):
            when = start + timedelta(minutes=i)
            ident, item, ex = create(api, res, unique(res, {**sample(api, res), field: when.isoformat()}))
            made.append((ident, when))
            expect(_moment(item.get(field)) == when, api.contract.writes["update_clause"],
                   f"a created {res.name} does not carry the {field} sent", ex, expected=when.isoformat(),
                   actual=item.get(field))
        yield made
    finally:
        if pg.get("cleanup", True):
            for ident, _ in made:
                discard(api, res, ident)


def _page(api: Api, res: Resource, params: dict[str, Any], clause: str) -> tuple[list[dict[str, Any]], dict[str, Any],
                                                                               Exchange]:
    ex = api.get(res.path, params=params)
    expect_status(ex, 200, clause, f"list {res.name} {params}")
    items = expect_resource(api.contract, ex, res, api.contract.schema_clause, many=True)
    meta = body_data(ex, clause)[api.contract.lists["meta"]]
    return items, meta, ex


def walk(api: Api) -> None:
    """Walk a list longer than a page: each own record exactly once, newest first; the counts agree with
    what came back; a page without ``page`` is the first; a page past page_count is empty."""
    pg = _pg(api)
    c = pg["clauses"]
    api.verifies(c["walk"], c["counts"], c["item_count"], c["beyond"])
    res = resource(api, pg["resource"])
    field, size = pg["created"], pg["per_page"]
    start, end = _day(pg["seed_day"])
    narrow = {_param(field, "gte"): start.isoformat(), _param(field, "lt"): end.isoformat()}
    with seeded(api, res, pg["seed_day"], pg["items"]) as made:
        pages: list[tuple[int, list[dict[str, Any]], dict[str, Any], Exchange]] = []
        number = pg["first_page"]
        while True:
            params = dict(narrow) if number == pg["first_page"] else {**narrow, pg["page"]: number}
            items, meta, ex = _page(api, res, params, c["walk"])
            pages.append((number, items, meta, ex))
            if len(items) < size:
                break
            if len(pages) >= MAX_PAGES:
                violation(c["walk"], f"{MAX_PAGES} full pages and the list has not ended", ex)
            number += 1
        seen = [i["id"] for _, items, _, _ in pages for i in items]
        own = [ident for ident, _ in made]
        twice = sorted({i for i in seen if seen.count(i) > 1 and i in own})
        expect(not twice, c["walk"], f"own records listed on more than one page or twice: {twice}", pages[-1][3],
               actual=seen)
        missing = sorted(set(own) - set(seen))
        expect(not missing, c["walk"], f"walking the pages left out own records {missing}", pages[-1][3],
               expected=own, actual=seen)
        times = [(_moment(i.get(field)), i["id"]) for _, items, _, _ in pages for i in items]
        wrong = [(a[1], b[1]) for a, b in zip(times, times[1:], strict=False) if a[0] and b[0] and a[0] < b[0]]
        expect(not wrong, c["walk"], f"the walk is not newest first: {wrong[:3]} are in the wrong order",
               pages[-1][3], actual=[t[1] for t in times])
        _counts(api, pg, pages, len(seen))
        last = pages[-1][2][pg["page_count"]]
        items, _, ex = _page(api, res, {**narrow, pg["page"]: last + 1}, c["beyond"])
        expect(items == [], c["beyond"], f"page {last + 1} past page_count {last} is not empty", ex, expected=[],
               actual=[i["id"] for i in items])


def _counts(api: Api, pg: dict[str, Any], pages: list[tuple[int, list[Any], dict[str, Any], Exchange]],
            total: int) -> None:
    c, size = pg["clauses"], pg["per_page"]
    expected_pages = max(1, -(-total // size))
    for number, items, meta, ex in pages:
        got = {k: meta.get(pg[k]) for k in ("current", "items_per_page", "page_count")}
        want = {"current": number, "items_per_page": size, "page_count": expected_pages}
        expect(got == want, c["counts"], f"page {number}'s counts do not agree with the walk", ex, expected=want,
               actual=got)
        full = number < expected_pages
        expect(len(items) == size if full else 1 <= len(items) <= size or total == 0, c["counts"],
               f"page {number} of {expected_pages} holds {len(items)} items", ex,
               expected=size if full else f"1 to {size}", actual=len(items))
    for number, _, meta, ex in pages:
        expect(meta.get(pg["item_count"]) == total, c["item_count"], f"page {number} says item_count "
               f"{meta.get(pg['item_count'])}; the walk found {total}", ex, expected=total,
               actual=meta.get(pg["item_count"]))


@contextmanager
def stamped(api: Api, res: Resource, n: int) -> Iterator[list[tuple[Ident, datetime]]]:
    """``n`` records of ``res`` created one after the other, for a resource whose ``created`` time the
    target sets (Hive's SKUs): (id, created) each, oldest first, the time taken from a separate read."""
    field = _pg(api)["created"]
    idents: list[Ident] = []
    made: list[tuple[Ident, datetime]] = []
    try:
        for _ in range(n):
            ident, _, _ = create(api, res, unique(res, sample(api, res)))
            idents.append(ident)
            item = read_item(api, res, ident, api.contract.schema_clause)
            moment = _moment(item.get(field))
            if moment is None or moment.tzinfo is None:
                violation(api.contract.schema_clause, f"{res.name} {ident} read back carries no zoned {field}",
                          actual=item.get(field))
            made.append((ident, moment))
        yield sorted(made, key=lambda m: m[1])
    finally:
        if res.deletable:
            for ident in idents:
                discard(api, res, ident)


def range_filters(api: Api, spec: dict[str, Any]) -> None:
    """Each ``<param>[op]`` at one own record's time lists exactly the items on its side of it.

    With ``seed_day``, the records are created at minutes of that day; without, the target stamps them
    as they are created and the other side of each range is the span of the check's own records."""
    pg = _pg(api)
    api.verifies(spec["clause"])
    res = resource(api, spec["resource"])
    seed_day = spec.get("seed_day")
    with seeded(api, res, seed_day, 4) if seed_day else stamped(api, res, 4) as made:
        start, end = _day(seed_day) if seed_day else (made[0][1], made[-1][1] + timedelta(seconds=1))
        bound = made[1][1]
        for op in spec["ops"]:
            other = {"gte": start} if op in ("lt", "lte") else {"lt": end}  # the other side: day or own span
            params = {_param(spec["param"], op): bound.isoformat(),
                      **{_param(spec["param"], k): v.isoformat() for k, v in other.items()}}
            listed = all_items(api, res, params, spec["clause"])
            test = OPS[op]
            outside = [i["id"] for i in listed if not test(_moment(i.get(pg["created"])), bound)]
            expect(not outside, spec["clause"], f"{params} listed items on the wrong side of the bound: {outside}",
                   expected=f"{pg['created']} {op} {bound.isoformat()}", actual=outside)
            want = sorted(str(ident) for ident, when in made if test(when, bound))
            got = sorted(str(i["id"]) for i in listed if i["id"] in {ident for ident, _ in made})
            expect(got == want, spec["clause"], f"{params} did not list exactly the own records it matches",
                   expected=want, actual=got)


def all_items(api: Api, res: Resource, params: dict[str, Any], clause: str) -> list[dict[str, Any]]:
    """Every item of a (narrowed) list, page by page, until a short page."""
    pg = _pg(api)
    out: list[dict[str, Any]] = []
    for number in range(pg["first_page"], pg["first_page"] + MAX_PAGES):
        items, _, _ = _page(api, res, {**params, pg["page"]: number}, clause)
        out += items
        if len(items) < pg["per_page"]:
            return out
    violation(clause, f"{MAX_PAGES} full pages of {params} and the list has not ended")


def ids_filter(api: Api, res_name: str, param: str, field: str, clause: str) -> None:
    """``param`` (an array parameter) narrows the list to exactly the records whose ``field`` it names."""
    api.verifies(clause)
    res = resource(api, res_name)
    made = []
    for _ in range(3):  # the codes as the target echoes them: in replay, the recorded ones
        ident, item, ex = create(api, res, unique(res, sample(api, res)))
        expect(isinstance(item.get(field), str), api.contract.schema_clause, f"a created {res.name} has no {field}",
               ex, actual=item.get(field))
        made.append((ident, item[field]))
    for chosen in (made[:1], made[1:]):
        codes = [code for _, code in chosen]
        listed = all_items(api, res, {param: codes}, clause)
        got = sorted(str(i.get(field)) for i in listed)
        expect(got == sorted(codes), clause, f"{param}={codes} did not list exactly those records",
               expected=sorted(codes), actual=got[:10])
