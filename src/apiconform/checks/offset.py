"""Offset pagination as the contract's ``[pagination]`` (``style = "offset"``) describes it (mStudio).

``limit`` with ``skip``, or with ``page`` (from ``first_page``: page p is skip p*limit), walks a
list; with both ``skip`` and ``page`` skip wins; the answer's headers (``headers``: limit, skip,
page, total) agree with the request and the items; ``[pagination.sort]`` names the sort and order
parameters, their values and defaults. The walked list (``list``) is one nobody writes to during
the run, so a walk can demand every item exactly once.
"""
from __future__ import annotations

from datetime import datetime
from typing import Any

from apiconform.checks.expect import body_data, expect, expect_status, unsupported, violation
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange

MAX_PAGES = 100


def _table(api: Api) -> dict[str, Any]:
    p = api.contract.pagination
    if p.get("style") != "offset":
        raise ContractError(f"{api.contract.path}: [pagination] style is not offset")
    return p


def _clause(api: Api, check: str) -> str:
    return _table(api)["clauses"][check]


def _items(api: Api, ex: Exchange, clause: str, what: str) -> list[Any]:
    expect_status(ex, 200, api.contract.writes["read_clause"], what)
    data = body_data(ex, clause)
    expect(isinstance(data, list), clause, f"{what}: not a list", ex, actual=ex.text[:200])
    return data


def _everything(api: Api) -> list[Any]:
    p = _table(api)
    ex = api.get(p["list"])
    items = _items(api, ex, _clause(api, "walk"), f"GET {p['list']}")
    expect(len(items) > p["page_size"], _clause(api, "walk"), f"{p['list']} holds {len(items)} items, too few to "
           f"walk in pages of {p['page_size']}", ex, actual=len(items))
    return items


def _walk(api: Api, clause: str, by: str) -> None:
    p = _table(api)
    api.verifies(clause)
    everything = _everything(api)
    size, seen, number = p["page_size"], [], p.get("first_page", 0)
    for _ in range(MAX_PAGES):
        params = {p["limit"]: size, **({p["skip"]: len(seen)} if by == "skip" else {p["page"]: number})}
        ex = api.get(p["list"], params=params)
        page = _items(api, ex, clause, f"GET {p['list']} {params}")
        expect(len(page) <= size, clause, f"a page of limit {size} holds {len(page)} items", ex, actual=len(page))
        seen += page
        number += 1
        if len(page) < size:
            break
    ids = [item.get("id") for item in seen]
    expected = [item.get("id") for item in everything]
    expect(ids == expected, clause, f"walking {p['list']} by {by} in pages of {size} yielded {len(ids)} items "
           f"({len(set(ids))} distinct), not the {len(expected)} listed at once, in order", expected=expected,
           actual=ids)


def walk_list(api: Api, res: Resource, clause: str, size: int | None = None,
              headers: dict[str, str] | None = None) -> list[Any]:
    """Every record of ``res``'s list, page by page with limit and skip (``size``, else ``page_size``) until a
    short page, each page at most ``size`` long (``clause``); ``headers`` go with every page (a wait header)."""
    p = _table(api)
    size, seen = size or p["page_size"], []
    for _ in range(MAX_PAGES):
        params = {p["limit"]: size, p["skip"]: len(seen)}
        ex = api.get(res.path, params=params, headers=headers)
        expect_status(ex, 200, api.contract.writes["read_clause"], f"GET {res.path} {params}")
        page = api.contract.list_records(res, body_data(ex, clause))
        expect(isinstance(page, list) and len(page) <= size, clause, f"GET {res.path} {params}: not a list of at "
               f"most {size} {res.name}", ex, actual=ex.text[:200])
        seen += page
        if len(page) < size:
            return seen
    violation(clause, f"{MAX_PAGES} full pages of {res.path} and the list has not ended", actual=len(seen))


def walk_skip(api: Api) -> None:
    _walk(api, _clause(api, "walk"), "skip")


def walk_page(api: Api) -> None:
    _walk(api, _clause(api, "page"), "page")


