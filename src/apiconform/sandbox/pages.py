"""Page-number pagination for any sandbox: ``page`` (default 1), a fixed page size, and the page counts.

A list is served newest first (the caller sorts); a page is a slice of it, and the counts say how
many items and pages there are (Hive's ``{current_page, item_count, page_count, items_per_page}``,
the names a provider passes in). A page past the last one is empty; a page below 1 is the first.

The block's faults are named here, so every provider that uses it breaks pages the same way.
"""
from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import TypeVar

T = TypeVar("T")

LATER_PAGES_OLDEST_FIRST = "pages-later-oldest-first"
ITEM_COUNT_OFF_BY_ONE = "pages-item-count-off-by-one"
PAGE_COUNT_FLOOR = "pages-page-count-rounded-down"
CURRENT_PAGE_ALWAYS_ONE = "pages-current-page-always-one"
PAGES_OVERLAP = "pages-overlap"
PAST_END_REPEATS_LAST = "pages-past-end-repeats-last"

#: flag -> (which promise it breaks: walk, counts, item_count, beyond; what it does)
FAULTS: dict[str, tuple[str, str]] = {
    LATER_PAGES_OLDEST_FIRST: ("walk", "pages after the first list their items oldest first"),
    PAGES_OVERLAP: ("walk", "each page after the first repeats the last item of the page before"),
    PAGE_COUNT_FLOOR: ("counts", "page_count is rounded down (a last, partial page is not counted)"),
    CURRENT_PAGE_ALWAYS_ONE: ("counts", "current_page always says 1"),
    ITEM_COUNT_OFF_BY_ONE: ("item_count", "item_count is one more than the items there are"),
    PAST_END_REPEATS_LAST: ("beyond", "a page past the last one repeats the last page"),
}


class PageError(ValueError):
    """A ``page`` that is not a number; the message names it."""


@dataclass(frozen=True)
class PageRules:
    per_page: int = 20
    param: str = "page"
    names: dict[str, str] = field(default_factory=lambda: {
        "current": "current_page", "items": "item_count", "pages": "page_count", "per_page": "items_per_page"})


def paginate(items: Sequence[T], query: Mapping[str, str], rules: PageRules, faults: frozenset[str]
             ) -> tuple[list[T], dict[str, int]]:
    """The requested page of ``items`` (already in list order) and its counts."""
    raw = query.get(rules.param, "1")
    try:
        number = int(raw)
    except ValueError:
        raise PageError(f"page {raw!r} is not a number") from None
    number = max(1, number)
    size, total = rules.per_page, len(items)
    pages = max(1, total // size if PAGE_COUNT_FLOOR in faults else -(-total // size))
    start = (number - 1) * size
    if PAST_END_REPEATS_LAST in faults and number > pages:
        start = (pages - 1) * size
    if PAGES_OVERLAP in faults and number > 1:
        start -= 1
    page = list(items[start:start + size])
    if LATER_PAGES_OLDEST_FIRST in faults and number > 1:
        page.reverse()
    n = rules.names
    counts = {n["current"]: 1 if CURRENT_PAGE_ALWAYS_ONE in faults else number,
              n["items"]: total + (1 if ITEM_COUNT_OFF_BY_ONE in faults else 0),
              n["pages"]: pages, n["per_page"]: size}
    return page, counts
