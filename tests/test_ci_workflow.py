"""The CI template and the README's CI section say the same thing, and the commands work.

The workflow must parse, run on pull requests and on a schedule, append summary.md to the job summary,
show junit.xml through a JUnit action and upload reports/; the `apiconform` commands it runs must be
exactly those of the README's plain-shell block, and that block is run here, as another CI would run it:
replay, then the nightly live run and drift against a bundled sandbox as the target.
"""
from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml

from apiconform.sandbox.runner import start_sandbox

ROOT = Path(__file__).resolve().parents[1]
WORKFLOW = ROOT / "docs" / "ci" / "github-actions.yml"


def workflow() -> dict:
    return yaml.safe_load(WORKFLOW.read_text())


def steps() -> list[dict]:
    return [step for job in workflow()["jobs"].values() for step in job["steps"]]


def test_workflow_parses_and_has_the_documented_shape():
    doc = workflow()
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` as true
    assert {"pull_request", "schedule"} <= set(triggers)
    assert set(doc["jobs"]) == {"replay", "nightly"}
    assert doc["permissions"]["checks"] == "write"  # the JUnit action's check run
    for name, job in doc["jobs"].items():
        runs = [s.get("run", "") for s in job["steps"]]
        assert 'cat reports/summary.md >> "$GITHUB_STEP_SUMMARY"' in runs, name
        uses = {s.get("uses", "").split("@")[0]: s for s in job["steps"] if s.get("uses")}
        assert uses["mikepenz/action-junit-report"]["with"]["report_paths"] == "reports/junit.xml"
        assert uses["actions/upload-artifact"]["with"]["path"] == "reports/"
        assert all(s.get("if") == "always()" for s in job["steps"] if "summary" in s.get("run", "")
                   or s.get("uses", "").startswith(("mikepenz", "actions/upload")))


def test_workflow_commands_are_the_readme_commands(readme):
    ran = [s["run"] for s in steps() if s.get("run", "").startswith("apiconform ")]
    assert ran == readme("## Continuous integration")


def test_the_readme_ci_commands_run(tmp_path, readme):
    pull_request, nightly_run, nightly_drift = readme("## Continuous integration")
    env = {**os.environ, "PROVIDER": "mite"}
    replay = subprocess.run(pull_request, shell=True, cwd=tmp_path, env={**env, "APICONFORM_ROOT": str(ROOT)},
                            capture_output=True, text=True, timeout=600)
    assert replay.returncode == 0, replay.stdout[-2000:] + replay.stderr[-2000:]
    assert json.loads((tmp_path / "reports" / "results.json").read_text())["totals"].keys() == {"pass"}
    with start_sandbox("mite") as sandbox:  # the nightly target: a URL with its credentials in the env
        env = {**env, **sandbox.env, "TARGET": sandbox.env["MITE_BASE_URL"], "APICONFORM_ROOT": str(ROOT)}
        night = tmp_path / "night"
        night.mkdir()
        for command in (nightly_run, nightly_drift):
            proc = subprocess.run(command, shell=True, cwd=night, env=env, capture_output=True, text=True,
                                  timeout=600)
            assert proc.returncode == 0, command + proc.stdout[-2000:] + proc.stderr[-2000:]
    summary = (night / "reports" / "summary.md").read_text()
    assert "## Drift: mite" in summary and "exit 0 (no drift)" in summary


def test_the_replay_job_keeps_the_parse_cache(monkeypatch):
    """The folder the template caches is the one apiconform reads parsed cassettes from (parsecache.py)."""
    from apiconform import parsecache

    monkeypatch.delenv("XDG_CACHE_HOME", raising=False)
    monkeypatch.delenv("APICONFORM_PARSE_CACHE", raising=False)
    job = workflow()["jobs"]["replay"]["steps"]
    cache = next(s for s in job if s.get("uses", "").startswith("actions/cache@"))
    assert Path(os.path.expanduser(cache["with"]["path"])) == parsecache._folder()
    replay = next(i for i, s in enumerate(job) if "--mode replay" in s.get("run", ""))
    assert job.index(cache) < replay