def skip_wins(api: Api) -> None:
    """``skip`` and ``page`` pointing at different pages: the answer is the page ``skip`` alone gives.

    Two requests, each beside its ``skip`` alone: ``skip = limit, page = 3`` tells "skip wins" from page winning
    (counted from 0 or from 1), from ``skip + page*limit`` (either count) and from both ignored; ``skip =
    2*limit, page = 1`` from ``min(skip, page*limit)``, which the first cannot (the list holds more than two pages,
    so both skip pages have items). ``page=0`` would add nothing under any of these formulas.
    """
    p = _table(api)
    clause = _clause(api, "skip_wins")
    api.verifies(clause)
    size = p["page_size"]
    everything = _everything(api)
    expect(len(everything) > 2 * size, clause, f"{p['list']} holds {len(everything)} items, too few for skip "
           f"{2 * size} to point at a page of items", actual=len(everything))
    first = p.get("first_page", 0)
    for skip, page in ((size, first + 3), (2 * size, first + 1)):
        alone = {p["limit"]: size, p["skip"]: skip}
        want = [i.get("id") for i in _items(api, api.get(p["list"], params=alone), clause, f"GET {p['list']} {alone}")]
        params = {**alone, p["page"]: page}
        ex = api.get(p["list"], params=params)
        got = [i.get("id") for i in _items(api, ex, clause, f"GET {p['list']} {params}")]
        expect(got == want, clause, f"with {params} the page is not the one skip alone gives", ex, expected=want,
               actual=got)


def sort_order(api: Api) -> None:
    """The list is sorted as ``[pagination.sort]`` says, by default and for each field either way, judged by the
    items' own values: walks compare pages with the target's full list, which a wrong default order or an
    ignored ``desc`` leaves consistent. The list must hold two values of every field and order differently by
    each, or a target that ignores the parameter could pass."""
    p = _table(api)
    s, c = p["sort"], _clause(api, "order")
    api.verifies(c)
    everything = _everything(api)
    by_field = {f: _ids_by(everything, f) for f in s["fields"]}
    if not (all(len({str(i.get(f)) for i in everything}) > 1 for f in s["fields"])
            and len({tuple(ids) for ids in by_field.values()}) == len(by_field)):
        # The account's data, not the target, is short: no order could be judged, so no verdict either.
        unsupported(f"the items of {p['list']} cannot tell the sort fields {s['fields']} or their orders apart "
                    "(the check needs two items that sort differently by each field)")
    default_desc = s["default_order"] == s["descending"]
    cases: list[tuple[dict[str, str], str, bool]] = [({}, s["default"], default_desc)]
    cases += [({s["order"]: s[way]}, s["default"], way == "descending") for way in ("ascending", "descending")]
    for f in s["fields"]:
        cases += [({s["param"]: f}, f, default_desc), ({s["param"]: f, s["order"]: s["descending"]}, f, True)]
    want = sorted(str(i.get("id")) for i in everything)
    for params, field, desc in cases:
        ex = api.get(p["list"], params=params)
        items = _items(api, ex, c, f"GET {p['list']} {params}")
        expect(sorted(str(i.get("id")) for i in items) == want, c, f"GET {p['list']} {params} does not hold the "
               f"{len(want)} items of the list", ex, expected=len(want), actual=len(items))
        values = [i.get(field) for i in items]
        expect(_in_order(values, desc), c, f"GET {p['list']} {params}: not sorted by {field} "
               f"{'descending' if desc else 'ascending'}", ex, expected=f"{field} {'desc' if desc else 'asc'}",
               actual=values)


def _ids_by(items: list[Any], field: str) -> list[Any]:
    keys = _keys([i.get(field) for i in items])
    return [items[n].get("id") for n in sorted(range(len(items)), key=lambda n: keys[n])]


def _keys(values: list[Any]) -> list[Any]:
    """Date-times as moments (notations differ) when every value is one, else each value as its text."""
    try:
        return [datetime.fromisoformat(str(v).replace("Z", "+00:00")) for v in values]
    except ValueError:
        return [str(v) for v in values]


def _in_order(values: list[Any], desc: bool) -> bool:
    """Sorted (ties allowed), by value or, for text, case-insensitively (a collation the target may use)."""
    keys = _keys(values)
    for ordered in (keys, [k.casefold() for k in keys] if all(isinstance(k, str) for k in keys) else keys):
        if all((a >= b) if desc else (a <= b) for a, b in zip(ordered, ordered[1:], strict=False)):
            return True
    return False


