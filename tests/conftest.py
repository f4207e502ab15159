"""Fixtures for the engine's own tests."""
from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

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


def run_suite(provider: str, report_dir: Path, *args: str, env: dict[str, str] | None = None,
              timeout: float = 300, allow_writes: bool = True
              ) -> tuple[subprocess.CompletedProcess[str], list[dict[str, Any]]]:
    """Run ``suites/<provider>`` with ``args``; return the process and its results.json records.

    A ``--target`` here is always a sandbox (or a proxy to one) the test owns, so writes are allowed
    unless ``allow_writes=False``.
    """
    allow = ["--allow-writes"] if "--target" in args and allow_writes else []
    cmd = [sys.executable, "-m", "pytest", f"suites/{provider}", "-q", "-p", "no:xdist",
           "--report-dir", str(report_dir), *args, *allow]
    proc = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                          env={**os.environ, **(env or {})})
    results = report_dir / "results.json"
    records = json.loads(results.read_text())["records"] if results.exists() else []
    return proc, records


@pytest.fixture
def suite_run():
    """Run a provider suite in a child pytest, as a user would; see :func:`run_suite`."""
    return run_suite


@pytest.fixture(scope="module")
def sandbox():
    """A clean mite sandbox of this test module's own, for runs against a URL target."""
    from apiconform.sandbox.runner import start_sandbox

    with start_sandbox("mite") as handle:
        yield handle



def readme_block(heading: str) -> list[str]:
    """The ``apiconform`` command lines of the first code block under ``heading`` in the README."""
    text = (ROOT / "README.md").read_text()
    block = re.search(r"```\n(.*?)```", text[text.index(heading):], re.S).group(1)
    return [line for line in block.splitlines() if line.startswith("apiconform ")]


@pytest.fixture
def readme():
    """:func:`readme_block`: the commands the README gives a user, for tests that follow them."""
    return readme_block
