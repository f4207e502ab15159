"""Offset pagination for any sandbox: ``limit``, ``skip`` and ``page``, and the ``X-Pagination-*`` headers.

mStudio's lists (providers/mstudio.md §8): ``limit`` (minimum 0; a default per list, or none: all),
``skip`` (default 0) and ``page`` (minimum 0); "if both page and skip are set, skip is used".
Pages count from 0, so ``page=p`` is ``skip=p*limit`` and ``X-Pagination-Page`` is ``skip/limit``
(a number: the spec types it so); that page numbering is the sandbox's assumption. The answer
carries ``X-Pagination-Limit``, ``-Skip``, ``-Page`` and ``-TotalCount`` (all items of the list).
The block's faults are named here so every provider breaks pagination the same way.
"""
from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

PAGE_WINS = "pagination-page-wins-over-skip"
TOTAL_OFF_BY_ONE = "pagination-total-off-by-one"
PAGE_IGNORED = "pagination-page-ignored"
HEADERS_MISSING = "pagination-headers-missing"
SKIP_OVERLAP = "pagination-skip-overlap"
PAGE_HEADER_ONE_BASED = "pagination-page-header-one-based"
SKIP_PLUS_PAGE = "pagination-skip-plus-page"

#: flag -> (the pagination check it breaks, what it does)
FAULTS: dict[str, tuple[str, str]] = {
    PAGE_WINS: ("skip_wins", "with both skip and page, page is used"),
    TOTAL_OFF_BY_ONE: ("headers", "X-Pagination-TotalCount is one more than the items"),
    PAGE_IGNORED: ("page", "page is ignored: every page is the first"),
    HEADERS_MISSING: ("headers_present", "lists carry no X-Pagination-* header"),
    SKIP_OVERLAP: ("walk", "skip starts one item early, so consecutive pages overlap"),
    PAGE_HEADER_ONE_BASED: ("page", "X-Pagination-Page counts from 1 while the page parameter counts from 0"),
    SKIP_PLUS_PAGE: ("skip_wins", "with both skip and page, the page starts at skip + page*limit"),
}
HEADERS = ("X-Pagination-Limit", "X-Pagination-Skip", "X-Pagination-Page", "X-Pagination-TotalCount")


class PageError(ValueError):
    """A query parameter the pagination refuses; ``param`` names it."""

    def __init__(self, param: str, message: str) -> None:
        super().__init__(message)
        self.param = param


@dataclass
class Page(Generic[T]):
    items: list[T]
    headers: dict[str, str]


def _number(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"[0-9]{1,9}", raw.strip()):
        raise PageError(name, f"{name} must be an integer of at least 0")
    return int(raw)


def paginate(items: Sequence[T], params: Mapping[str, str], default_limit: int | None = None,
             faults: frozenset[str] = frozenset()) -> Page[T]:
    limit = _number(params, "limit")
    skip, page = _number(params, "skip"), _number(params, "page")
    limit = default_limit if limit is None else limit
    if page is not None and PAGE_IGNORED in faults:
        page = None
    start = None
    if skip is not None and SKIP_OVERLAP in faults:
        start = max(0, skip - 1)
    if page is not None and (skip is None or PAGE_WINS in faults):
        skip = start = page * limit if limit is not None else 0
    elif page is not None and limit is not None and SKIP_PLUS_PAGE in faults:
        skip = start = skip + page * limit
    skip = skip or 0
    start = skip if start is None else start
    chosen = list(items[start:] if limit is None else items[start:start + limit])
    used = len(items) if limit is None else limit
    total = len(items) + (1 if TOTAL_OFF_BY_ONE in faults else 0)
    number = (skip / used if used else 0) + (1 if PAGE_HEADER_ONE_BASED in faults else 0)
    headers = {} if HEADERS_MISSING in faults else {
        "X-Pagination-Limit": str(used), "X-Pagination-Skip": str(skip),
        "X-Pagination-Page": f"{number:g}", "X-Pagination-TotalCount": str(total)}
    return Page(chosen, headers)