def headers_agree(api: Api, paths: list[str]) -> None:
    """On each list (one nobody writes to meanwhile): every header present and matching the request and body."""
    p = _table(api)
    clause = _headers_clause(api, paths)
    for path in paths:
        total = len(_items(api, api.get(path), clause, f"GET {path}"))
        for params in ({}, {p["limit"]: 2, p["skip"]: 2}):
            ex = api.get(path, params=params)
            page = _items(api, ex, clause, f"GET {path} {params}")
            got = _headers(api, ex, clause, f"GET {path} {params}")
            limit = params.get(p["limit"], p.get("default_limit", total))
            skip = params.get(p["skip"], 0)
            want = {"limit": limit, "skip": skip, "total": total}
            have = {"limit": _number(got["limit"]), "skip": _number(got["skip"]), "total": _number(got["total"])}
            expect(have == want, clause, f"GET {path} {params}: the pagination headers say {got}", ex,
                   expected=want, actual=got)
            _page_header(api, ex, got["page"], skip, limit)
            expect(len(page) == max(0, min(limit, total - skip)), clause, f"GET {path} {params} holds {len(page)} "
                   "items", ex, actual=len(page))


def headers_on_lists(api: Api, paths: list[str]) -> None:
    """On lists others may write to meanwhile: every header present, and limit, skip and page as requested
    (the total is only compared where nobody writes, :func:`headers_agree`)."""
    p = _table(api)
    clause = _headers_clause(api, paths)
    for path in paths:
        params = {p["limit"]: 3, p["skip"]: 3}
        ex = api.get(path, params=params)
        expect_status(ex, 200, api.contract.writes["read_clause"], f"GET {path} {params}")
        got = _headers(api, ex, clause, f"GET {path} {params}")
        want = {"limit": "3", "skip": "3"}
        have = {"limit": got["limit"], "skip": got["skip"]}
        expect(have == want, clause, f"GET {path} {params}: the pagination headers say {got}", ex, expected=want,
               actual=got)
        _page_header(api, ex, got["page"], 3, 3)
        expect(_number(got["total"]) is not None, clause, f"GET {path}: {p['headers']['total']} is {got['total']!r}, "
               "not a number", ex, actual=got["total"])


def _headers_clause(api: Api, paths: list[str]) -> str:
    """The headers clause (and the one that they are present, ``headers_present``), marked verified; it fails
    when there is no list to look at."""
    clause = _clause(api, "headers")
    api.verifies(clause, _present_clause(api))
    expect(len(paths) > 0, clause, "no list to look at")
    return clause


def _present_clause(api: Api) -> str:
    """That every list carries the headers: its own clause where the contract names one (mStudio's spec declares
    the headers but requires none), else the headers clause."""
    clauses = _table(api)["clauses"]
    return clauses.get("headers_present", clauses["headers"])


def _headers(api: Api, ex: Exchange, clause: str, what: str) -> dict[str, str | None]:
    """The answer's pagination headers by role (limit, skip, page, total); any missing fails ``headers_present``."""
    names = _table(api)["headers"]
    got = {role: ex.headers.get(name) for role, name in names.items()}
    missing = [names[r] for r, v in got.items() if v is None]
    expect(not missing, _present_clause(api), f"{what} lacks {', '.join(missing)}", ex, actual=dict(ex.headers))
    return got


def _page_header(api: Api, ex: Exchange, value: str | None, skip: int, limit: int) -> None:
    """The page header is ``skip / limit`` counted from ``first_page``: that numbering is the page clause's
    (assumed), so a target that counts otherwise differs there, not on the documented headers clause."""
    p = _table(api)
    clause = _clause(api, "page")
    api.verifies(clause)
    want = skip / limit + p.get("first_page", 0) if limit else p.get("first_page", 0)
    expect(_number(value) == want, clause, f"{p['headers']['page']} is {value!r} for skip {skip} and limit {limit}",
           ex, expected=want, actual=value)


def _number(value: str | None) -> float | None:
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None
