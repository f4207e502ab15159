"""Fixtures for the engine's own tests."""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
import yaml
from filelock import FileLock

from apiconform.contract.model import load_contract
from apiconform.paths import cassettes_dir, contract_path
from apiconform.record.cassettes import cassette_name
from apiconform.sandbox.reach import read_reach

ROOT = Path(__file__).resolve().parents[1]


@pytest.hookimpl(optionalhook=True)  # an xdist hook: `-p no:xdist` runs must still load this conftest
def pytest_xdist_auto_num_workers(config: pytest.Config) -> int:
    """``-n auto`` starts two workers per core for this test tree.

    Most engine tests spend their time waiting, not computing: on a sandbox's rate window, on a subprocess
    suite run, on the consistency lag. Measured with ``-n 2`` on 2 cores, a run used about a third of the
    CPU time it took in wall time, so one worker per core leaves the machine mostly idle. An explicit
    ``-n N`` or ``PYTEST_XDIST_AUTO_NUM_WORKERS`` still wins.
    """
    return int(os.environ.get("PYTEST_XDIST_AUTO_NUM_WORKERS") or 2 * (os.cpu_count() or 1))


# Rate-limited sandboxes and their budget run on a faster clock in live suite runs, so a run takes seconds, not
# minutes; providers without [rate_limit] ignore it. The window must stay long enough for a planned burst of
# limit + 1 requests on a loaded 2-core machine (about 40 ms a request there, measured with four workers), or
# the burst check ends in an honest `error` ("took longer than one rate window") instead of its verdict; a
# live burst a little slower than its window gets three tries (checks/ratelimit.py), so one slow moment of a loaded
# machine is not enough.
MIN_WINDOW_S = 0.25
PER_REQUEST_S = 0.04


def burst_safe_scale(provider: str) -> float:
    """The fastest ``--rate-scale`` at which ``provider``'s burst of limit + 1 still fits in one window."""
    limit = load_contract(contract_path(provider)).rate_limit
    if limit is None:
        return 10.0
    return max(1.0, limit.window / max(MIN_WINDOW_S, (limit.limit + 1) * PER_REQUEST_S))


@pytest.fixture(scope="session")
def rate_scale() -> Callable[[str], float]:
    """:func:`burst_safe_scale`, for tests that run a suite live against a sandbox."""
    return burst_safe_scale


def run_suite(provider: str, report_dir: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300, allow_writes: bool = True, checks: Sequence[str] = ()
              ) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run ``suites/<provider>`` (or only ``checks``, node ids) with ``args``; return the process and its
    results.json records.

    A ``--target`` here is always a sandbox (or a proxy to one) the test owns, so writes are allowed
    unless ``allow_writes=False``.
    """
    allow = ["--allow-writes"] if "--target" in args and allow_writes else []
    # No pytest cache: a fault run fails on purpose, and must not become the user's --lf selection.
    cmd = [sys.executable, "-m", "pytest", *(checks or [f"suites/{provider}"]), "-q", "-p", "no:xdist",
           "-p", "no:cacheprovider", "--report-dir", str(report_dir), *args, *allow]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    results = report_dir / "results.json"
    records = json.loads(results.read_text())["records"] if results.exists() else []
    return proc, records


@pytest.fixture(scope="session")
def suite_run():
    """Run a provider suite in a child pytest, as a user would; see :func:`run_suite`."""
    return run_suite


class CassetteCopy:
    """A provider's committed cassettes copied under a test's tmp_path, to damage and replay in a child run.

    The replay tests of every provider prove the same thing (a damaged cassette is an `error` naming it, the
    undamaged copy passes); only their damages differ.
    """

    def __init__(self, provider: str, tmp_path: Path) -> None:
        self.provider, self.tmp_path = provider, tmp_path
        self.root = tmp_path / "cassettes"
        shutil.copytree(cassettes_dir(provider), self.root / provider)

    def path(self, test: str) -> Path:
        """The copied cassette of ``test`` (``file.py::name[id]``, relative to the suite)."""
        return self.root / self.provider / cassette_name(test)

    def damage(self, test: str, edit: Callable[[dict[str, Any]], Any]) -> tuple[Path, Any]:
        """Apply ``edit`` to the loaded cassette of ``test`` and write it back; return its path and what ``edit``
        returned (what the replay is expected to say)."""
        path = self.path(test)
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
        expected = edit(data)
        path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
        return path, expected

    def replay(self, tests: list[str]) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
        """Replay ``tests`` from the copy; return the process and the records of exactly those tests."""
        names = " or ".join(sorted({test.split("::")[1].split("[")[0] for test in tests}))
        proc, records = run_suite(self.provider, self.tmp_path / "r", "--mode", "replay", "--cassette-dir",
                                  str(self.root), "-k", names)
        return proc, [r for r in records if r["test"].removeprefix(f"suites/{self.provider}/") in tests]

    def damaged_replays_are_errors(self, damages: dict[str, Callable[[dict[str, Any]], str]]) -> None:
        """Apply each damage to its test's cassette and replay them all: each test is an `error` whose message
        names its cassette and holds what the damage returned, and the run fails."""
        expected = {f"suites/{self.provider}/{test}": self.damage(test, edit) for test, edit in damages.items()}
        proc, records = self.replay(list(damages))
        assert sorted(r["test"] for r in records) == sorted(expected), proc.stdout[-3000:]
        for record in records:
            path, fragment = expected[record["test"]]
            assert record["verdict"] == "error", (record["test"], record["verdict"], record["message"][:300])
            assert fragment in record["message"] and path.name in record["message"], (record["test"],
                                                                                       record["message"][:300])
        assert proc.returncode == 1


@pytest.fixture
def cassette_copy(tmp_path: Path) -> Callable[[str], CassetteCopy]:
    """``cassette_copy(provider)``: that provider's cassettes copied for this test; see :class:`CassetteCopy`."""
    return lambda provider: CassetteCopy(provider, tmp_path)


