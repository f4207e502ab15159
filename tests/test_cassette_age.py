"""Cassette age in replay: --max-age warns about old cassettes (and says when an age is unknown),
--strict-age makes an old one an error naming the file; nothing is re-recorded."""
from __future__ import annotations

import shutil

import yaml

from apiconform.paths import cassettes_dir

OLD = "test_auth__test_revoked_key_401.yaml"
UNDATED = "test_auth__test_missing_credentials_401[json].yaml"
CHECKS = ["-k", "revoked_key_401 or missing_credentials_401"]


def _cassettes(tmp_path):
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir("mite"), root / "mite")
    for name, change in ((OLD, lambda m: m.update(recorded_at="2020-01-01T00:00:00+00:00")),
                         (UNDATED, lambda m: m.pop("recorded_at"))):
        path = root / "mite" / name
        data = yaml.safe_load(path.read_text())
        change(data["metadata"])
        path.write_text(yaml.safe_dump(data))
    return root


def test_max_age_warns_and_replays(tmp_path, suite_run):
    root = _cassettes(tmp_path)
    before = {p.name: p.read_bytes() for p in (root / "mite").iterdir()}
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", f"--cassette-dir={root}",
                              "--max-age", "30", *CHECKS)
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert {r["verdict"] for r in records} == {"pass"} and len(records) == 3
    notes = {r["test"].split("::")[1]: r["cassette_age"] for r in records}
    assert "recorded 2020-01-01 from a sandbox target" in notes["test_revoked_key_401"]
    assert "unknown age" in notes["test_missing_credentials_401[json]"]
    assert notes["test_missing_credentials_401[xml]"] is None
    assert f"old cassette: {root / 'mite' / OLD}" in proc.stdout
    assert {p.name: p.read_bytes() for p in (root / "mite").iterdir()} == before  # never re-recorded


def test_strict_age_fails_the_old_cassette_as_an_error_naming_it(tmp_path, suite_run):
    root = _cassettes(tmp_path)
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", f"--cassette-dir={root}",
                              "--max-age", "30", "--strict-age", *CHECKS)
    assert proc.returncode == 1
    by_name = {r["test"].split("::")[1]: r for r in records}
    old = by_name["test_revoked_key_401"]
    assert old["verdict"] == "error" and OLD in old["message"] and "older than --max-age 30" in old["message"]
    assert by_name["test_missing_credentials_401[json]"]["verdict"] == "pass"  # unknown age still replays


def test_without_max_age_nothing_is_said(tmp_path, suite_run):
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", f"--cassette-dir={_cassettes(tmp_path)}",
                              *CHECKS)
    assert proc.returncode == 0 and not [r for r in records if r["cassette_age"]]


def test_strict_age_without_max_age_is_a_usage_error(tmp_path, suite_run):
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", "--strict-age")
    assert proc.returncode == 4 and "--strict-age needs --max-age DAYS" in proc.stderr and records == []
