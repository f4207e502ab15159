"""``apiconform run --rerun-failed RESULTS``: only what failed or errored last time, and a clear refusal
when the file is missing or not a results.json."""
from __future__ import annotations

import json
import subprocess
import sys

CLI = [sys.executable, "-m", "apiconform.cli"]
FAILED = "suites/mite/test_auth.py::test_revoked_key_401"


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300)


def _results(path, *records):
    path.write_text(json.dumps({"records": [{"provider": "mite", "test": t, "verdict": v} for t, v in records]}))
    return path


def test_reruns_only_what_failed_or_errored(tmp_path):
    last = _results(tmp_path / "last.json", (FAILED, "fail"), ("suites/mite/test_auth.py::test_plain_http_refused",
                                                                  "pass"),
                    ("suites/mite/test_status.py::test_unknown_id_404[customers]", "error"),
                    ("deviations.toml", "fail"))  # a stale deviation names no check
    proc = cli("run", "--rerun-failed", str(last), "--mode", "replay", "-n", "0", "--report-dir", str(tmp_path / "r"))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    records = {r["test"]: r for r in json.loads((tmp_path / "r" / "results.json").read_text())["records"]}
    rerun = [FAILED, "suites/mite/test_status.py::test_unknown_id_404[customers]"]
    assert all(records[t]["verdict"] == "pass" and records[t]["mode"] == "replay" for t in rerun)  # updated
    # ... and the records it did not rerun are kept as they were
    assert records["suites/mite/test_auth.py::test_plain_http_refused"] == {
        "provider": "mite", "test": "suites/mite/test_auth.py::test_plain_http_refused", "verdict": "pass"}
    assert records["deviations.toml"]["verdict"] == "fail" and len(records) == 4
    assert "2 rerun record(s) updated, the other 2 kept" in proc.stdout


def test_a_rerun_in_place_updates_the_report_it_read(tmp_path):
    last = _results(tmp_path / "results.json", (FAILED, "fail"),
                    ("suites/mite/test_auth.py::test_plain_http_refused", "pass"))
    proc = cli("run", "--rerun-failed", str(last), "--mode", "replay", "-n", "0", "--report-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    records = json.loads(last.read_text())["records"]
    assert sorted((r["test"], r["verdict"]) for r in records) == sorted([
        (FAILED, "pass"), ("suites/mite/test_auth.py::test_plain_http_refused", "pass")])


def test_nothing_to_rerun(tmp_path):
    proc = cli("run", "--rerun-failed", str(_results(tmp_path / "last.json", (FAILED, "pass"))))
    assert proc.returncode == 0 and "nothing to rerun" in proc.stdout


def test_missing_or_corrupt_results_are_refused(tmp_path):
    missing = cli("run", "--rerun-failed", str(tmp_path / "nope.json"))
    assert missing.returncode == 2 and "nope.json: no such file" in missing.stderr
    (tmp_path / "bad.json").write_text("{not json")
    corrupt = cli("run", "--rerun-failed", str(tmp_path / "bad.json"))
    assert corrupt.returncode == 2 and "not a readable results.json" in corrupt.stderr
    (tmp_path / "other.json").write_text("[1, 2]")
    other = cli("run", "--rerun-failed", str(tmp_path / "other.json"))
    assert other.returncode == 2 and "not a results.json" in other.stderr
