"""Replay against pytest's floor: each provider's committed cassettes, and all four, beside trivial tests.

Each row replays with the network sealed at the socket level (``tests/plugins/sealed_sockets.py``,
loaded with ``-p`` before apiconform, refuses and logs every connect and name lookup; the log must
stay empty) and, beside it, pytest runs the same number of ``def test_i(): pass`` tests, generated
into a temporary folder with the project's pytest ``addopts``, with the same ``-n`` and without the
apiconform plugin (``-p no:apiconform``): the floor is pytest itself. The two alternate for
``--rounds`` rounds after one untimed warm-up each; medians and replay / floor are printed per row. A
second floor, ``+plugin``, runs the same trivial tests with apiconform's plugin loaded (as any pytest
run is where apiconform is installed): replay / +plugin is what the checks' work costs beyond the
plugin's imports.

Rows: each provider with ``pytest suites/<p> --mode replay -n 0``; all four in one pytest process
with ``-n 0`` and ``-n 2``; and all four the way users run them, ``apiconform run --mode replay``
(one pytest process for all four suites, after the CLI's preflight), with ``-n 0`` and ``-n 2``.

Replay is measured twice per round: warm, with the parse cache (``apiconform/parsecache.py``) the
warm-up run filled, as on a developer's machine or a CI runner that keeps ``~/.cache``; and cold,
with an empty cache of its own, as on a fresh CI machine (the ``cold`` columns). Neither touches
the user's own cache.

Children run with Python's default bytecode cache (``PYTHONDONTWRITEBYTECODE`` dropped, as on a
user's machine; ``--env-as-is`` keeps it). ``--profile`` replays all four under cProfile and prints
the top 25 entries by cumulative time and where the time goes (start-up, plugin import, contracts
and schemas, cassettes, matching, validation, reports). ``--root DIR`` measures another checkout
with this interpreter (e.g. the base commit's clone and its venv).

``--split`` times the phases of each single-process row (start-up, collection, the checks, the end) with a
probe plugin, and the time spent inside ``Api.request`` and ``Api.raw`` (building, pacing, matching and
playing each request, validating its answer): the wall time less that is what a replay would take if every
request cost nothing, a lower bound for any faster recorder or client.

``--compare DIR`` is the guard of issue 20 (replay stays within 10 % of another version): the all-four rows
(``--rows`` to choose) replayed warm with this checkout's code and DIR's (e.g. ``git worktree add --detach
/tmp/main-ref main``), alternating round by round, medians and DIR / this side by side. Each root's ``src`` goes
first on ``PYTHONPATH``, so its own code runs with this interpreter.

Usage: python benchmarks/replay_floor.py [--rounds 5] [--rows mite,all-n2,...] [--profile] [--split] [--root DIR]
       [--compare DIR]
"""
from __future__ import annotations

import argparse
import json
import os
import pstats
import re
import statistics
import subprocess
import sys
import tempfile
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

PROVIDERS = ("mite", "mitwirken", "hive", "mstudio")
SUMMARY = re.compile(r"^=*\s*\d+ (passed|failed|skipped|xfailed|xpassed|errors?)\b.* in [\d.]+s")  # pytest's last line
COUNT = re.compile(r"(\d+) (passed|failed|skipped|xfailed|xpassed|errors?)\b")


@dataclass(frozen=True)
class Row:
    name: str
    providers: tuple[str, ...]
    workers: int
    cli: bool = False  # `apiconform run --mode replay` rather than pytest


ROWS = [*(Row(p, (p,), 0) for p in PROVIDERS), Row("all-n0", PROVIDERS, 0), Row("all-n2", PROVIDERS, 2),
        Row("run-n0", PROVIDERS, 0, cli=True), Row("run-n2", PROVIDERS, 2, cli=True)]


