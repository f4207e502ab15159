"""Replay must prove it replayed: a damaged cassette is an `error` naming the file, never a pass or a fail.

Each damage below is one way a cassette can stop proving its check: trimmed, emptied, padded
with a request the check no longer sends, or cut short inside valid YAML. And the one check
that counts a transport failure as the target's answer, ``plain_http_refused``, counts only a
refused connection, live and in replay.
"""
from __future__ import annotations

import copy
import shutil
import socket
import struct
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from apiconform.checks import auth, payloads
from apiconform.contract.model import load_contract
from apiconform.http.client import Api, ConnectionRefused, Target
from apiconform.http.targets import replay_target, scrubber_for
from apiconform.paths import cassettes_dir, contract_path
from apiconform.record.cassettes import cassette, cassette_name, recorder
from apiconform.verdict import ContractViolation, HarnessError

CONTRACT = load_contract(contract_path("mite"))
HTTPS_ONLY = "mite.auth.https-only"
VALID = "mite.payload.valid-accepted"
Data = dict[str, Any]


def _load(path: Path) -> Data:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def _save(path: Path, data: Data) -> None:
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def _posts(data: Data) -> list[int]:
    return [i for i, it in enumerate(data["interactions"]) if it["request"]["method"] == "POST"]


def _emptied(data: Data) -> str:
    data["interactions"] = []
    return "recorded 0 payloads, the check sends 5"


def _last_payload_trimmed(data: Data) -> str:
    del data["interactions"][_posts(data)[-1]:]  # the last POST and the cleanup after it
    return "recorded 4 payloads, the check sends 5"


def _posts_removed(data: Data) -> str:
    data["interactions"] = [it for it in data["interactions"] if it["request"]["method"] != "POST"]
    return "recorded 0 payloads, the check sends 3"


def _payload_added(data: Data) -> str:
    data["interactions"].append(copy.deepcopy(data["interactions"][_posts(data)[0]]))
    return "recorded 6 payloads, the check sends 5"


def _plain_http_emptied(data: Data) -> str:
    data["interactions"] = []
    return "GET /myself.json is not in the cassette"


def _extra_interaction(data: Data) -> str:
    extra = copy.deepcopy(data["interactions"][0])
    extra["request"]["uri"] = "https://replay.invalid/extra.json"
    data["interactions"].append(extra)
    return "first GET /extra.json"


def _where(data: Data, index: int) -> str:
    request = data["interactions"][index]["request"]
    return f"interaction {index} ({request['method']} {urlsplit(request['uri']).path})"


def _response_body_cut(data: Data) -> str:
    body = data["interactions"][0]["response"]["body"]
    body["string"] = body["string"][: len(body["string"]) // 2]
    return f"{_where(data, 0)}: response body is"


def _request_body_cut(data: Data) -> str:
    index = _posts(data)[1]
    request = data["interactions"][index]["request"]
    request["body"] = request["body"][:-3]
    return f"{_where(data, index)}: request body is"


def _response_missing(data: Data) -> str:
    del data["interactions"][0]["response"]
    return f"{_where(data, 0)}: no request or no response"


def _status_not_int(data: Data) -> str:
    data["interactions"][-1]["response"]["status"]["code"] = "200"
    return f"{_where(data, len(data['interactions']) - 1)}: response.status.code is not an integer"


DAMAGES: dict[str, Callable[[Data], str]] = {
    "test_payloads.py::test_valid_payloads_accepted[customers]": _emptied,
    "test_payloads.py::test_valid_payloads_accepted[services]": _last_payload_trimmed,
    "test_payloads.py::test_valid_payloads_accepted[projects]": _payload_added,
    "test_payloads.py::test_invalid_payloads_rejected[customers-required:name]": _posts_removed,
    "test_payloads.py::test_invalid_payloads_rejected[time_entries-minimum:minutes]": _request_body_cut,
    "test_auth.py::test_plain_http_refused": _plain_http_emptied,
    "test_formats.py::test_head_like_get": _extra_interaction,
    "test_reads.py::test_read_matches_schema[customers]": _response_body_cut,
    "test_status.py::test_unknown_id_404[customers]": _response_missing,
    "test_formats.py::test_delete_empty_200": _status_not_int,
}


def _cassette(root: Path, test: str) -> Path:
    return root / "mite" / cassette_name(test)


def test_damaged_cassettes_are_errors_naming_the_file(tmp_path, suite_run):
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir("mite"), root / "mite")
    expected = {}
    for test, damage in DAMAGES.items():
        path = _cassette(root, test)
        data = _load(path)
        expected[f"suites/mite/{test}"] = (path, damage(data))
        _save(path, data)
    names = " or ".join(test.split("::")[1] for test in DAMAGES)
    before = {p: p.read_bytes() for p in (root / "mite").iterdir()}
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", "--cassette-dir", str(root), "-k", names)
    assert sorted(r["test"] for r in records) == sorted(expected), proc.stdout[-3000:]
    assert {p: p.read_bytes() for p in (root / "mite").iterdir()} == before  # replay never writes a cassette
    for record in records:
        path, fragment = expected[record["test"]]
        assert record["verdict"] == "error", (record["test"], record["verdict"], record["message"][:300])
        assert str(path) in record["message"] and fragment in record["message"], (record["test"], record["message"])
    assert proc.returncode == 1


def test_an_undamaged_copy_replays_to_pass(tmp_path, suite_run):
    """The control for the test above: the same selection, undamaged, passes."""
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir("mite"), root / "mite")
    names = " or ".join(test.split("::")[1] for test in DAMAGES)
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", "--cassette-dir", str(root), "-k", names)
    assert len(records) == len(DAMAGES) and {r["verdict"] for r in records} == {"pass"}, proc.stdout[-3000:]


