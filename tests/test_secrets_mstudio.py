"""A secret the API hands out (mStudio's created API token) never lands: not in a cassette, a report or a log.

The contract names where a response carries one (``[[secrets]]``); the scrubber learns each value as
it crosses the wire, before vcrpy records it and before a report renders it. The proof runs the token
checks in record mode and scans every file the run wrote for the token shape the sandbox issues (the
contract's credential ``shape``), and shows that without the ``[[secrets]]`` rule the leak gate stops
the cassette instead: the rule, not luck, is what keeps the secret out.
"""
from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
import yaml

from apiconform.contract.model import load_contract
from apiconform.paths import contract_path
from apiconform.record.cassettes import recorder
from apiconform.record.scrub import REDACTED, HandedOut, Scrubber, SecretLeak

SHAPE = re.compile(load_contract(contract_path("mstudio")).credentials["api_token"].shape)
RULE = HandedOut("created api token", "POST", "/v2/users/self/api-tokens", "token")
SECRET = "0b7e4d8c-1111-4222-8333-444455556666:s3cretValueFromTheApi:mittwald_a"
STAND_IN = f"{REDACTED}-created-api-token"  # distinct from the target's own credentials' stand-ins in replay


def test_the_scrubber_learns_a_handed_out_secret_from_its_response() -> None:
    scrubber = Scrubber({}, handed_out=[RULE])
    body = json.dumps({"token": SECRET})
    scrubber.learn_from("GET", "https://x.invalid/v2/users/self/api-tokens", body)  # not the create: nothing learnt
    assert scrubber.text(body) == body
    scrubber.learn_from("POST", "https://x.invalid/v2/users/self/api-tokens/", body)
    assert scrubber.text(f"X-Access-Token: {SECRET}") == f"X-Access-Token: {STAND_IN}"
    assert scrubber.scan(f"later: {SECRET}") == ["created api token"]


def test_the_recorder_learns_before_it_records() -> None:
    """vcrpy hands the request, then its response, to the hooks: the response is recorded scrubbed."""
    scrubber = Scrubber({}, handed_out=[RULE])
    vcr_ = recorder(scrubber, ["https://127.0.0.1:1"], "record", ["X-Access-Token"], [])

    class Request:
        method, uri, headers, body = "POST", "https://127.0.0.1:1/v2/users/self/api-tokens", {}, b"{}"

    vcr_.before_record_request(Request())
    response = {"headers": {"Content-Length": ["80"]}, "body": {"string": json.dumps({"token": SECRET}).encode()}}
    recorded = vcr_.before_record_response(response)
    assert json.loads(recorded["body"]["string"]) == {"token": STAND_IN}
    assert recorded["headers"]["Content-Length"] == [str(len(recorded["body"]["string"]))]


def _written(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_a_recorded_run_leaves_no_token_anywhere(tmp_path: Path, suite_run) -> None:
    cassettes, reports = tmp_path / "cassettes", tmp_path / "reports"
    proc, records = suite_run("mstudio", reports, "--mode", "record", "--cassette-dir", str(cassettes),
                              "--rate-scale", "10", "-k", "test_tokens or test_valid_creates_accepted")
    assert records and all(r["verdict"] == "pass" for r in records), proc.stdout[-2000:]
    creates = [json.loads(it["response"]["body"]["string"]) for p in (cassettes / "mstudio").glob("*.yaml")
               for it in yaml.safe_load(p.read_text())["interactions"]
               if it["request"]["method"] == "POST" and it["request"]["uri"].endswith("/api-tokens")
               and it["response"]["status"]["code"] == 201]
    assert len(creates) >= 4 and all(c == {"token": STAND_IN} for c in creates)
    files = _written(tmp_path)
    assert any(p.suffix == ".yaml" for p in files) and any(p.name == "results.json" for p in files)
    for path in files:
        assert not SHAPE.search(path.read_text(errors="replace")), path
    assert not SHAPE.search(proc.stdout + proc.stderr)


def test_without_the_rule_the_gate_stops_the_cassette(tmp_path: Path) -> None:
    """A scrubber that does not know the handed-out secret records it; the gate (the credential's shape)
    refuses to write such a cassette."""
    shape = load_contract(contract_path("mstudio")).credentials["api_token"].shape
    blind = Scrubber({}, headers=["X-Access-Token"], shapes=[shape])
    text = json.dumps({"token": SECRET})
    assert blind.text(text) == text
    with pytest.raises(SecretLeak, match="token-shaped"):
        blind.gate(text, str(tmp_path / "c.yaml"))
