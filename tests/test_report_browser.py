"""report.html in a real headless browser: it renders offline, shows the matrix and the evidence,
and a hostile response body in the evidence stays text (nothing in it runs)."""
from __future__ import annotations

import os
import shutil
import subprocess

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
