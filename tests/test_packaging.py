"""Another repository installs apiconform from a wheel (or a pinned git URL, which pip builds into one) and
runs it without a checkout: the wheel carries the suites, schemas, cassettes and specs (setup.py)."""
from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def test_a_wheel_runs_the_suites_outside_a_checkout(tmp_path):
    dist, site, client = tmp_path / "dist", tmp_path / "site", tmp_path / "client-repo"
    client.mkdir()
    build = subprocess.run([sys.executable, "-m", "pip", "wheel", str(ROOT), "--no-deps", "-q", "-w", str(dist)],
                           capture_output=True, text=True, timeout=600)
    assert build.returncode == 0, build.stderr[-2000:]
    [wheel] = dist.glob("apiconform-*.whl")
    install = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(site),
                              str(wheel)], capture_output=True, text=True, timeout=600)
    assert install.returncode == 0, install.stderr[-2000:]
    env = {k: v for k, v in os.environ.items() if k != "APICONFORM_ROOT"}
    env["PYTHONPATH"] = str(site)  # ahead of this checkout's editable install
    where = subprocess.run([sys.executable, "-c", "import apiconform.paths as p; print(p.project_root())"],
                           cwd=client, env=env, capture_output=True, text=True, timeout=60)
    assert where.stdout.strip() == str(site / "apiconform" / "_data"), where.stderr
    run = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "--mode", "replay", "-n", "0"],
                         cwd=client, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stdout[-2000:] + run.stderr[-2000:]
    records = json.loads((client / "reports" / "results.json").read_text())["records"]
    assert {r["provider"] for r in records} == {"hive", "mite", "mitwirken", "mstudio"}
    assert {r["verdict"] for r in records} == {"pass"}
    assert not (site / "apiconform" / "_data" / ".pytest_cache").exists()  # the cache stays in the client's repo
