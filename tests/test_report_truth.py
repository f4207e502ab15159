"""Reports say what happened: the exchange that shows the violation, credentials as references, and the clause
that was broken, not every clause the failing check lists (issue 18, items 1 to 3)."""
from __future__ import annotations

import json
import signal
import subprocess
import sys
from typing import Any

from apiconform.contract.model import load_contract
from apiconform.paths import contract_path
from apiconform.report.files import UNREACHED, coverage_lines, write_reports
from apiconform.report.repro import curl


def test_a_walk_failure_shows_the_page_not_the_cleanup(tmp_path, suite_run, rate_scale):
    """The walk fails while its seeded members are still there; their cleanup runs as the check unwinds and
    must not become the evidence (a DELETE reproduces nothing and deletes a member of a real account)."""
    check = "suites/mitwirken/test_pagination.py::test_walk_after"
    proc, records = suite_run("mitwirken", tmp_path, "--sandbox-fault", "after-includes-cursor", "--rate-scale",
                              f"{rate_scale('mitwirken'):g}", checks=[check])
    [record] = records
    assert record["verdict"] == "fail" and record["violated"] == "mitwirken.page.walk", proc.stdout[-2000:]
    request = record["evidence"]["request"]
    assert request["method"] == "GET" and "/members" in request["url"], request
    page = (tmp_path / "report.html").read_text()
    assert "-X DELETE" not in page and "This request writes" not in page
    assert '"authorization: Bearer ${MITWIRKEN_API_KEY}"' in page.replace("&quot;", '"')


def test_a_scrubbed_bearer_header_is_a_variable_reference():
    """The recorder scrubs the whole Authorization value; the repro puts the contract's scheme and variable back."""
    evidence = {"request": {"method": "GET", "url": "https://replay.invalid/v2/projects",
                            "headers": {"authorization": "REDACTED", "x-access-token": "REDACTED"}}}
    command = curl(evidence, load_contract(contract_path("mstudio")), "cassettes")
    assert '-H "authorization: Bearer ${MSTUDIO_API_TOKEN}"' in command, command
    assert '-H "x-access-token: ${MSTUDIO_API_TOKEN}"' in command, command
    assert "REDACTED" not in command


def test_a_failing_check_fails_only_the_clause_it_violated(tmp_path):
    """The other clauses it lists count as held (the invariants its answers passed) or as not reached."""
    record = {"provider": "mite", "test": "suites/mite/test_conditional.py::test_if_none_match_304",
              "verdict": "fail", "violated": "mite.cond.304", "area": "conditional",
              "clauses": ["mite.cond.304", "mite.auth.header-key", "mite.format.json", "mite.status.200-read"],
              "observed": ["mite.auth.header-key", "mite.format.json"], "message": "[mite.cond.304] no 304"}
    doc = json.loads(write_reports([record], tmp_path, mode="live")["json"].read_text())
    table = doc["clauses"]["mite"]
    assert table["mite.cond.304"]["verdicts"] == {"fail": 1}
    assert table["mite.auth.header-key"]["verdicts"] == {"pass": 1}
    assert table["mite.format.json"]["verdicts"] == {"pass": 1}
    assert table["mite.status.200-read"]["verdicts"] == {UNREACHED: 1}
    assert f">{UNREACHED}</th>" in (tmp_path / "report.html").read_text()


def _run(*args: str, **kw: Any) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "apiconform.cli", "run", *args], stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True, **kw)


def test_an_interrupted_run_says_so_everywhere_and_exits_130(tmp_path):
    """Ctrl-C once a verdict exists: the reports are written, marked partial, and the exit status is not 2."""
    run = _run("--provider", "mitwirken", "-n", "0", "--report-dir", str(tmp_path))
    seen = ""
    while "." not in seen.rpartition("\n")[2] or not seen.strip():  # pytest -q: a dot per passed check
        char = run.stdout.read(1)
        assert char, run.stderr.read()[-2000:]
        seen += char
    run.send_signal(signal.SIGINT)
    out, err = run.communicate(timeout=120)
    assert run.returncode == 130, (seen + out)[-2000:] + err[-2000:]
    doc = json.loads((tmp_path / "results.json").read_text())
    assert doc["run"]["interrupted"] is True and doc["run"]["collected"] > len(doc["records"]) >= 1
    summary = (tmp_path / "summary.md").read_text()
    assert summary.startswith("# apiconform: ⚠️ interrupted:") and "INTERRUPTED: a partial run" in summary
    assert "INTERRUPTED: a partial run" in (tmp_path / "report.html").read_text()
    assert "INTERRUPTED: a partial run" in out


