"""Replay against live: the mite suite from cassettes versus against the bundled sandbox.

Runs both side by side in one process, alternating, and prints medians and their ratio, so
the comparison holds on whatever machine runs it. Usage: python benchmarks/replay_vs_live.py [rounds]
"""
from __future__ import annotations

import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def run(mode: str) -> float:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "pytest", "suites/mite", "-q", "-p", "no:xdist", "--mode", mode,
                               "--report-dir", reports], cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        sys.exit(f"{mode} run failed:\n{proc.stdout[-2000:]}")
    return elapsed


def main() -> None:
    rounds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
    times: dict[str, list[float]] = {"live": [], "replay": []}
    for _ in range(rounds):
        for mode in times:
            times[mode].append(run(mode))
    live, replay = (statistics.median(times[m]) for m in ("live", "replay"))
    print(f"mite suite, {rounds} rounds, one process each (includes pytest start-up and, live, the sandbox start)")
    print(f"  live (sandbox)   median {live:6.2f} s   runs {[round(t, 2) for t in times['live']]}")
    print(f"  replay           median {replay:6.2f} s   runs {[round(t, 2) for t in times['replay']]}")
    print(f"  replay / live    {replay / live:.2f}")


if __name__ == "__main__":
    main()
