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