class Bench:
    """The commands of one checkout, and the sealed environment they run in."""

    def __init__(self, root: Path, scratch: Path, env_as_is: bool) -> None:
        self.root = root
        self.scratch = scratch
        self.sealed_log = scratch / "connects.log"
        env = dict(os.environ)
        if not env_as_is:
            env.pop("PYTHONDONTWRITEBYTECODE", None)
        env["APICONFORM_SEALED_LOG"] = str(self.sealed_log)
        env["XDG_CACHE_HOME"] = str(scratch / "cache-warm")  # this benchmark's own parse cache
        env.pop("APICONFORM_PARSE_CACHE", None)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(root / "tests" / "plugins"), str(root / "src"),
                                                          env.get("PYTHONPATH")]))
        self.env = env
        self.addopts = tomllib.loads((root / "pyproject.toml").read_text())["tool"]["pytest"]["ini_options"]["addopts"]

    def replay_cmd(self, row: Row, reports: Path) -> list[str]:
        workers = ["-p", "no:xdist"] if row.workers == 0 else ["-n", str(row.workers)]
        if row.cli:
            return [sys.executable, "-m", "apiconform.cli", "run", "--mode", "replay", "-n", str(row.workers),
                    "--report-dir", str(reports), *(f"--provider={p}" for p in row.providers),
                    "--", "-p", "sealed_sockets"]
        return [sys.executable, "-m", "pytest", "-p", "sealed_sockets", *(f"suites/{p}" for p in row.providers),
                "-q", *workers, "--mode", "replay", f"--report-dir={reports}"]

    def floor_dir(self, count: int) -> Path:
        folder = self.scratch / f"floor{count}"
        if not folder.exists():
            folder.mkdir()
            (folder / "pytest.ini").write_text(f"[pytest]\naddopts = {self.addopts}\n")
            (folder / "test_floor.py").write_text("".join(f"def test_{i}():\n    pass\n\n" for i in range(count)))
        return folder

    def floor_cmd(self, row: Row, count: int, plugin: bool = False) -> list[str]:
        workers = ["-p", "no:xdist"] if row.workers == 0 else ["-n", str(row.workers)]
        without = [] if plugin else ["-p", "no:apiconform"]
        return [sys.executable, "-m", "pytest", "-q", *without, *workers, str(self.floor_dir(count))]

    def timed(self, cmd: list[str], cwd: Path, cold: bool = False) -> tuple[float, subprocess.CompletedProcess[str]]:
        env = self.env
        if cold:  # an empty parse cache, as on a fresh machine
            env = {**env, "XDG_CACHE_HOME": tempfile.mkdtemp(prefix="cache-cold-", dir=self.scratch)}
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=cwd, env=env, capture_output=True, text=True)
        return time.perf_counter() - start, proc

    def replay(self, row: Row, cold: bool = False) -> tuple[float, int]:
        """One replay run of ``row``: its wall time and its number of tests (all must pass)."""
        with tempfile.TemporaryDirectory(dir=self.scratch) as reports:
            elapsed, proc = self.timed(self.replay_cmd(row, Path(reports)), self.root, cold)
        summary = next((line for line in reversed(proc.stdout.splitlines()) if SUMMARY.match(line)), "")
        counts = {kind: int(n) for n, kind in COUNT.findall(summary)}
        if proc.returncode != 0 or set(counts) != {"passed"}:
            sys.exit(f"{row.name}: replay did not pass (exit {proc.returncode}):\n{proc.stdout[-3000:]}"
                     f"{proc.stderr[-2000:]}")
        return elapsed, counts["passed"]

    def floor(self, row: Row, count: int, plugin: bool = False) -> float:
        elapsed, proc = self.timed(self.floor_cmd(row, count, plugin), self.scratch)
        if proc.returncode != 0 or f"{count} passed" not in proc.stdout:
            sys.exit(f"floor of {count} tests failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return elapsed


def measure(bench: Bench, rows: list[Row], rounds: int) -> None:
    counts = {row.name: bench.replay(row)[1] for row in rows}  # warm-up: bytecode caches, page cache; the count
    for row in rows:
        bench.floor(row, counts[row.name])
    kinds = ("replay", "cold", "floor", "plugin")
    times: dict[str, dict[str, list[float]]] = {row.name: {k: [] for k in kinds} for row in rows}
    for _ in range(rounds):
        for row in rows:
            times[row.name]["replay"].append(bench.replay(row)[0])
            times[row.name]["cold"].append(bench.replay(row, cold=True)[0])
            times[row.name]["floor"].append(bench.floor(row, counts[row.name]))
            times[row.name]["plugin"].append(bench.floor(row, counts[row.name], plugin=True))
    if bench.sealed_log.exists():
        sys.exit(f"a replay run tried to connect:\n{bench.sealed_log.read_text()[:2000]}")
    print(f"replay vs pytest's floor, {rounds} rounds alternating, medians in seconds (root {bench.root})")
    print("replay: warm parse cache; cold: an empty one (a fresh machine); floor: pytest alone; +plugin: the same")
    print("trivial tests with apiconform's plugin loaded, as in any pytest run where apiconform is installed")
    print(f"{'row':<10} {'tests':>5} {'-n':>3} {'replay':>7} {'cold':>6} {'floor':>6} {'ratio':>6} {'cold':>6}"
          f" {'+plugin':>8} {'ratio':>6}  replay runs / cold runs / floor runs / +plugin runs")
    for row in rows:
        replay, cold, floor, plugin = (statistics.median(times[row.name][k]) for k in kinds)
        runs = " / ".join(" ".join(f"{t:.2f}" for t in times[row.name][k]) for k in kinds)
        print(f"{row.name:<10} {counts[row.name]:>5} {row.workers:>3} {replay:>7.2f} {cold:>6.2f} {floor:>6.2f} "
              f"{replay / floor:>6.2f} {cold / floor:>6.2f} {plugin:>8.2f} {replay / plugin:>6.2f}  {runs}")
    print("network: sealed (no connect or lookup attempted)")
    print("commands:")
    for row in rows:
        print(f"  {row.name}: {' '.join(bench.replay_cmd(row, Path('REPORTS')))}")
        print(f"  {'':<{len(row.name)}}  floor: {' '.join(bench.floor_cmd(row, counts[row.name]))}")
        print(f"  {'':<{len(row.name)}}  +plugin: {' '.join(bench.floor_cmd(row, counts[row.name], True))}")


def compare(bench: Bench, other: Bench, rows: list[Row], rounds: int) -> None:
    """The rows replayed warm by both checkouts, alternating, after one warm-up each: medians and other / this."""
    times: dict[str, dict[Path, list[float]]] = {row.name: {bench.root: [], other.root: []} for row in rows}
    for _ in range(rounds + 1):  # the first round warms both up and is not counted
        for row in rows:
            for b in (bench, other):
                times[row.name][b.root].append(b.replay(row)[0])
    if bench.sealed_log.exists() or other.sealed_log.exists():
        sys.exit("a replay run tried to connect")
    print(f"replay, this checkout ({bench.root}) vs {other.root}, {rounds} rounds alternating, medians in seconds")
    print(f"{'row':<10} {'-n':>3} {'this':>7} {'other':>7} {'other/this':>10}  this runs / other runs")
    for row in rows:
        this, that = (statistics.median(times[row.name][b.root][1:]) for b in (bench, other))
        runs = " / ".join(" ".join(f"{t:.2f}" for t in times[row.name][b.root][1:]) for b in (bench, other))
        print(f"{row.name:<10} {row.workers:>3} {this:>7.2f} {that:>7.2f} {that / this:>10.3f}  {runs}")


SPLIT_PLUGIN = '''"""Benchmark only (replay_floor.py --split): a replay's phases, and its time inside requests."""
import json, os, time

import pytest

_T0 = float(os.environ["SPLIT_T0"])
_MARKS = {}
_IN = {"seconds": 0.0, "requests": 0}


def _mark(name):
    _MARKS.setdefault(name, time.time() - _T0)


def _timed(send):
    def timed(*args, **kwargs):
        start = time.perf_counter()
        try:
            return send(*args, **kwargs)
        finally:
            _IN["seconds"] += time.perf_counter() - start
            _IN["requests"] += 1
    return timed


def pytest_configure(config):
    _mark("configured")
    from apiconform.http.client import Api
    Api.request, Api.raw = _timed(Api.request), _timed(Api.raw)


def pytest_collection_finish(session):
    _mark("collected")


@pytest.hookimpl(wrapper=True)
def pytest_runtestloop(session):
    try:
        return (yield)
    finally:
        _mark("checked")


def pytest_unconfigure(config):
    with open(os.environ["SPLIT_LOG"], "w") as fh:
        json.dump({"marks": _MARKS, **_IN}, fh)
'''


def split(bench: Bench, rows: list[Row], rounds: int) -> None:
    """Each single-process row's wall time in phases, and what it would be if every request took no time."""
    (bench.scratch / "split_probe.py").write_text(SPLIT_PLUGIN)
    env = {**bench.env, "PYTHONPATH": os.pathsep.join([str(bench.scratch), bench.env["PYTHONPATH"]])}
    rows = [row for row in rows if row.workers == 0 and not row.cli]
    print("\nwhere a single-process replay's wall time goes (medians; requests: time inside Api.request and Api.raw,"
          "\nwhich build, pace, match and play each request and validate its answer)")
    print(f"{'row':<10} {'wall':>5} {'start':>6} {'collect':>7} {'checks':>6} {'in requests':>12} {'end':>5} "
          f"{'floor':>6} {'wall - requests':>16}")
    for row in rows:
        count = bench.replay(row)[1]  # warm-up, as measure() does, and the number of tests
        runs: list[dict[str, float]] = []
        floors = []
        for _ in range(rounds):
            with tempfile.TemporaryDirectory(dir=bench.scratch) as tmp:
                log = Path(tmp) / "split.json"
                cmd = [*bench.replay_cmd(row, Path(tmp) / "reports"), "-p", "split_probe"]
                start = time.time()
                proc = subprocess.run(cmd, cwd=bench.root, capture_output=True, text=True,
                                      env={**env, "SPLIT_T0": f"{start:.6f}", "SPLIT_LOG": str(log)})
                wall = time.time() - start
                if proc.returncode != 0:
                    sys.exit(f"{row.name}: replay with the split probe failed:\n{proc.stdout[-2000:]}")
                data = json.loads(log.read_text())
            marks = data["marks"]
            runs.append({"wall": wall, "start": marks["configured"],
                         "collect": marks["collected"] - marks["configured"],
                         "checks": marks["checked"] - marks["collected"], "requests": data["seconds"],
                         "count": data["requests"], "end": wall - marks["checked"]})
            floors.append(bench.floor(row, count))
        med = {k: statistics.median(r[k] for r in runs) for k in runs[0]}
        floor = statistics.median(floors)
        rest = statistics.median(r["wall"] - r["requests"] for r in runs)
        print(f"{row.name:<10} {med['wall']:>5.2f} {med['start']:>6.2f} {med['collect']:>7.2f} {med['checks']:>6.2f} "
              f"{med['requests']:>6.2f} ({int(med['count']):>4}) {med['end']:>5.2f} {floor:>6.2f} "
              f"{rest:>7.2f} = {rest / floor:.2f} x")


# Where a replay's time goes: (label, (file suffix, function name) pairs whose cumulative times add up).
# The phases nest in pytest's own phases (contracts load during collection and in the first test),
# so the parts are not meant to sum to the whole.
PHASES = [
    ("start-up to the first hook (interpreter, pytest, plugins)", [("_pytest/config/__init__.py", "_prepareconfig")]),
    ("plugin import (apiconform.plugin and what it imports)", [("apiconform/plugin.py", "<module>")]),
    ("collection (suite modules, their imports)", [("_pytest/main.py", "perform_collect")]),
    ("contract and schema loading", [("contract/model.py", "load_contract"), ("contract/schemas.py", "load_schema")]),
    ("TLS contexts (client set-up)", [("/ssl.py", "create_default_context")]),
    ("rate budget counters (files written)", [("http/rate/budget.py", "_flush")]),
    ("cassette loading (apiconform's check)", [("record/cassettes.py", "_load")]),
    ("cassette loading (vcrpy)", [("vcr/cassette.py", "_load")]),
    ("matching and playback (vcrpy)", [("vcr/cassette.py", "play_response"),
                                       ("vcr/cassette.py", "can_play_response_for")]),
    ("validation (invariants, spec, schemas)", [("http/invariants.py", "check_invariants"),
                                                ("http/invariants.py", "check_spec"),
                                                ("checks/expect.py", "expect_resource")]),
    ("report writing", [("report/files.py", "write_reports")]),
]


def profile(bench: Bench, row: Row, top: int) -> None:
    out = bench.scratch / "replay.prof"
    bench.replay(row)  # the warm case, as measured: bytecode and the benchmark's parse cache filled
    with tempfile.TemporaryDirectory(dir=bench.scratch) as reports:
        cmd = bench.replay_cmd(row, Path(reports))
        cmd[1:3] = ["-m", "cProfile", "-o", str(out), "-m", "pytest"]
        elapsed, proc = bench.timed(cmd, bench.root)
    if proc.returncode != 0:
        sys.exit(f"profiled replay failed:\n{proc.stdout[-3000:]}{proc.stderr[-2000:]}")
    stats = pstats.Stats(str(out))
    raw = stats.stats  # type: ignore[attr-defined]  # {(file, line, name): (cc, nc, tt, ct, callers)}
    total = max(ct for *_, ct, _callers in raw.values())
    print(f"\nprofile of {row.name} ({' '.join(cmd[5:])}) under cProfile: {elapsed:.2f} s wall, "
          f"{total:.2f} s profiled (cProfile slows Python code down; shares are what matter)")
    print("where the time goes (cumulative, phases overlap):")
    for label, keys in PHASES:
        spent = sum(ct for (file, _, name), (*_, ct, _c) in raw.items()
                    for suffix, func in keys if file.endswith(suffix) and name == func)
        print(f"  {spent:6.2f} s {100 * spent / total:5.1f}%  {label}")
    print(f"top {top} by cumulative time:")
    stats.sort_stats("cumulative").print_stats(top)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--rows", default=",".join(r.name for r in ROWS), help="comma-separated row names")
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout to measure (default: this one); run with its interpreter")
    parser.add_argument("--profile", action="store_true", help="also profile one replay (--profile-row)")
    parser.add_argument("--profile-row", default="all-n0")
    parser.add_argument("--only-profile", action="store_true", help="profile, measure nothing")
    parser.add_argument("--split", action="store_true", help="also split each single-process row's wall time")
    parser.add_argument("--only-split", action="store_true", help="split, measure nothing else")
    parser.add_argument("--env-as-is", action="store_true", help="keep PYTHONDONTWRITEBYTECODE if it is set")
    parser.add_argument("--compare", type=Path, metavar="DIR", help="replay the rows with DIR's code too, side by "
                        "side (default rows: the all-four ones), and measure nothing else")
    args = parser.parse_args()
    by_name = {r.name: r for r in ROWS}
    if args.compare and "--rows" not in sys.argv:
        args.rows = ",".join(r.name for r in ROWS if len(r.providers) > 1)
    rows = [by_name[name] for name in args.rows.split(",")]
    with tempfile.TemporaryDirectory(prefix="replay-floor-") as scratch:
        bench = Bench(args.root.resolve(), Path(scratch), args.env_as_is)
        if args.compare:
            (Path(scratch) / "other").mkdir()
            compare(bench, Bench(args.compare.resolve(), Path(scratch) / "other", args.env_as_is), rows, args.rounds)
            return
        if not (args.only_profile or args.only_split):
            measure(bench, rows, args.rounds)
        if args.split or args.only_split:
            split(bench, rows, args.rounds)
        if args.profile or args.only_profile:
            profile(bench, by_name[args.profile_row], 25)


if __name__ == "__main__":
    main()
