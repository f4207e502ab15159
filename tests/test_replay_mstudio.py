"""mStudio's cassettes prove what they replay: damaged ones are an `error` naming the file, never a pass.

The cases mStudio adds: edits replayed from recorded PUTs (to a token whose id the recording found in a
list read after the create's event), a read inside the lag and its settled read on the same path, the
412 wait, and a token the API handed out that the cassette holds only as REDACTED.
"""
from __future__ import annotations

import copy
from collections.abc import Callable
from typing import Any

import yaml

Data = dict[str, Any]


def _puts(data: Data) -> list[int]:
    return [i for i, it in enumerate(data["interactions"]) if it["request"]["method"] == "PUT"]


def _last_edit_trimmed(data: Data) -> str:
    del data["interactions"][_puts(data)[-1]:]  # the last PUT, its read-back and the cleanup
    return "recorded 2 payloads, the check sends 3"


def _lag_read_lost(data: Data) -> str:
    reads = [i for i, it in enumerate(data["interactions"])
             if it["request"]["method"] == "GET" and it["response"]["status"]["code"] in (403, 404)]
    del data["interactions"][reads[-1]]
    return "is not in the cassette"


def _timeout_lost(data: Data) -> str:
    data["interactions"] = [it for it in data["interactions"] if it["response"]["status"]["code"] != 412]
    return "is not in the cassette"


def _request_added(data: Data) -> str:
    data["interactions"].append(copy.deepcopy(data["interactions"][0]))
    return "were not replayed"


DAMAGES: dict[str, Callable[[Data], str]] = {
    "test_payloads.py::test_valid_edits_accepted[api_tokens-mstudio.token.edit]": _last_edit_trimmed,
    "test_consistency.py::test_read_inside_the_lag": _lag_read_lost,
    "test_consistency.py::test_unreached_event_412": _timeout_lost,
    "test_tokens.py::test_created_token_authenticates_until_deleted": _request_added,
}


def test_damaged_cassettes_are_errors_naming_the_file(cassette_copy):
    cassette_copy("mstudio").damaged_replays_are_errors(DAMAGES)


def test_an_undamaged_copy_replays_to_pass(cassette_copy):
    """The control for the test above: the same selection, undamaged, passes, and the handed-out token is
    in the cassette only as its stand-in."""
    cassettes = cassette_copy("mstudio")
    proc, records = cassettes.replay(list(DAMAGES))
    assert len(records) == len(DAMAGES) and {r["verdict"] for r in records} == {"pass"}, proc.stdout[-3000:]
    created = yaml.safe_load(cassettes.path(list(DAMAGES)[-1]).read_text())["interactions"]
    tokens = [it["response"]["body"]["string"] for it in created if it["response"]["status"]["code"] == 201]
    assert tokens == ['{"token":"REDACTED-created-api-token"}']
