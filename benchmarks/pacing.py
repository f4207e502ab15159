"""Pacing: every rate-limited provider's suite against its sandbox at the documented rate, side by side.

Each provider is one `apiconform run --provider P -n 4` against a fresh sandbox on the real clock
(rate-scale 1), all started together (their sandboxes and budgets are apart, and the runs mostly
wait for their rate). Per provider it prints the requests sent, the planned bursts and 429s, the
unplanned 429s, the requests' wall time, the floor (the requests at the documented rate:
requests x window / limit) and wall / floor, and the run's whole time (start-up and sandbox included).
With ``--all`` it then times one `apiconform run` of all four providers (README's command) with each of
``--all-workers`` (default: auto, which is 2 on 2 cores, and 4), with each provider's row from that run.

Targets (issue 20): Hive at most 270 requests and 170 s; every provider at most one planned 429 (one
planned burst), no unplanned 429, wall at most 1.10 x floor; all four under 3 minutes.
Usage: python benchmarks/pacing.py [provider ...] [--all [--all-workers N,...]] [--workers N]
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RATE_LIMITED = ("hive", "mitwirken", "mstudio")


def start(providers: list[str], workers: int | str, reports: Path) -> subprocess.Popen:
    cmd = [sys.executable, "-m", "apiconform.cli", "run", "-n", str(workers), "--report-dir", str(reports)]
    for provider in providers:
        cmd += ["--provider", provider]
    reports.mkdir(parents=True)
    with open(reports / "output.txt", "w") as out:  # a file, not a pipe: nobody reads while the runs go on
        return subprocess.Popen(cmd, cwd=ROOT, stdout=out, stderr=subprocess.STDOUT, text=True)


def finish(proc: subprocess.Popen, reports: Path, began: float) -> dict:
    proc.wait()
    elapsed = time.perf_counter() - began
    results = reports / "results.json"
    if not results.exists():
        sys.exit(f"{proc.args} wrote no results:\n{(reports / 'output.txt').read_text()[-3000:]}")
    doc = json.loads(results.read_text())
    bad = [f"  {r['test']}: {r['verdict']}: {r['message'][:300]}" for r in doc["records"] if r["verdict"] != "pass"]
    return {"elapsed": elapsed, "rate": doc.get("rate", {}), "totals": doc["totals"], "rc": proc.returncode, "bad": bad}


def row(provider: str, r: dict) -> str:
    rate = r["rate"].get(provider)
    verdicts = ", ".join(f"{n} {v}" for v, n in sorted(r["totals"].items()))
    if rate is None:
        return f"{provider:<10} {'(no rate limit)':>58} {r['elapsed']:>6.1f}  {verdicts} (exit {r['rc']})"
    floor = rate.get("floor_s", rate["min_wall_s"] * rate.get("scale", 1.0))
    ratio = rate["wall_s"] / floor if floor else float("nan")
    bursts = rate.get("planned_bursts", "?")
    return (f"{provider:<10} {rate['requests']:>8} {bursts:>6} {rate['planned_429']:>7} {rate['unplanned_429']:>9} "
            f"{rate['wall_s']:>7.1f} {floor:>7.1f} {ratio:>10.3f} {r['elapsed']:>6.1f}  {verdicts} (exit {r['rc']})")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("providers", nargs="*", default=list(RATE_LIMITED))
    parser.add_argument("--all", action="store_true", help="then time one `apiconform run` of all four")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--all-workers", default="auto,4", help="-n of each all-four run (default: auto,4)")
    args = parser.parse_args()
    print(f"each suite against its sandbox at the documented rate, -n {args.workers}, started together")
    print(f"{'provider':<10} {'requests':>8} {'bursts':>6} {'planned':>7} {'unplanned':>9} {'wall s':>7} "
          f"{'floor s':>7} {'wall/floor':>10} {'run s':>6}  verdicts")
    with tempfile.TemporaryDirectory() as tmp:
        began = time.perf_counter()
        runs = {p: start([p], args.workers, Path(tmp) / p) for p in args.providers}
        while runs:  # each row as its run ends, with its own time
            for provider, proc in list(runs.items()):
                if proc.poll() is not None:
                    r = finish(runs.pop(provider), Path(tmp) / provider, began)
                    print("\n".join([row(provider, r), *r["bad"]]), flush=True)
            time.sleep(0.2)
        for workers in args.all_workers.split(",") if args.all else []:
            began, reports = time.perf_counter(), Path(tmp) / f"all-{workers}"
            r = finish(start(["mite", *RATE_LIMITED], workers, reports), reports, began)
            verdicts = ", ".join(f"{n} {v}" for v, n in sorted(r["totals"].items()))
            print(f"apiconform run, all four, -n {workers}: {r['elapsed']:.1f} s  {verdicts} (exit {r['rc']})")
            print("\n".join([*(f"  {row(p, r)}" for p in RATE_LIMITED), *r["bad"]]), flush=True)


if __name__ == "__main__":
    main()