def test_a_run_that_ends_before_its_reports_leaves_no_older_ones(tmp_path):
    """pytest's usage error (a --check that is no node id) is exit 2, and no report of an earlier run remains."""
    for name in ("results.json", "summary.md", "report.html", "junit.xml"):
        (tmp_path / name).write_text("an earlier run's green report")
    (tmp_path / "leftovers.json").write_text("[]")  # what an earlier run could not delete stays listed
    run = _run("--check", "test_if_none_match_304", "-n", "0", "--report-dir", str(tmp_path))
    out, err = run.communicate(timeout=120)
    assert run.returncode == 2, out[-2000:] + err[-2000:]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["leftovers.json"]


def test_the_reports_say_what_was_covered(tmp_path):
    """Target, faults, writes, and why the checks that did not run were skipped, counted."""
    skip = "POST /customers.json: this check writes to a real account; run with --allow-writes to let it create"
    records = [{"provider": "mite", "test": f"suites/mite/t.py::t{i}", "verdict": "skip",
                "message": skip.replace("/customers.json", f"/p{i}.json")} for i in range(38)]
    records.append({"provider": "mite", "test": "suites/mite/t.py::ok", "verdict": "pass", "message": ""})
    run = {"target": "https://acme.mite.de", "faults": [], "deviations": None, "allow_writes": False,
           "interrupted": False, "collected": 39}
    paths = write_reports(records, tmp_path, mode="live", run=run)
    expected = ["Target: https://acme.mite.de; mode: live; faults: none; deviations: none; "
                "writes: not allowed (--allow-writes)",
                "38 checks did not run: this check writes to a real account; run with --allow-writes to let it create"]
    assert coverage_lines(records, "live", run) == expected
    summary = paths["markdown"].read_text()
    assert all(f"- {line}" in summary.replace("\\", "") for line in expected), summary
    assert summary.startswith("# apiconform: ✅")


def test_a_failure_is_a_short_block_in_the_terminal(tmp_path):
    """apiconform run: one block per violated clause (clause, expected, actual, repro, rerun), no traceback."""
    run = _run("--provider", "mite", "--fault", "etag-ignored", "-n", "0", "--report-dir", str(tmp_path))
    out, err = run.communicate(timeout=300)
    assert run.returncode == 1, out[-2000:] + err[-2000:]
    assert "FAIL mite.cond.304: suites/mite/test_conditional.py::test_if_none_match_304" in out
    assert "  expected: 304" in out and "  actual:   200" in out and 'x-miteapikey: ${MITE_API_KEY}"' in out
    assert "Traceback" not in out and "def not_modified" not in out and len(out.splitlines()) < 30, out


def test_pytest_shows_the_block_and_the_traceback_only_when_asked(tmp_path):
    check = [sys.executable, "-m", "pytest", "suites/mite/test_conditional.py::test_if_none_match_304", "-p",
             "no:xdist", "--sandbox-fault", "etag-ignored"]
    short = subprocess.run(check, capture_output=True, text=True, timeout=300)
    assert "FAIL mite.cond.304" in short.stdout and "def not_modified" not in short.stdout, short.stdout[-3000:]
    long = subprocess.run([*check, "--tb=long"], capture_output=True, text=True, timeout=300)
    assert "def not_modified" in long.stdout and "Api(mite @ sandbox" in long.stdout, long.stdout[-3000:]
    assert "Contract(" not in long.stdout  # the client's repr is one line, not its whole contract
