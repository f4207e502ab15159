"""Mitwirken's cassettes prove what they replay: damaged ones are an `error` naming the file, never a pass.

The cases that mite's cassettes cannot show: update payloads replayed from recorded PATCHes (to
a record whose id the recording chose), a refusal recorded only as metadata, and a cursor walk
that no longer finds a page it asks for.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

Data = dict[str, Any]


def _patches(data: Data) -> list[int]:
    return [i for i, it in enumerate(data["interactions"]) if it["request"]["method"] == "PATCH"]


def _last_update_trimmed(data: Data) -> str:
    del data["interactions"][_patches(data)[-1]:]  # the last PATCH, its read-back and the cleanup
    return "recorded 4 payloads, the check sends 5"


def _update_added(data: Data) -> str:
    data["interactions"].insert(_patches(data)[-1], copy.deepcopy(data["interactions"][_patches(data)[0]]))
    return "recorded 6 payloads, the check sends 5"


def _updates_removed(data: Data) -> str:
    data["interactions"] = [it for it in data["interactions"] if it["request"]["method"] != "PATCH"]
    return "recorded 0 payloads, the check sends 3"


def _refusal_forgotten(data: Data) -> str:
    data["metadata"].pop("refused")
    return "GET /members is not in the cassette"


def _page_lost(data: Data) -> str:
    pages = [i for i, it in enumerate(data["interactions"]) if "after=" in it["request"]["uri"]]
    del data["interactions"][pages[1]]
    return "is not in the cassette"


DAMAGES: dict[str, Callable[[Data], str]] = {
    "test_payloads.py::test_valid_updates_accepted": _last_update_trimmed,
    "test_payloads.py::test_invalid_payloads_refused[update-maxLength:last_name]": _updates_removed,
    "test_auth.py::test_plain_http_refused": _refusal_forgotten,
    "test_pagination.py::test_walk_after": _page_lost,
}


def test_damaged_cassettes_are_errors_naming_the_file(cassette_copy):
    cassette_copy("mitwirken").damaged_replays_are_errors(DAMAGES)


def test_an_added_update_is_an_error_before_anything_is_sent(cassette_copy):
    cassettes = cassette_copy("mitwirken")
    test = "test_payloads.py::test_valid_updates_accepted"
    _, fragment = cassettes.damage(test, _update_added)
    _, records = cassettes.replay([test])
    assert [(r["verdict"], fragment in r["message"]) for r in records] == [("error", True)]


def test_an_undamaged_copy_replays_to_pass(cassette_copy):
    """The control for the tests above: the same selection, undamaged, passes."""
    proc, records = cassette_copy("mitwirken").replay(list(DAMAGES))
    assert len(records) == len(DAMAGES) and {r["verdict"] for r in records} == {"pass"}, proc.stdout[-3000:]
