"""Pacing: the Mitwirken suite at its documented rate (2 requests per second) with 1, 2 and 4 workers.

Each run is one `apiconform run --provider mitwirken` against a fresh sandbox on the real clock
(no --rate-scale), so every xdist worker draws from the one shared budget. A last run switches
the budget off (`--rate-store off`: nothing paced or retried, only counted) to show what it saves.
For each run it prints the requests sent, the requests' wall time against the minimum the rate
allows (requests / rate), the 429s, and the run's whole time (start-up and sandbox included).

The target: with 4 workers, wall / minimum at most 1.10, and no unplanned 429.
Usage: python benchmarks/pacing.py [provider]
"""
from __future__ import annotations

import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RUNS = [(1, "auto"), (2, "auto"), (4, "auto"), (4, "off")]


def run(provider: str, workers: int, store: str) -> dict:
    with tempfile.TemporaryDirectory() as reports:
        start = time.perf_counter()
        proc = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "--provider", provider,
                               "-n", str(workers), "--rate-store", store, "--report-dir", reports],
                              cwd=ROOT, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        results = Path(reports) / "results.json"
        if not results.exists():
            sys.exit(f"{provider} -n {workers} --rate-store {store} wrote no results:\n{proc.stdout[-2000:]}"
                     f"{proc.stderr[-2000:]}")
        doc = json.loads(results.read_text())
    return {"elapsed": elapsed, "rate": doc["rate"][provider], "totals": doc["totals"], "rc": proc.returncode}


def main() -> None:
    provider = sys.argv[1] if len(sys.argv) > 1 else "mitwirken"
    print(f"{provider} suite against its sandbox at the documented rate, one `apiconform run` per line")
    print(f"{'workers':>7} {'budget':>6} {'requests':>8} {'wall s':>7} {'min s':>6} {'wall/min':>8} "
          f"{'planned':>7} {'unplanned':>9} {'run s':>6}  verdicts")
    for workers, store in RUNS:
        r = run(provider, workers, store)
        rate = r["rate"]
        ratio = rate["wall_s"] / rate["min_wall_s"] if rate["min_wall_s"] else float("nan")
        verdicts = ", ".join(f"{n} {v}" for v, n in sorted(r["totals"].items()))
        print(f"{workers:>7} {'off' if store == 'off' else 'on':>6} {rate['requests']:>8} {rate['wall_s']:>7.1f} "
              f"{rate['min_wall_s']:>6.1f} {ratio:>8.3f} {rate['planned_429']:>7} {rate['unplanned_429']:>9} "
              f"{r['elapsed']:>6.1f}  {verdicts} (exit {r['rc']})")


if __name__ == "__main__":
    main()
