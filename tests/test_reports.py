"""The four reports written from a handful of fake records."""
from __future__ import annotations

import json
import xml.etree.ElementTree as ET

import pytest

from apiconform.report.files import render_summary_line, write_reports

EVIL = "<script>alert('x')</script>"


def _rec(test: str, verdict: str, **kw):
    base = {"provider": "mite", "test": f"suites/mite/test_auth.py::{test}", "name": test,
            "clauses": ["mite.auth.basic"], "area": "auth", "verdict": verdict, "violated": None,
            "provenance": None, "message": "", "evidence": None, "target": "sandbox",
            "mode": "replay", "duration": 0.12}
    base.update(kw)
    return base


@pytest.fixture
def records():
    return [
        _rec("test_ok", "pass"),
        _rec("test_bad", "fail", violated="mite.auth.basic", provenance="documented",
             clauses=["mite.auth.basic", "mite.status.allowed"],
             message="expected 200, got 500\nmore detail",
             evidence={"request": {"method": "GET", "url": "https://acme.mite.de/myself.json",
                                   "headers": {"X-MiteApiKey": "[scrubbed]"}, "body": ""},
                       "response": {"status": 500, "headers": {"Content-Type": "text/html"},
                                    "body": f"<html>{EVIL}</html>"},
                       "expected": 200, "actual": 500}),
        _rec("test_broken", "error", message="connection reset", area="errors", clauses=[]),
        _rec("test_later", "skip", message="no time tracker key"),
        _rec("test_other", "differs", provider="hive", area="listing", clauses=["hive.x"],
             violated="hive.x", provenance="assumed", message=f"sandbox said 1 {EVIL}",
             evidence={"expected": EVIL, "actual": None}),
    ]


@pytest.fixture
def out(tmp_path, records):
    paths = write_reports(list(reversed(records)), tmp_path / "reports", mode="replay")
    return tmp_path / "reports", paths


def test_all_four_files_written_and_no_temporaries(out):
    out_dir, paths = out
    names = {"results.json", "junit.xml", "summary.md", "report.html"}
    assert {p.name for p in paths.values()} == names
    assert {p.name for p in out_dir.iterdir()} == names
    assert all(p.is_file() and p.stat().st_size > 0 for p in paths.values())


def test_results_json(out, records):
    doc = json.loads((out[0] / "results.json").read_text())
    assert doc["mode"] == "replay"
    assert doc["tool"].startswith("apiconform ")
    assert doc["totals"] == {"pass": 1, "fail": 1, "error": 1, "skip": 1, "differs": 1}
    assert len(doc["records"]) == len(records)
    keys = [(r["provider"], r["test"]) for r in doc["records"]]
    assert keys == sorted(keys)
    basic = doc["clauses"]["mite"]["mite.auth.basic"]
    assert basic["verdicts"] == {"pass": 1, "fail": 1, "skip": 1}
    # metadata from suites/mite/contract.toml; unknown providers fall back to ids only
    assert basic["area"] == "auth" and basic["provenance"] in ("documented", "observed", "assumed")
    assert doc["clauses"]["hive"]["hive.x"]["area"] is None
    # a contract clause that no record verified still has its row, with no verdicts
    assert doc["clauses"]["mite"]["mite.tracker.start-stop"]["verdicts"] == {}


def test_junit_xml(out):
    root = ET.parse(out[0] / "junit.xml").getroot()
    assert root.tag == "testsuites"
    suites = {s.get("name"): s for s in root.iter("testsuite")}
    assert set(suites) == {"apiconform.mite", "apiconform.hive"}
    mite = suites["apiconform.mite"]
    assert (mite.get("tests"), mite.get("failures"), mite.get("errors"), mite.get("skipped")) == ("4", "1", "1", "1")
    assert len(root.findall(".//failure")) == 1 and len(root.findall(".//error")) == 1
    failure = root.find(".//failure")
    assert failure.get("message").startswith("expected 200, got 500")
    assert EVIL in failure.text  # ElementTree escaped it on write and unescaped on parse
    case = next(c for c in root.iter("testcase") if c.find("failure") is not None)
    assert case.get("classname") == "mite.auth"
    assert case.get("name") == "suites/mite/test_auth.py::test_bad"
    clauses = [p.get("value") for p in case.iter("property") if p.get("name") == "clause"]
    assert clauses == ["mite.auth.basic", "mite.status.allowed"]
    hive_case = suites["apiconform.hive"].find("testcase")
    assert hive_case.find("system-out") is not None and hive_case.find("failure") is None


