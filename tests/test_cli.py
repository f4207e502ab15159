"""The command line as a user meets it: run, serve, faults."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys

import pytest

from apiconform.sandbox import fault_catalogue

CLI = [sys.executable, "-m", "apiconform.cli"]


def cli(*args: str, **kw) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*CLI, *args], capture_output=True, text=True, timeout=300, **kw)


def test_faults_lists_every_fault_with_its_clause():
    out = cli("faults", "mite").stdout.splitlines()
    assert len(out) == len(fault_catalogue("mite"))
    assert any(line.split()[:2] == ["etag-ignored", "mite.cond.304"] for line in out)


def test_run_refuses_unknown_provider_and_fault():
    assert cli("run", "--provider", "nope").returncode == 2
    bad = cli("run", "--fault", "nope")
    assert bad.returncode == 2 and "nope" in bad.stderr


def test_run_replay_writes_reports_and_prints_a_summary(tmp_path):
    proc = cli("run", "--mode", "replay", "-n", "0", "--report-dir", str(tmp_path))
    assert proc.returncode == 0, proc.stdout[-2000:]
    assert "apiconform replay: " in proc.stdout and "mite: " in proc.stdout and " 0 fail, 0 error" in proc.stdout
    assert {p.name for p in tmp_path.iterdir()} == {"results.json", "junit.xml", "summary.md", "report.html"}
    assert json.loads((tmp_path / "results.json").read_text())["totals"].keys() == {"pass"}


def test_serve_prints_exports_and_stops_on_sigterm():
    proc = subprocess.Popen([*CLI, "serve", "mite"], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        exports = {}
        while len(exports) < 10:
            line = proc.stdout.readline()
            assert line.startswith("export "), line
            name, _, value = line[len("export "):].strip().partition("=")
            exports[name] = value
        assert exports["MITE_BASE_URL"].startswith("https://127.0.0.1:")
        assert os.path.isfile(exports["MITE_CA_BUNDLE"])
        assert len(exports["MITE_API_KEY"]) == 16
    finally:
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=20) == 0


def test_pytest_rerun_habits_work_on_the_suites(tmp_path):
    """--lf reruns only what failed last time (pytest's cache is not switched off)."""
    base = [sys.executable, "-m", "pytest", "suites/mite", "-p", "no:xdist", "-q", "-o", f"cache_dir={tmp_path}"]
    first = subprocess.run([*base, "--sandbox-fault", "etag-ignored"], capture_output=True, text=True, timeout=300)
    assert first.returncode == 1 and "1 failed" in first.stdout, first.stdout[-2000:]
    again = subprocess.run([*base, "--lf"], capture_output=True, text=True, timeout=300)
    assert again.returncode == 0 and "1 passed" in again.stdout, again.stdout[-2000:]


def test_a_fault_runs_the_provider_it_names(tmp_path):
    proc = cli("run", "--fault", "etag-ignored", "-n", "0", "--report-dir", str(tmp_path))
    assert proc.returncode == 1, proc.stdout[-2000:] + proc.stderr[-2000:]
    records = json.loads((tmp_path / "results.json").read_text())["records"]
    assert {r["provider"] for r in records} == {"mite"}
    assert [r["violated"] for r in records if r["verdict"] == "fail"] == ["mite.cond.304"]
    mixed = cli("run", "--fault", "etag-ignored", "--fault", "bearer-refused")
    assert mixed.returncode == 2 and mixed.stderr.count("\n") == 1 and "one --provider at a time" in mixed.stderr


@pytest.mark.parametrize("args,says", [
    (["serve", "mitte"], "no sandbox for mitte"),
    (["serve", "mite", "--fault", "nope"], "unknown fault(s) nope for mite"),
    (["run", "--provider", "mite", "--mode", "replay", "-n", "0", "--", "-k", "no_check_is_called_this"],
     "no check matched"),
])  # what `run` refuses before pytest starts is docs/bad-input.md's table (tests/test_bad_input.py)
def test_bad_input_is_one_line_and_exit_2(args, says, tmp_path):
    proc = cli(*args, "--report-dir", str(tmp_path)) if args[0] == "run" else cli(*args)
    assert proc.returncode == 2, proc.stdout[-2000:] + proc.stderr[-2000:]
    assert proc.stderr.count("\n") == 1 and says in proc.stderr, proc.stderr


def test_a_url_target_needs_no_account_and_nothing_to_clean_is_fine(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("MITE_")}
    env.update(MITE_API_KEY="k", MITE_EMAIL="e@example.org", MITE_PASSWORD="p")  # no MITE_ACCOUNT
    proc = cli("run", "--provider", "mite", "--target", "https://127.0.0.1:1", env=env)
    assert proc.returncode == 2 and "MITE_ACCOUNT" not in proc.stderr and "unreachable" in proc.stderr, proc.stderr
    clean = cli("cleanup", "--leftovers", str(tmp_path / "leftovers.json"))
    assert clean.returncode == 0 and "nothing to clean" in clean.stdout, clean.stderr


def test_every_command_can_be_piped_into_a_reader_that_stops_early():
    for _ in range(5):
        proc = subprocess.run(f"{sys.executable} -m apiconform.cli faults mite | head -1", shell=True,
                              capture_output=True, text=True, timeout=60)
        assert proc.stdout.startswith("header-key-ignored") and proc.stderr == "", proc.stderr


def test_checks_are_chosen_by_clause_area_or_provenance(tmp_path):
    """--clause/--area/--provenance pick the checks whose cassettes say they verify such a clause."""
    cassettes, some = tmp_path / "cassettes", ["--", "-k", "test_conditional or test_reads or test_auth"]
    record = cli("run", "--provider", "mite", "--mode", "record", "-n", "0", "--cassette-dir", str(cassettes),
                 "--report-dir", str(tmp_path / "rec"), *some)
    assert record.returncode == 0, record.stdout[-2000:] + record.stderr[-2000:]

    def chosen(*args: str) -> set[str]:
        proc = cli("run", "--provider", "mite", "--mode", "replay", "-n", "0", "--cassette-dir", str(cassettes),
                   "--report-dir", str(tmp_path / "r"), *args, *some)
        assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
        records = json.loads((tmp_path / "r" / "results.json").read_text())["records"]
        return {r["test"].split("::")[1] for r in records if r["verdict"] == "pass"}

    conditional = chosen("--clause", "mite.cond.*")
    assert conditional == {"test_etags_weak", "test_if_none_match_304", "test_etag_changes_after_update"}
    assert chosen("--area", "conditional") == conditional
    auth = chosen("--area", "auth", "--provenance", "assumed")
    assert auth and all(name.startswith("test_") for name in auth) and not auth & conditional


def test_version_help_and_json_catalogue():
    version = cli("--version")
    assert version.returncode == 0 and version.stdout.startswith("apiconform ")
    serve = cli("serve", "--help").stdout
    assert "whose sandbox: hive, mite, mitwirken, mstudio" in " ".join(serve.split())
    run_help = cli("run", "--help").stdout
    assert "exit status:" in run_help and "130  interrupted" in run_help
    faults = json.loads(cli("faults", "mite", "--json").stdout)
    assert {"name": "etag-ignored", "clause": "mite.cond.304",
            "description": "If-None-Match is ignored: never a 304."} in faults
    assert len(faults) == len(fault_catalogue("mite"))


def test_reports_are_readable_by_the_group(tmp_path):
    from apiconform.report.files import write_reports

    saved = os.umask(0o022)
    try:
        paths = write_reports([{"provider": "mite", "test": "t", "verdict": "pass"}], tmp_path, mode="live")
    finally:
        os.umask(saved)
    assert {oct(p.stat().st_mode & 0o777) for p in paths.values()} == {"0o644"}
