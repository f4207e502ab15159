"""Sealed and repeatable replay: ten consecutive replay runs of every provider give identical verdicts.

Each run replays every provider's committed cassettes with the network blocked at the socket
level twice over: in a network namespace of its own with no interfaces up (``unshare -rn``, where
the kernel allows it), and by a plugin loaded before apiconform's (``plugins/sealed_sockets.py``)
that refuses and logs every connect and name lookup. The log must stay empty, every verdict must
be a pass, and the ``results.json`` verdicts of all ten runs must be identical. Ten runs of the two
providers took 56 s on the shared 2-core machine (one run of both suites, ~5 s).
"""
from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

from apiconform.sandbox import PROVIDERS

ROOT = Path(__file__).resolve().parents[1]
RUNS = 10


def _unshare() -> list[str]:
    """``unshare -rn`` if this kernel lets an unprivileged process have an empty network namespace."""
    tool = shutil.which("unshare")
    if tool and subprocess.run([tool, "-rn", "true"], capture_output=True).returncode == 0:
        return [tool, "-rn"]
    return []


def test_ten_sealed_replays_give_identical_verdicts(tmp_path):
    sealed_log = tmp_path / "connects.log"
    env = {**os.environ, "APICONFORM_SEALED_LOG": str(sealed_log),
           "PYTHONPATH": os.pathsep.join([str(ROOT / "tests" / "plugins"), os.environ.get("PYTHONPATH", "")])}
    suites = [f"suites/{p}" for p in sorted(PROVIDERS)]
    runs = []
    for i in range(RUNS):
        reports = tmp_path / f"run{i}"
        proc = subprocess.run([*_unshare(), sys.executable, "-m", "pytest", "-p", "sealed_sockets", *suites, "-q",
                               "-p", "no:xdist", "--mode", "replay", "--report-dir", str(reports)],
                              cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
        records = json.loads((reports / "results.json").read_text())["records"]
        runs.append(sorted((r["test"], r["verdict"]) for r in records))
        assert proc.returncode == 0, proc.stdout[-3000:]
    assert not sealed_log.exists(), sealed_log.read_text()[:2000]
    assert {p for p in PROVIDERS} <= {t.split("/")[1] for t, _ in runs[0]}  # every provider replayed
    assert {v for _, v in runs[0]} == {"pass"}
    assert all(run == runs[0] for run in runs)
