"""Start-up: `apiconform run` to its first request on the wire, and `apiconform --help`, beside Python's floor.

``apiconform run --provider mite`` (the bundled sandbox, ``-n 0`` and ``-n 2``) is timed from the
moment the command starts to the first byte a test sends to the sandbox. The moment is taken by a
pytest plugin that exists only here: it is written to a scratch folder, loaded with ``-p`` (after
``--``, in the controller and every xdist worker) and notes the wall-clock time of the first
``sendall`` on any socket, of its own import (pytest has started) and of the end of collection;
the sandbox's ready file gives the time it was listening. Once the first request is out, the run
is stopped with SIGTERM, which apiconform forwards to pytest, so the sandbox is stopped as usual.

``apiconform --help`` is timed to its exit. Beside both: ``python -c pass`` and
``python -c "import pytest"``, alternating for ``--rounds`` rounds after a warm-up (children run
with Python's default bytecode cache, as on a user's machine). Then what dominates: ``python -X
importtime`` of ``apiconform --help`` and of the pytest plugin, summarised as the top packages by
cumulative import time.

Usage: python benchmarks/startup.py [--rounds 5] [--root DIR]
"""
from __future__ import annotations

import argparse
import glob
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PLUGIN = '''"""Benchmark only (benchmarks/startup.py): when pytest started, finished collecting, sent a byte."""
import os, socket, ssl, time

_LOG = os.environ["STARTUP_BENCH_LOG"]


def _note(event, extra=""):
    with open(_LOG, "a") as fh:
        fh.write(f"{event} {time.time():.6f} {os.getpid()} {extra}\\n")


_note("pytest")


def _wrap(cls):
    original = cls.sendall

    def sendall(self, *args, **kwargs):
        if not getattr(sendall, "seen", False):
            sendall.seen = True
            ready = glob_ready()
            _note("first-send", f"{os.stat(ready).st_mtime:.6f}" if ready else "")
        return original(self, *args, **kwargs)

    cls.sendall = sendall


def glob_ready():
    import glob
    found = glob.glob(os.path.join(os.environ["TMPDIR"], "apiconform-run-*", "sandbox-*", "ready.json"))
    return found[0] if found else None


_wrap(socket.socket)
_wrap(ssl.SSLSocket)


def pytest_collection_finish(session):
    _note("collected")
'''