def test_junit_survives_control_characters(tmp_path):
    rec = _rec("test_nul", "fail", message="bad\x00byte", evidence={"response": {"body": "a\x01b"}})
    write_reports([rec], tmp_path, mode="live")
    failure = ET.parse(tmp_path / "junit.xml").find(".//failure")  # parsing raises if the XML is broken
    assert failure is not None and "bad" in failure.get("message", "") and "\x00" not in failure.get("message", "")


def test_summary_md(out):
    md = (out[0] / "summary.md").read_text()
    assert md.startswith("# ")
    assert "| provider |" in md and "| provider | area |" in md
    assert "## Failures" in md
    assert "`mite.auth.basic`" in md
    assert "expected 200, got 500" in md and "more detail" not in md
    assert "GET https://acme.mite.de/myself.json" in md and "500" in md
    assert "connection reset" in md


def test_report_html_escapes_evidence_and_has_matrix(out):
    page = (out[0] / "report.html").read_text()
    assert "&lt;script&gt;" in page
    assert "<script" not in page.lower()
    assert 'class="matrix"' in page
    for verdict in ("pass", "fail", "error", "differs", "unsupported", "skip", "expected"):
        assert f">{verdict}</th>" in page
    assert "mite.auth.basic" in page and "Clause coverage" in page
    assert "https://acme.mite.de/myself.json" in page and "HTTP 500" in page
    assert "http://" not in page and "https://" not in page.replace("https://acme.mite.de", "")  # no assets


def test_summary_line(records):
    line = render_summary_line(records)
    assert line == "hive: 0 pass, 0 fail, 0 error, 0 skip, 1 differs | mite: 1 pass, 1 fail, 1 error, 1 skip"
    assert render_summary_line([]) == "no checks ran"


def test_defensive_about_missing_keys(tmp_path):
    paths = write_reports([{}, {"provider": "mite", "verdict": "pass"}, {"evidence": "just text"}],
                          tmp_path / "new" / "dir", mode="live")
    assert all(p.exists() for p in paths.values())
    assert json.loads(paths["json"].read_text())["totals"] == {"error": 2, "pass": 1}


def _auth_failure(i: int, key_header: str = "REDACTED") -> dict:
    return _rec(f"test_many[{i}]", "fail", violated="mite.auth.header-key", provenance="documented",
                clauses=["mite.auth.header-key"], area="auth", target="sandbox", mode="live",
                message=f"[mite.auth.header-key] genuine key refused ({i})",
                evidence={"request": {"method": "POST", "url": f"https://127.0.0.1:4443/customers.json?api_key={key_header}",
                                      "headers": {"X-MiteApiKey": key_header, "content-type": "application/json",
                                                  "host": "127.0.0.1"},
                                      "body": '{"customer": {"name": "it\'s"}}'},
                          "response": {"status": 401, "headers": {}, "body": '{"error": "no"}'},
                          "expected": 200, "actual": 401})


