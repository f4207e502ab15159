"""``apiconform drift`` on the committed cassettes and on copies changed the way a new API version changes them.

Each change is made to a copy of a real cassette set (mite's and Mitwirken's) and must be reported as
its kind, tied to the clause the contract gives it, with the documented exit status.
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

from apiconform.paths import cassettes_dir

CLI = [sys.executable, "-m", "apiconform.cli"]


def drift(tmp_path: Path, old: Path, new: Path, *args: str) -> tuple[int, dict[str, Any], str]:
    report = tmp_path / "reports"
    proc = subprocess.run([*CLI, "drift", str(old), str(new), "--report-dir", str(report), *args],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode != 2, proc.stderr
    return proc.returncode, json.loads((report / "drift.json").read_text()), proc.stdout


def copy(provider: str, tmp_path: Path) -> Path:
    dest = tmp_path / "new" / provider
    shutil.copytree(cassettes_dir(provider), dest)
    return dest


def edit(folder: Path, name: str, change) -> None:
    """Apply ``change(interaction)`` to every interaction of one cassette, keeping Content-Length true."""
    path = folder / name
    data = yaml.safe_load(path.read_text())
    for interaction in data["interactions"]:
        change(interaction)
        response = interaction["response"]
        body = response["body"]["string"]
        for key in response["headers"]:
            if key.lower() == "content-length":
                response["headers"][key] = [str(len(body.encode() if isinstance(body, str) else body))]
    path.write_text(yaml.safe_dump(data))


def one(report: dict[str, Any], kind: str) -> dict[str, Any]:
    found = [c for c in report["changes"] if c["kind"] == kind]
    assert len(found) == 1, [c for c in report["changes"]]
    return found[0]


def test_the_same_recording_has_no_drift(tmp_path):
    code, report, out = drift(tmp_path, cassettes_dir("mite"), cassettes_dir("mite"))
    assert code == 0 and report["changes"] == [] and report["paired"] > 300
    assert "exit 0 (no drift)" in out
    assert {p.name for p in (tmp_path / "reports").iterdir()} == {"drift.json", "drift.md", "drift.html"}


def test_a_new_field_is_additive_exit_3(tmp_path):
    new = copy("mite", tmp_path)

    def add_field(interaction):
        body = interaction["response"]["body"]["string"]
        if interaction["request"]["method"] == "GET" and body.startswith('{"user":'):
            data = json.loads(body)
            data["user"]["team"] = "blue"
            interaction["response"]["body"]["string"] = json.dumps(data)

    edit(new, "test_auth__test_variant_authenticates[basic].yaml", add_field)
    code, report, _ = drift(tmp_path, cassettes_dir("mite"), new)
    change = one(report, "field-added")
    assert code == 3 and change["subject"] == "$.user.team" and change["severity"] == "additive"
    assert change["clauses"] == ["mite.schema.resources"] and change["operations"] == ["GET /myself.json"]


def test_status_header_enum_and_envelope_changes_break_their_clauses(tmp_path):
    new = copy("mite", tmp_path)

    def status(interaction):
        if interaction["response"]["status"]["code"] == 404:
            interaction["response"]["status"] = {"code": 410, "message": "Gone"}

    def role(interaction):
        body = interaction["response"]["body"]["string"]
        interaction["response"]["body"]["string"] = body.replace('"role":"coworker"', '"role":"admin"')

    def envelope(interaction):
        body = interaction["response"]["body"]["string"]
        if interaction["request"]["method"] == "GET" and body.startswith("["):
            interaction["response"]["body"]["string"] = json.dumps({"data": json.loads(body), "page": 1})

    def etag(interaction):
        headers = interaction["response"]["headers"]
        if "etag" in headers:
            headers["x-etag"] = headers.pop("etag")

    edit(new, "test_status__test_unknown_id_404[customers].yaml", status)
    edit(new, "test_reads__test_read_matches_schema[users].yaml", role)
    edit(new, "test_pagination__test_default_returns_all[services].yaml", envelope)
    edit(new, "test_conditional__test_etags_weak.yaml", etag)
    code, report, out = drift(tmp_path, cassettes_dir("mite"), new)
    assert code == 1 and "exit 1 (a change breaks a clause)" in out
    changed = one(report, "status")
    assert changed["subject"] == "404 -> 410" and changed["clauses"] == ["mite.status.allowed"]
    removed = one(report, "enum-removed")
    assert removed["subject"].endswith(".role") and "'coworker'" in removed["detail"]
    wrapped = one(report, "list-to-envelope")
    assert wrapped["subject"] == "$" and "'data'" in wrapped["detail"] and wrapped["severity"] == "breaking"
    renamed = one(report, "header-renamed")
    assert renamed["subject"] == "etag -> x-etag" and renamed["category"] == "caching"
    assert renamed["clauses"] == ["mite.cond.304"]
    assert not [c for c in report["changes"] if c["kind"] in ("field-added", "field-removed", "type-changed")]


def test_a_renamed_rate_limit_header_is_called_out_with_its_clause(tmp_path):
    new = copy("mitwirken", tmp_path)

    def rename(interaction):
        headers = interaction["response"]["headers"]
        headers["x-ratelimit-remaining"] = headers.pop("ratelimit-remaining")

    edit(new, "test_status__test_member_read_200.yaml", rename)
    code, report, _ = drift(tmp_path, cassettes_dir("mitwirken"), new)
    change = one(report, "header-renamed")
    assert code == 1 and change["subject"] == "ratelimit-remaining -> x-ratelimit-remaining"
    assert change["category"] == "rate-limit"
    assert change["clauses"][:2] == ["mitwirken.rate.headers", "mitwirken.rate.remaining"]


def test_a_type_change_and_a_removed_field(tmp_path):
    new = copy("mitwirken", tmp_path)

    def retype(interaction):
        body = interaction["response"]["body"]["string"]
        if interaction["request"]["method"] == "GET" and '"first_name"' in body:
            data = json.loads(body)
            data["unsubscribed"] = "no"
            data.pop("last_name", None)
            interaction["response"]["body"]["string"] = json.dumps(data)

    edit(new, "test_status__test_member_read_200.yaml", retype)
    code, report, _ = drift(tmp_path, cassettes_dir("mitwirken"), new)
    assert code == 1
    assert one(report, "type-changed")["detail"] == "boolean -> string"
    assert one(report, "field-removed")["subject"] == "$.last_name"


@pytest.mark.parametrize("args, message", [
    ((), "give a NEW cassette folder"),
    (("cassettes/mite", "cassettes/mitwirken"), "recorded for"),
    (("/nonexistent", "cassettes/mite"), "no cassettes here"),
])
def test_usage_errors_exit_2_and_say_why(args, message):
    proc = subprocess.run([*CLI, "drift", *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and message in proc.stderr


def test_header_roles_come_from_the_contract_data(tmp_path):
    """A provider whose contract names other headers needs no engine change: mStudio's rate-limit, pagination
    and consistency headers are known from its contract alone, and a renamed one follows the contract."""
    from apiconform.contract.model import load_contract
    from apiconform.paths import contract_path
    from apiconform.record.drift import Knowledge

    know = Knowledge.of(load_contract(contract_path("mstudio")), None)
    assert know.header("x-ratelimit-remaining") == ("rate-limit", ("mstudio.rate.headers", "mstudio.rate.remaining"))
    assert know.header("x-pagination-totalcount")[0] == "pagination"
    assert know.header("if-event-reached")[0] == "consistency"

    text = contract_path("mitwirken").read_text()
    text = text.replace('remaining = "ratelimit-remaining"', 'remaining = "X-RateLimit-Remaining"')
    path = tmp_path / "suites" / "mitwirken" / "contract.toml"
    path.parent.mkdir(parents=True)
    path.write_text(text)
    know = Knowledge.of(load_contract(path), None)
    assert know.header("x-ratelimit-remaining") == ("rate-limit", ("mitwirken.rate.headers",
                                                                   "mitwirken.rate.remaining"))
    assert know.header("ratelimit-remaining") == ("", ())


def test_a_rate_limit_answer_the_budget_retried_is_not_drift(tmp_path):
    new = copy("mitwirken", tmp_path)
    path = new / "test_status__test_member_read_200.yaml"
    data = yaml.safe_load(path.read_text())
    retried = json.loads(json.dumps(data["interactions"][0]))  # the same request, answered 429 first
    retried["response"]["status"] = {"code": 429, "message": "Too Many Requests"}
    data["interactions"].insert(0, retried)
    path.write_text(yaml.safe_dump(data))
    code, report, _ = drift(tmp_path, cassettes_dir("mitwirken"), new)
    assert code == 0 and report["changes"] == []


def test_drift_of_a_target_without_writes_says_it_compared_reads_only(tmp_path, sandbox):
    """Without --allow-writes the recording skips every check that writes: "no drift" covers only the reads."""
    env = {**os.environ, **sandbox.env}
    report = tmp_path / "reports"
    proc = subprocess.run([*CLI, "drift", "--provider", "mite", "--target", sandbox.env["MITE_BASE_URL"],
                           "--ca-bundle", sandbox.env["MITE_CA_BUNDLE"], "--report-dir", str(report), "-n", "0"],
                          capture_output=True, text=True, timeout=600, env=env)
    doc = json.loads((report / "drift.json").read_text())
    assert doc["not_compared"] and doc["notes"][0].startswith("compared reads only; "), doc["notes"][:2]
    assert "--allow-writes" in doc["notes"][0]
    assert f"{len(doc['not_compared'])} checks not compared" in proc.stdout, proc.stdout[-2000:]