class Bench:
    def __init__(self, root: Path, scratch: Path) -> None:
        self.root, self.scratch = root, scratch
        (scratch / "startup_probe.py").write_text(PLUGIN)
        self.env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        self.env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(scratch), os.environ.get("PYTHONPATH")]))

    def timed(self, cmd: list[str]) -> float:
        start = time.perf_counter()
        proc = subprocess.run(cmd, cwd=self.root, env=self.env, capture_output=True, text=True)
        elapsed = time.perf_counter() - start
        if proc.returncode != 0:
            sys.exit(f"{' '.join(cmd)} failed:\n{proc.stdout[-2000:]}{proc.stderr[-2000:]}")
        return elapsed

    def run_cmd(self, workers: int, reports: str) -> list[str]:
        return [sys.executable, "-m", "apiconform.cli", "run", "--provider", "mite", "-n", str(workers),
                "--report-dir", reports, "--", "-p", "startup_probe"]

    def first_request(self, workers: int) -> dict[str, float]:
        """One `apiconform run` up to its first request: seconds from the start to each event."""
        with tempfile.TemporaryDirectory(dir=self.scratch) as tmp:
            log = Path(tmp) / "events.log"
            env = {**self.env, "STARTUP_BENCH_LOG": str(log), "TMPDIR": tmp}
            start = time.time()
            proc = subprocess.Popen(self.run_cmd(workers, str(Path(tmp) / "reports")), cwd=self.root, env=env,
                                    stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
            events = self._wait_first_send(proc, log)
            proc.send_signal(signal.SIGTERM)  # apiconform forwards it: pytest unwinds and stops the sandbox
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
                sys.exit("apiconform run did not stop within 120 s of SIGTERM")
            if glob.glob(str(Path(tmp) / "apiconform-run-*")):
                sys.exit("apiconform run left its run directory behind after SIGTERM")
        return {name: when - start for name, when in events.items()}

    @staticmethod
    def _wait_first_send(proc: subprocess.Popen[str], log: Path) -> dict[str, float]:
        deadline = time.time() + 120
        while time.time() < deadline:
            lines = log.read_text().splitlines() if log.exists() else []
            events: dict[str, float] = {}
            for line in lines:
                name, when, _pid, *extra = line.split()
                events[name] = min(events.get(name, float("inf")), float(when))
                if name == "first-send" and extra:
                    events["sandbox-ready"] = float(extra[0])
            if "first-send" in events:
                return events
            if proc.poll() is not None:
                sys.exit(f"apiconform run ended before its first request:\n{proc.stderr.read()[-2000:]}")
            time.sleep(0.005)
        proc.kill()
        sys.exit("no request within 120 s")


def importtime(bench: Bench, code: list[str], top: int = 8) -> str:
    """The packages that took longest to import, by cumulative time (``python -X importtime``)."""
    proc = subprocess.run([sys.executable, "-X", "importtime", *code], cwd=bench.root, env=bench.env,
                          capture_output=True, text=True)
    total, packages = 0, {}
    for line in proc.stderr.splitlines():
        if not line.startswith("import time:") or "cumulative" in line:
            continue
        _, cumulative, name = line[len("import time:"):].split("|")
        if not name[1:].startswith(" "):  # a top-level import (nested ones are indented): they add up to the whole
            total += int(cumulative)
        package = name.strip().split(".")[0]
        packages[package] = max(packages.get(package, 0), int(cumulative))
    ranked = sorted(packages.items(), key=lambda kv: -kv[1])[:top]
    return f"{total / 1e6:.3f} s in all; " + ", ".join(f"{name} {us / 1e6:.3f}" for name, us in ranked)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--root", type=Path, default=Path(__file__).resolve().parents[1],
                        help="the checkout to measure (default: this one); run with its interpreter")
    args = parser.parse_args()
    py = sys.executable
    floors = {"python -c pass": [py, "-c", "pass"], 'python -c "import pytest"': [py, "-c", "import pytest"]}
    helps = {"apiconform --help": [py, "-m", "apiconform.cli", "--help"]}
    with tempfile.TemporaryDirectory(prefix="startup-") as scratch:
        bench = Bench(args.root.resolve(), Path(scratch))
        for cmd in [*floors.values(), *helps.values()]:
            bench.timed(cmd)  # warm-up
        bench.first_request(0)
        times: dict[str, list[float]] = {name: [] for name in [*floors, *helps]}
        runs: dict[int, list[dict[str, float]]] = {0: [], 2: []}
        for _ in range(args.rounds):
            for name, cmd in [*floors.items(), *helps.items()]:
                times[name].append(bench.timed(cmd))
            for workers in runs:
                runs[workers].append(bench.first_request(workers))
        med = {name: statistics.median(t) for name, t in times.items()}
        base, pytest_floor = med["python -c pass"], med['python -c "import pytest"']
        print(f"start-up, {args.rounds} rounds alternating, medians in seconds (root {bench.root})")
        for name in [*floors, *helps]:
            print(f"  {name:<44} {med[name]:6.3f}   x{med[name] / base:6.1f} python -c pass   "
                  f"x{med[name] / pytest_floor:5.2f} import pytest")
        for workers, found in runs.items():
            first = statistics.median(r["first-send"] for r in found)
            print(f"  {'apiconform run --provider mite -n ' + str(workers) + ' (first request)':<44} {first:6.3f}   "
                  f"x{first / base:6.1f} python -c pass   x{first / pytest_floor:5.2f} import pytest")
            steps = [("pytest", "CLI, preflight, pytest's interpreter"), ("collected", "plugins and collection"),
                     ("sandbox-ready", "the sandbox started"), ("first-send", "first request on the wire")]
            previous = 0.0
            parts = []
            for key, label in steps:
                at = statistics.median(r[key] for r in found if key in r)
                parts.append(f"{label} +{at - previous:.2f}")
                previous = at
            print(f"      where it goes (medians, one after the other): {'; '.join(parts)}")
        print("what dominates the imports (python -X importtime, cumulative seconds):")
        print(f"  apiconform --help:        {importtime(bench, ['-m', 'apiconform.cli', '--help'])}")
        print(f"  the pytest plugin:        {importtime(bench, ['-c', 'import apiconform.plugin'])}")
        print("commands:")
        for name, cmd in [*floors.items(), *helps.items()]:
            print(f"  {name}: {' '.join(cmd)}")
        print(f"  first request: {' '.join(bench.run_cmd(0, 'REPORTS'))} (and -n 2), probe plugin: see PLUGIN")


if __name__ == "__main__":
    main()