@pytest.fixture(scope="module")
def sandbox():
    """A clean mite sandbox of this test module's own, for runs against a URL target."""
    from apiconform.sandbox.runner import start_sandbox

    with start_sandbox("mite") as handle:
        yield handle



def readme_block(heading: str) -> list[str]:
    """The ``apiconform`` command lines of the first code block under ``heading`` in the README or the user docs
    it links (docs/*.md), wherever the heading is."""
    text = next(t for t in (p.read_text() for p in (ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))))
                if heading in t)
    block = re.search(r"```\n(.*?)```", text[text.index(heading):], re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("apiconform ")]


@pytest.fixture
def readme():
    """:func:`readme_block`: the commands the README gives a user, for tests that follow them."""
    return readme_block


@dataclass
class CleanRun:
    """One isolated run of a provider's suite against its clean sandbox, and the gates each check reached."""

    returncode: int
    output: str
    records: list[dict[str, Any]]
    reach: dict[str, set[str]]  # fault -> the checks (node ids) whose requests consulted its gate

    def checks_for(self, fault: str) -> list[str]:
        """The node ids that can see ``fault``; empty means the whole suite (a gate outside every check, or
        ``APICONFORM_FAULT_RUNS=whole``, which benchmarks/test_command.py sets to time the whole-suite proof)."""
        reached = self.reach.get(fault, set())
        whole = os.environ.get("APICONFORM_FAULT_RUNS") == "whole" or any(c.startswith("<") for c in reached)
        return [] if whole else sorted(reached)


@pytest.fixture(scope="session")
def clean_runs(tmp_path_factory, rate_scale, suite_run):
    """provider -> :class:`CleanRun`, made once per test session and shared by the xdist workers."""
    root = tmp_path_factory.getbasetemp()
    root = root.parent if os.environ.get("PYTEST_XDIST_WORKER") else root
    cache: dict[str, CleanRun] = {}

    def get(provider: str) -> CleanRun:
        if provider not in cache:
            folder = root / f"clean-reach-{provider}"
            done = folder / "done.json"
            with FileLock(str(folder) + ".lock"):
                if not done.exists():
                    folder.mkdir(exist_ok=True)
                    log = folder / "reach.jsonl"
                    proc, records = suite_run(provider, folder / "report", "--isolate-checks", "--sandbox-reach",
                                              str(log), "--rate-scale", f"{rate_scale(provider):g}")
                    reach = {f: sorted(c) for f, c in read_reach(log).items()} if log.exists() else {}
                    done.write_text(json.dumps({"returncode": proc.returncode, "records": records, "reach": reach,
                                                "output": proc.stdout[-3000:] + proc.stderr[-3000:]}))
            data = json.loads(done.read_text())
            cache[provider] = CleanRun(data["returncode"], data["output"], data["records"],
                                       {f: set(c) for f, c in data["reach"].items()})
        return cache[provider]

    return get
