"""Cursor pagination for any sandbox: ``limit``, and ``after``/``before`` an item's id.

A list is served in one order (its items' places descending: newest first). ``after=X`` gives
the items that follow X, ``before=X`` the ones that precede it, nearest first in list order;
the cursor itself is never part of the page. A cursor keeps its place after its item was
deleted, so a walk does not break when another client deletes the item it stands on.

The block's faults are named here, so every provider that uses it lists the same names
(against its own clauses) and breaks pagination the same way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")

AFTER_INCLUDES_CURSOR = "after-includes-cursor"
BEFORE_INCLUDES_CURSOR = "before-includes-cursor"
AFTER_AND_BEFORE_ACCEPTED = "after-and-before-accepted"
LIMIT_UNBOUNDED = "limit-unbounded"
DEFAULT_LIMIT_ALL = "default-limit-all"


@dataclass(frozen=True)
class CursorRules:
    default: int = 20
    minimum: int = 1
    maximum: int = 100
    limit: str = "limit"
    after: str = "after"
    before: str = "before"


class PageError(ValueError):
    """A query parameter the pagination refuses; the message names it."""


@dataclass
class Page(Generic[T]):
    items: list[T]
    has_more: bool  # more items lie beyond the page, in the direction the request walked


def paginate(items: Sequence[T], params: Mapping[str, str], place: Callable[[T], int],
             cursor_place: Callable[[str], int | None], rules: CursorRules = CursorRules(),
             faults: frozenset[str] = frozenset()) -> Page[T]:
    """One page of ``items`` (in list order, ``place`` descending) as ``params`` ask for it."""
    limit = _limit(params.get(rules.limit), rules, faults, everything=len(items))
    after, before = params.get(rules.after), params.get(rules.before)
    if after is not None and before is not None and AFTER_AND_BEFORE_ACCEPTED not in faults:
        raise PageError(f"`{rules.after}` and `{rules.before}` cannot be used together.")
    if after is not None:
        at = _place(cursor_place, after, rules.after)
        inclusive = AFTER_INCLUDES_CURSOR in faults
        tail = [i for i in items if place(i) < at or (inclusive and place(i) == at)]
        return Page(tail[:limit], len(tail) > limit)
    if before is not None:
        at = _place(cursor_place, before, rules.before)
        inclusive = BEFORE_INCLUDES_CURSOR in faults
        head = [i for i in items if place(i) > at or (inclusive and place(i) == at)]
        return Page(head[-limit:], len(head) > limit)
    return Page(list(items[:limit]), len(items) > limit)


def _limit(raw: str | None, rules: CursorRules, faults: frozenset[str], everything: int) -> int:
    if raw is None:
        return max(everything, 1) if DEFAULT_LIMIT_ALL in faults else rules.default
    value = int(raw) if re.fullmatch(r"[0-9]{1,9}", raw.strip()) else None
    if value is None or value < rules.minimum or (value > rules.maximum and LIMIT_UNBOUNDED not in faults):
        raise PageError(f"`{rules.limit}` must be a number between {rules.minimum} and {rules.maximum}.")
    return value


def _place(cursor_place: Callable[[str], int | None], cursor: str, name: str) -> int:
    at = cursor_place(cursor)
    if at is None:
        raise PageError(f"`{name}` is not the id of an item of this list.")
    return at
