"""The sandbox building blocks every provider can use: bearer keys and cursor pagination."""
from __future__ import annotations

import pytest

from apiconform.sandbox import bearer, cursor


def test_keyring_tells_every_refusal_apart():
    keys = bearer.Keyring("mit_")
    full, revoked = keys.issue("full"), keys.issue("gone", revoked=True)
    assert full.value.startswith("mit_") and len(full.value) == 36 and full.value != revoked.value
    assert keys.identify(f"Bearer {full.value}") == full
    assert keys.identify(f"bearer  {full.value} ") == full
    for header, reason in [(None, bearer.MISSING), ("", bearer.MISSING), ("Bearer ", bearer.MISSING),
                           (f"Basic {full.value}", bearer.MISSING), ("Bearer not a key!", bearer.MALFORMED),
                           ("Bearer re_0123456789abcdef", bearer.MALFORMED),
                           ("Bearer mit_0123456789abcdef", bearer.UNKNOWN),
                           (f"Bearer {revoked.value}", bearer.REVOKED)]:
        with pytest.raises(bearer.KeyRefused) as refused:
            keys.identify(header)
        assert refused.value.reason == reason, header
    with pytest.raises(bearer.KeyRefused) as refused:
        keys.identify(f"Bearer {revoked.value}")
    assert refused.value.key == revoked


ITEMS = [{"id": f"m{n}", "n": n} for n in range(10, 0, -1)]  # newest (10) first
PLACES = {f"m{n}": n for n in range(1, 12)}  # m11 was deleted: its cursor keeps its place


def _page(faults=frozenset(), **params):
    page = cursor.paginate(ITEMS, {k: str(v) for k, v in params.items()}, lambda i: i["n"], PLACES.get,
                           cursor.CursorRules(default=4, maximum=6), frozenset(faults))
    return [i["n"] for i in page.items], page.has_more


def test_cursor_pages_walk_both_ways_without_their_cursor():
    assert _page() == ([10, 9, 8, 7], True)
    assert _page(limit=3, after="m8") == ([7, 6, 5], True)
    assert _page(limit=6, after="m5") == ([4, 3, 2, 1], False)
    assert _page(limit=3, before="m3") == ([6, 5, 4], True)
    assert _page(limit=3, before="m8") == ([10, 9], False)
    assert _page(limit=2, after="m11") == ([10, 9], True)  # a deleted member's cursor still works


@pytest.mark.parametrize("params", [{"limit": 0}, {"limit": 7}, {"limit": "x"}, {"limit": "-1"},
                                    {"after": "m1", "before": "m9"}, {"after": "nope"}, {"before": "nope"}])
def test_cursor_refuses_bad_parameters_naming_them(params):
    with pytest.raises(cursor.PageError, match="limit|after|before"):
        _page(**params)


def test_cursor_faults():
    assert _page({cursor.AFTER_INCLUDES_CURSOR}, limit=2, after="m8") == ([8, 7], True)
    assert _page({cursor.BEFORE_INCLUDES_CURSOR}, limit=2, before="m3") == ([4, 3], True)
    assert _page({cursor.AFTER_AND_BEFORE_ACCEPTED}, limit=2, after="m8", before="m1") == ([7, 6], True)
    assert _page({cursor.LIMIT_UNBOUNDED}, limit=9) == ([10, 9, 8, 7, 6, 5, 4, 3, 2], True)
    assert _page({cursor.DEFAULT_LIMIT_ALL}) == (list(range(10, 0, -1)), False)
