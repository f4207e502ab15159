"""Recording survives interruption: a record run killed at any moment leaves every cassette whole.

For each provider, record runs against its sandbox (started here, so a killed run leaves no
orphan sandbox) write into a copy of the committed cassettes, and are killed at random moments,
mostly with SIGKILL, sometimes SIGTERM or SIGINT. After every kill each cassette must load and
pass the replay checks (``check_cassette``), and be either byte for byte the one that was there
before that run (old) or one this run finished (new: its ``recorded_at`` is from this run).
The gated persister writes a temporary file, fsyncs it and renames it over the old one; this is
the test that a kill between any two of those steps tears nothing.
"""
from __future__ import annotations

import os
import random
import shutil
import signal
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import pytest
import yaml

from apiconform.paths import cassettes_dir
from apiconform.record.cassettes import check_cassette
from apiconform.sandbox import PROVIDERS, load_provider
from apiconform.sandbox.runner import start_sandbox

ROOT = Path(__file__).resolve().parents[1]
KILLS = 6
SIGNALS = (signal.SIGKILL, signal.SIGKILL, signal.SIGKILL, signal.SIGTERM, signal.SIGINT)


def _snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in folder.glob("*.yaml")}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_killed_record_runs_leave_old_or_new_cassettes(provider, tmp_path, rate_scale):
    prefix = load_provider(provider).ENV_PREFIX
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir(provider), root / provider)
    folder = root / provider
    rng = random.Random(provider)
    new_seen = 0
    with start_sandbox(provider, rate_scale=rate_scale(provider)) as sandbox:
        env = {**os.environ, **sandbox.env}
        for i in range(KILLS):
            before = _snapshot(folder)
            started = datetime.now(UTC).replace(microsecond=0)
            proc = subprocess.Popen(
                [sys.executable, "-m", "pytest", f"suites/{provider}", "-q", "-p", "no:xdist", "--mode", "record",
                 "--target", sandbox.env[f"{prefix}_BASE_URL"], "--ca-bundle", sandbox.env[f"{prefix}_CA_BUNDLE"],
                 "--allow-writes", "--rate-scale", f"{rate_scale(provider):g}", "--rate-store", str(tmp_path / "rate"),
                 "--cassette-dir", str(root), "--report-dir", str(tmp_path / f"r{i}")],
                cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
            time.sleep(rng.uniform(1.0, 6.0))  # pytest's start-up takes about a second
            sig = rng.choice(SIGNALS)
            proc.send_signal(sig)
            try:
                proc.wait(60)
            except subprocess.TimeoutExpired:  # an interrupted run must end by itself; make sure it does
                proc.kill()
                pytest.fail(f"the record run did not end within 60 s of {sig.name}")
            after = _snapshot(folder)
            assert set(before) <= set(after)
            for name, data in after.items():
                meta = check_cassette(folder / name)  # raises CassetteError naming a torn file
                if data != before.get(name):
                    new_seen += 1
                    recorded = datetime.fromisoformat(meta["recorded_at"])
                    assert recorded >= started, f"{name} changed but is not this run's recording"
                    assert yaml.safe_load(data)["interactions"] is not None
    assert new_seen, "no kill came late enough for any cassette to be rewritten"
