"""The README's test command: its wall time, and the share the fault tests take of it.

Runs ``pytest -n auto`` (the README's test command, from the project root, with a JUnit file) and
prints its wall time, the summed durations of its tests, and the fault tests' share of both. With
``--whole-suites`` it then runs the fault tests a second time the way they used to run, the whole
suite once per fault (``APICONFORM_FAULT_RUNS=whole``), beside the default chosen-checks runs, and
prints both wall times and their ratio: what choosing the checks saves, measured in one run.

Usage: python benchmarks/test_command.py [--whole-suites] [--skip-full] [-n N]
Takes about as long as the runs it makes (the full command alone is about 15 minutes on 2 cores).
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FAULT_TESTS = "tests/test_faults.py"


def run(args: list[str], env: dict[str, str] | None = None) -> tuple[float, dict[str, float], int]:
    """Wall seconds, {test id: seconds} from the JUnit file, and the exit status."""
    with tempfile.TemporaryDirectory() as tmp:
        junit = Path(tmp) / "junit.xml"
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", *args, "-q", f"--junitxml={junit}"], cwd=ROOT,
                              env={**os.environ, **(env or {})}, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        wall = time.perf_counter() - start
        cases = ET.parse(junit).getroot().iter("testcase") if junit.exists() else []
        times = {f"{c.get('classname')}::{c.get('name')}": float(c.get("time") or 0) for c in cases}
    return wall, times, proc.returncode


def share(times: dict[str, float]) -> tuple[float, float]:
    faults = sum(t for name, t in times.items() if name.startswith("tests.test_faults"))
    return faults, sum(times.values())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--whole-suites", action="store_true", help="also time the fault tests as whole suites")
    parser.add_argument("--skip-full", action="store_true", help="skip the full test command")
    parser.add_argument("-n", default="auto", help="pytest-xdist workers (default: auto, as the README)")
    opts = parser.parse_args()
    print(f"{os.cpu_count()} cores; pytest -n {opts.n}")
    if not opts.skip_full:
        wall, times, code = run(["-n", opts.n])
        faults, total = share(times)
        print(f"README test command (pytest -n {opts.n}): {wall / 60:5.1f} min wall, exit {code}, {len(times)} tests")
        print(f"  summed test durations {total / 60:6.1f} min; fault tests {faults / 60:5.1f} min "
              f"= {faults / total:.0%} of them")
    if opts.whole_suites:
        chosen, times_c, code_c = run([FAULT_TESTS, "-n", opts.n])
        whole, times_w, code_w = run([FAULT_TESTS, "-n", opts.n], {"APICONFORM_FAULT_RUNS": "whole"})
        print(f"fault tests, chosen checks per fault: {chosen / 60:5.1f} min wall (exit {code_c}), "
              f"summed {share(times_c)[0] / 60:5.1f} min")
        print(f"fault tests, whole suite per fault:   {whole / 60:5.1f} min wall (exit {code_w}), "
              f"summed {share(times_w)[0] / 60:5.1f} min")
        print(f"  chosen / whole: {chosen / whole:.2f} of the wall time")


if __name__ == "__main__":
    main()