def test_failures_are_grouped_by_clause_root_cause_first(tmp_path):
    records = [_auth_failure(i) for i in range(63)]
    records.append(_rec("test_other", "fail", violated="mite.auth.basic", message="basic refused"))
    run = {"target": "https://user:pw@127.0.0.1:4443", "faults": ["header-key-ignored"], "deviations": None}
    paths = write_reports(records, tmp_path, mode="live", run=run)
    page = paths["html"].read_text()
    groups = page.split('<div class="problem')[1:]
    assert len(groups) == 2  # one group per violated clause, not 64 cards
    assert "mite.auth.header-key</code> · 63 checks" in groups[0] and "the other 62 checks" in groups[0]
    assert "mite.auth.basic</code> · 1 check</h3>" in groups[1]
    md = paths["markdown"].read_text()
    assert "`mite.auth.header-key` (63 checks; first shown)" in md and md.index("header-key") < md.index("auth.basic")
    # the reproduction: credentials as env references, the rerun command of exactly that check
    assert ("curl -sS -i --cacert &quot;${MITE_CA_BUNDLE}&quot; -X POST -H &quot;X-MiteApiKey: ${MITE_API_KEY}&quot; "
            "-H &#x27;content-type: application/json&#x27;") in page
    assert "&quot;${MITE_BASE_URL}/customers.json?api_key=${MITE_API_KEY}&quot;" in page
    assert ("apiconform run --provider mite --target https://127.0.0.1:4443 --fault header-key-ignored "
            "--check &#x27;suites/mite/test_auth.py::test_many[0]&#x27;") in page
    assert "pw@" not in page


def test_curl_keeps_what_is_no_stand_in_and_never_a_value():
    from apiconform.contract.model import load_contract
    from apiconform.paths import contract_path
    from apiconform.report.repro import curl

    mite = load_contract(contract_path("mite"))
    wrong = _auth_failure(0, key_header="0123456789abcdef")["evidence"]
    command = curl(wrong, mite, "url")
    assert "-H 'X-MiteApiKey: 0123456789abcdef'" in command  # the check's deliberately wrong key, as sent
    assert command.endswith('"https://127.0.0.1:4443/customers.json?api_key=0123456789abcdef"')
    basic = {"request": {"method": "GET", "url": "https://replay.invalid/myself.json",
                         "headers": {"authorization": "Basic REDACTED"}}}
    assert curl(basic, mite, "url") == 'curl -sS -i -u "${MITE_EMAIL}:${MITE_PASSWORD}" ' \
        '"${MITE_BASE_URL}/myself.json"'  # replayed from a cassette recorded from a URL: no stand-in host
    mitwirken = load_contract(contract_path("mitwirken"))
    revoked = {"request": {"method": "DELETE", "url": "https://replay.invalid/members/1",
                           "headers": {"Authorization": "Bearer REDACTED-revoked_api_key"}}}
    assert curl(revoked, mitwirken, "cassettes") == ('curl -sS -i -X DELETE -H "Authorization: Bearer '
                                                     '${MITWIRKEN_REVOKED_API_KEY}" "${MITWIRKEN_BASE_URL}/members/1"')


def test_report_html_has_the_areas_matrix_and_the_drift_section(tmp_path, records):
    drift = {"provider": "mite", "paired": 3, "exit_status": 1, "notes": [], "counts": {"breaking": 1},
             "old": {"folder": "cassettes/mite", "cassettes": 1, "targets": {"sandbox": 1},
                     "recorded": ["2026-11-01T00:00:00+00:00", "2026-11-01T00:00:00+00:00"]},
             "new": {"folder": "new", "cassettes": 1, "targets": {"url": 1}, "recorded": None},
             "changes": [{"kind": "header-removed", "severity": "breaking", "subject": "etag", "detail": EVIL,
                          "category": "caching", "operations": ["GET /myself.json"], "tests": ["x.yaml"],
                          "count": 2, "clauses": ["mite.cond.304"], "check_clauses": [], "broke": []}]}
    (tmp_path / "drift.json").write_text(json.dumps(drift))
    page = write_reports(records, tmp_path, mode="live")["html"].read_text()
    assert 'id="areas"' in page and "<th>listing</th>" in page and 'href="#hive"' in page
    assert 'id="drift-mite"' in page and "header-removed [caching] etag" in page and EVIL not in page
    assert "## Drift: mite" in (tmp_path / "summary.md").read_text()