def _replay_in_process(path: Path, check: Callable[[Api], None]) -> Any:
    """Replay one cassette around ``check`` as the plugin does; returns the vcrpy cassette."""
    target = replay_target(CONTRACT)
    scrubber = scrubber_for(CONTRACT, target)
    vcr_ = recorder(scrubber, [target.base_url, target.http_url or ""], "replay",
                    [a.header for a in CONTRACT.auth if a.header], [a.param for a in CONTRACT.auth if a.param])
    with cassette(vcr_, path, scrubber, target.kind, "mite") as cas:
        api = Api(CONTRACT, target, cassette_path=path, replaying=True)
        try:
            check(api)
        finally:
            api.close()
    return cas


def test_a_recording_of_a_failing_run_replays_to_the_same_fail(tmp_path, suite_run):
    """The recorded run stopped where the check failed, so its replay plays all of it and fails there."""
    root = tmp_path / "cassettes"
    select = ["-k", "test_valid_payloads_accepted or test_invalid_payloads_rejected", "--cassette-dir", str(root)]
    proc, recorded = suite_run("mite", tmp_path / "rec", "--mode", "record", "--sandbox-fault", "create-drops-note",
                               *select)
    failed = {r["test"] for r in recorded if r["verdict"] == "fail" and r["violated"] == VALID}
    assert len(failed) == 4 and {r["verdict"] for r in recorded if r["test"] not in failed} == {"pass"}, \
        proc.stdout[-3000:]
    path = root / "mite" / "test_payloads__test_valid_payloads_accepted[customers].yaml"
    assert len(_posts(_load(path))) == 1  # every optional field is in the first payload, so it fails there

    def fails(api: Api) -> None:
        with pytest.raises(ContractViolation, match="does not echo note"):
            payloads.valid_accepted(api, "customers", 5, VALID)

    assert _replay_in_process(path, fails).all_played

    data = _load(path)  # a tail that was not played must not turn the fail into an error
    _extra_interaction(data)
    _save(path, data)
    proc, replayed = suite_run("mite", tmp_path / "rep", "--mode", "replay", *select)
    assert sorted((r["test"], r["verdict"], r["violated"]) for r in replayed) == \
        sorted((r["test"], r["verdict"], r["violated"]) for r in recorded), proc.stdout[-3000:]


# -- plain_http_refused: only a refusal counts ----------------------------------------------

def _plain_http_api(http_url: str) -> Api:
    return Api(CONTRACT, Target(kind="url", base_url="https://127.0.0.1:9", credentials={}, http_url=http_url))


@pytest.fixture
def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def silent_port() -> Iterator[int]:
    """Accepts connections (the kernel does) and never answers."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen(8)
        yield sock.getsockname()[1]


@pytest.fixture
def resetting_port() -> Iterator[int]:
    """Resets every connection it accepts."""
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    sock.listen(8)

    def serve() -> None:
        while True:
            try:
                conn, _ = sock.accept()
            except OSError:
                return
            conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))  # close sends RST
            conn.close()

    threading.Thread(target=serve, daemon=True).start()
    yield sock.getsockname()[1]
    sock.close()


@pytest.mark.parametrize("how", ["closed", "reset"])
def test_a_refused_connection_is_refusal(how, closed_port, resetting_port):
    api = _plain_http_api(f"http://127.0.0.1:{closed_port if how == 'closed' else resetting_port}")
    auth.plain_http_refused(api, HTTPS_ONLY)
    assert api.refused == ["GET http://replay.invalid/myself.json"]


def test_an_unresolvable_host_is_not_refusal():
    api = _plain_http_api("http://apiconform-no-such-host.invalid")
    with pytest.raises(HarnessError) as exc:
        auth.plain_http_refused(api, HTTPS_ONLY)
    assert not isinstance(exc.value, ConnectionRefused) and not api.refused


def test_a_timeout_is_not_refusal(silent_port, monkeypatch):
    monkeypatch.setenv("APICONFORM_TIMEOUT", "0.5")
    api = _plain_http_api(f"http://127.0.0.1:{silent_port}")
    with pytest.raises(HarnessError, match="Timeout") as exc:
        auth.plain_http_refused(api, HTTPS_ONLY)
    assert not isinstance(exc.value, ConnectionRefused) and not api.refused


def test_a_recorded_refusal_replays_and_only_as_recorded(tmp_path, suite_run, sandbox, closed_port):
    env = {**sandbox.env, "MITE_HTTP_URL": f"http://127.0.0.1:{closed_port}"}
    root = tmp_path / "cassettes"
    select = ["-k", "test_plain_http_refused", "--cassette-dir", str(root)]
    proc, records = suite_run("mite", tmp_path / "rec", "--mode", "record", "--target", env["MITE_BASE_URL"],
                              "--ca-bundle", env["MITE_CA_BUNDLE"], *select, env=env)
    assert [r["verdict"] for r in records] == ["pass"], proc.stdout[-3000:]
    path = root / "mite" / "test_auth__test_plain_http_refused.yaml"
    data = _load(path)
    assert data["interactions"] == [] and data["metadata"]["refused"] == ["GET http://replay.invalid/myself.json"]

    outcomes = {}
    for case, refused in [("as recorded", ["GET http://replay.invalid/myself.json"]), ("marker removed", []),
                          ("marker twice", ["GET http://replay.invalid/myself.json"] * 2)]:
        data["metadata"]["refused"] = refused
        _save(path, data)
        proc, records = suite_run("mite", tmp_path / case, "--mode", "replay", *select)
        (record,) = records
        outcomes[case] = (record["verdict"], str(path) in record["message"])
    assert outcomes == {"as recorded": ("pass", False), "marker removed": ("error", True),
                        "marker twice": ("error", True)}
