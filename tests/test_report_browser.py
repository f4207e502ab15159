"""report.html in a real headless browser: it renders offline, shows the matrix and the evidence,
and a hostile response body in the evidence stays text (nothing in it runs)."""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from apiconform.report.files import write_reports

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")
# .ci/run sets this once it has Chromium: there a browser that is missing or cannot start is a
# failure, not a skip, so the check cannot vanish from CI unnoticed.
REQUIRED = os.environ.get("APICONFORM_REQUIRE_BROWSER") == "1"
HOSTILE = "<script>document.title='pwned'</script><img src=x onerror=\"document.title='pwned'\">"


def _unavailable(why: str) -> None:
    if REQUIRED:
        pytest.fail(f"APICONFORM_REQUIRE_BROWSER=1 but {why}")
    pytest.skip(why)


def test_report_renders_in_headless_chromium(tmp_path):
    if CHROMIUM is None:
        _unavailable("no Chromium on this machine (.ci/run installs Debian's chromium)")
    records = [
        {"provider": "mite", "test": "suites/mite/test_auth.py::test_ok", "name": "test_ok", "area": "auth",
         "clauses": ["mite.auth.basic"], "verdict": "pass", "violated": None, "message": "", "evidence": None},
        {"provider": "mite", "test": "suites/mite/test_status.py::test_bad", "name": "test_bad", "area": "status",
         "clauses": ["mite.status.404-unknown"], "verdict": "fail", "violated": "mite.status.404-unknown",
         "message": "[mite.status.404-unknown] expected 404, got 400",
         "evidence": {"request": {"method": "GET", "url": "https://replay.invalid/customers/1.json",
                                  "headers": {"x-miteapikey": "REDACTED"}, "body": ""},
                      "response": {"status": 400, "headers": {"content-type": "application/json"},
                                   "body": HOSTILE},
                      "expected": 404, "actual": 400}},
    ]
    paths = write_reports(records, tmp_path, mode="live")
    html = paths["html"]
    proc = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--dump-dom", html.as_uri()],
        capture_output=True, text=True, timeout=60)
    dom = proc.stdout
    if proc.returncode != 0 and not dom.strip():  # the machine cannot run a browser at all
        _unavailable(f"chromium did not start: {proc.stderr.strip()[-300:]}")
    assert "<table" in dom and "matrix" in dom, proc.stderr[-2000:]
    assert "mite.status.404-unknown" in dom and "replay.invalid/customers/1.json" in dom
    assert "pwned" not in dom.split("<body", 1)[0]  # the title was not rewritten by the evidence
    assert "&lt;script&gt;" in dom  # the hostile body is shown as text


SCREENSHOT = Path(__file__).resolve().parents[1] / "docs" / "report.png"


def _chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage",
         "--disable-background-networking", "--disable-component-update", "--disable-sync", "--no-first-run",
         "--hide-scrollbars", f"--user-data-dir={tmp_path / 'profile'}", *args],
        capture_output=True, text=True, timeout=120)


def test_report_of_a_real_faulty_run_with_drift_screenshot(tmp_path):
    """A real run against a sandbox whose header key never authenticates (one broken clause, many failing
    checks) plus drift, opened in Chromium: one group per clause, the drift section, and a screenshot
    (``APICONFORM_UPDATE_SCREENSHOT=1`` copies it to docs/report.png, which the README shows)."""
    if CHROMIUM is None:
        _unavailable("no Chromium on this machine (.ci/run installs Debian's chromium)")
    reports = tmp_path / "reports"
    cli = [sys.executable, "-m", "apiconform.cli"]
    run = subprocess.run([*cli, "run", "--provider", "mite", "--fault", "header-key-ignored", "-n", "2",
                          "--report-dir", str(reports)], capture_output=True, text=True, timeout=600)
    assert run.returncode == 1, run.stdout[-2000:]
    drift = subprocess.run([*cli, "drift", "--provider", "mite", "--fault", "header-key-ignored", "-n", "2",
                            "--report-dir", str(reports)], capture_output=True, text=True, timeout=600)
    assert drift.returncode == 1, drift.stdout[-2000:] + drift.stderr[-2000:]
    records = json.loads((reports / "results.json").read_text())["records"]
    failing = [r for r in records if r["verdict"] == "fail"]
    clauses = {r["violated"] for r in failing}
    assert "mite.auth.header-key" in clauses and len(failing) > 20  # a cascade from one broken clause
    page = (reports / "report.html").as_uri()
    dom = _chromium(tmp_path, "--dump-dom", page)
    if dom.returncode != 0 and not dom.stdout.strip():
        _unavailable(f"chromium did not start: {dom.stderr.strip()[-300:]}")
    header_key = [r for r in failing if r["violated"] == "mite.auth.header-key"]
    assert f"mite.auth.header-key</code> · {len(header_key)} checks" in dom.stdout
    assert dom.stdout.count('<div class="problem') == len(clauses)
    assert 'id="drift-mite"' in dom.stdout and 'id="areas"' in dom.stdout
    assert "${MITE_API_KEY}" in dom.stdout and "--check" in dom.stdout
    shot = tmp_path / "report.png"
    _chromium(tmp_path, f"--screenshot={shot}", "--window-size=1280,2400", page)
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and shot.stat().st_size > 20_000
    if os.environ.get("APICONFORM_UPDATE_SCREENSHOT") == "1":
        shutil.copyfile(shot, SCREENSHOT)
