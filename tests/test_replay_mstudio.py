"""mStudio's cassettes prove what they replay: damaged ones are an `error` naming the file, never a pass.

The cases mStudio adds: edits replayed from recorded PUTs (to a token whose id the recording found in a
list read after the create's event), a read inside the lag and its settled read on the same path, the
412 wait, and a token the API handed out that the cassette holds only as REDACTED.
"""
from __future__ import annotations

import copy
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml

from apiconform.paths import cassettes_dir
from apiconform.record.cassettes import cassette_name

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


def _copy(tmp_path: Path) -> Path:
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir("mstudio"), root / "mstudio")
    return root


def _replay(tmp_path: Path, suite_run: Any, root: Path, tests: list[str]) -> tuple[Any, list[dict[str, Any]]]:
    names = " or ".join(test.split("::")[1].split("[")[0] for test in tests)
    proc, records = suite_run("mstudio", tmp_path / "r", "--mode", "replay", "--cassette-dir", str(root), "-k", names)
    return proc, [r for r in records if r["test"].removeprefix("suites/mstudio/") in tests]


def test_damaged_cassettes_are_errors_naming_the_file(tmp_path, suite_run):
    root = _copy(tmp_path)
    expected = {}
    for test, damage in DAMAGES.items():
        path = root / "mstudio" / cassette_name(test)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected[f"suites/mstudio/{test}"] = (path, damage(data))
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    proc, records = _replay(tmp_path, suite_run, root, list(DAMAGES))
    assert sorted(r["test"] for r in records) == sorted(expected), proc.stdout[-3000:]
    for record in records:
        path, fragment = expected[record["test"]]
        assert record["verdict"] == "error", (record["test"], record["verdict"], record["message"][:300])
        assert fragment in record["message"] and path.name in record["message"], (record["test"],
                                                                                   record["message"][:300])
    assert proc.returncode == 1


def test_an_undamaged_copy_replays_to_pass(tmp_path, suite_run):
    """The control for the test above: the same selection, undamaged, passes, and the handed-out token is
    in the cassette only as its stand-in."""
    root = _copy(tmp_path)
    proc, records = _replay(tmp_path, suite_run, root, list(DAMAGES))
    assert len(records) == len(DAMAGES) and {r["verdict"] for r in records} == {"pass"}, proc.stdout[-3000:]
    created = yaml.safe_load((root / "mstudio" / cassette_name(list(DAMAGES)[-1])).read_text())["interactions"]
    tokens = [it["response"]["body"]["string"] for it in created if it["response"]["status"]["code"] == 201]
    assert tokens == ['{"token":"REDACTED-created-api-token"}']
