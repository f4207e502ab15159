"""The provider team's pre-release gate, end to end, with the commands of docs/ci.md's section.

The "new version" is the bundled mite sandbox started with two faults: ``create-no-location`` (a change
nobody announced) and ``etag-strong`` (a deviation the team knows and lists). The gate's run must fail on
the unannounced change's clause and turn the listed one into ``expected``; drift against the committed
cassettes (the last release) must name the removed header and the clause it broke, and exit 1.
docs/ci.md's placeholders are filled in: the staging URL and CA, the deviations file, the report folder,
and the last release's cassettes (here: the committed ones).
"""
from __future__ import annotations

import json
import os
import shlex
import subprocess
import sys

from apiconform.sandbox.runner import start_sandbox

CLI = [sys.executable, "-m", "apiconform.cli"]


def gate_commands(readme, url: str, ca: str, deviations: str, reports: str) -> list[list[str]]:
    """docs/ci.md's gate commands with its placeholders filled in."""
    fill = {"$STAGING_URL": url, "staging-ca.pem": ca, "deviations.toml": deviations, "reports": reports,
            "/tmp/last-release/cassettes/mite": "cassettes/mite"}
    commands = []
    for line in readme("## For provider teams: the pre-release gate"):
        words = [fill.get(w, w) for w in shlex.split(line.replace('"$STAGING_URL"', "$STAGING_URL"))]
        commands.append([*CLI, *words[1:], "-n", "2"])
    return commands


def test_prerelease_gate_reports_the_change_in_run_and_drift(tmp_path, readme):
    deviations = tmp_path / "deviations.toml"
    deviations.write_text('[[deviations]]\nclause = "mite.cond.etag"\nreason = "strong ETags until 2.1 (ticket 42)"\n')
    with start_sandbox("mite", ["create-no-location", "etag-strong"]) as staging:
        env = {**os.environ, **staging.env}
        url, ca = staging.env["MITE_BASE_URL"], staging.env["MITE_CA_BUNDLE"]
        run_cmd, drift_cmd = gate_commands(readme, url, ca, str(deviations), str(tmp_path / "reports"))
        assert run_cmd[3:5] == ["run", "--provider"] and drift_cmd[3:5] == ["drift", "--provider"]
        run = subprocess.run(run_cmd, capture_output=True, text=True, timeout=600, env=env)
        drift = subprocess.run(drift_cmd, capture_output=True, text=True, timeout=600, env=env)
    assert run.returncode == 1, run.stdout[-3000:]
    records = json.loads((tmp_path / "reports" / "results.json").read_text())["records"]
    failed = {r["violated"] for r in records if r["verdict"] == "fail"}
    assert failed == {"mite.verb.create-201"}, failed
    assert {r["violated"] for r in records if r["verdict"] == "expected"} == {"mite.cond.etag"}
    assert not [r for r in records if r["verdict"] == "error"]

    assert drift.returncode == 1, drift.stdout[-3000:] + drift.stderr[-3000:]
    report = json.loads((tmp_path / "reports" / "drift.json").read_text())
    breaking = [c for c in report["changes"] if c["severity"] == "breaking"]
    assert [(c["kind"], c["subject"]) for c in breaking] == [("header-removed", "location")], breaking
    assert breaking[0]["broke"] == ["mite.verb.create-201"]
    assert "mite.verb.create-201" in breaking[0]["clauses"]
    assert "header-removed location: no longer sent" in drift.stdout
    # The gate's report.html now holds both: the run's grouped failure and the drift section.
    html = (tmp_path / "reports" / "report.html").read_text()
    assert 'id="drift-mite"' in html and "mite.verb.create-201" in html
    assert "$MITE_API_KEY" in html or "${MITE_API_KEY}" in html
    assert staging.env["MITE_API_KEY"] not in html
