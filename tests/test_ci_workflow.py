"""The CI template and docs/ci.md's CI section say the same thing, and the commands work.

The workflow must parse, run on pull requests and on a schedule, append summary.md to the job summary,
show junit.xml through a JUnit action and upload reports/; the `apiconform` commands it runs must be
exactly those of docs/ci.md's plain-shell block, and that block is run here, as another CI would run it:
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
        summary = [s for s in job["steps"] if "GITHUB_STEP_SUMMARY" in s.get("run", "")]
        assert len(summary) == 1 and summary[0]["if"] == "always()", name
        uses = {s.get("uses", "").split("@")[0]: s for s in job["steps"] if s.get("uses")}
        junit = uses["mikepenz/action-junit-report"]
        assert junit["with"]["report_paths"] == "reports/junit.xml"
        # a fork's pull request has a read-only token: no check run there
        assert junit["if"].startswith("always() && ") and "head.repo.full_name == github.repository" in junit["if"]
        assert uses["actions/upload-artifact"]["with"]["path"] == "reports/"
        assert uses["actions/upload-artifact"]["if"] == "always()"


def test_the_summary_step_survives_a_run_that_wrote_no_report(tmp_path):
    """`if: always()` runs it after a run that stopped before writing: it must still succeed, and say so."""
    step = next(s for s in steps() if "GITHUB_STEP_SUMMARY" in s.get("run", ""))
    summary = tmp_path / "summary"
    proc = subprocess.run(step["run"], shell=True, cwd=tmp_path, capture_output=True, text=True,
                          env={**os.environ, "GITHUB_STEP_SUMMARY": str(summary)})
    assert proc.returncode == 0 and "wrote no summary.md" in summary.read_text()
    (tmp_path / "reports").mkdir()
    (tmp_path / "reports" / "summary.md").write_text("# apiconform: ok\n")
    summary.unlink()
    subprocess.run(step["run"], shell=True, cwd=tmp_path, check=True, env={**os.environ,
                   "GITHUB_STEP_SUMMARY": str(summary)})
    assert summary.read_text() == "# apiconform: ok\n"


def test_the_nightly_commands_allow_writes(readme):
    _, nightly_run, nightly_drift = readme("## Continuous integration")
    assert "--allow-writes" in nightly_run and "--allow-writes" in nightly_drift


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
