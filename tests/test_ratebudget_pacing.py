"""Issue 20: each provider's rate limit is spent once per run, and not at all with --spare-rate-limit."""
from __future__ import annotations

import json

import pytest


def _rate(report_dir) -> dict:
    return json.loads((report_dir / "results.json").read_text())["rate"]


@pytest.mark.parametrize("provider", ["mitwirken", "mstudio"])
def test_the_rate_limit_suite_makes_one_planned_burst(provider, tmp_path, suite_run, rate_scale):
    proc, records = suite_run(provider, tmp_path, "--rate-scale", f"{rate_scale(provider):g}",
                              checks=[f"suites/{provider}/test_ratelimit.py"])
    assert records and all(r["verdict"] == "pass" for r in records), proc.stdout[-2000:]
    spent = _rate(tmp_path)[provider]
    assert (spent["planned_bursts"], spent["planned_429"], spent["unplanned_429"]) == (1, 1, 0)
    assert spent["floor_s"] == pytest.approx(spent["requests"] * spent["window_s"] * spent["scale"] / spent["limit"],
                                             abs=0.01)


def test_sparing_the_rate_provokes_no_429(tmp_path, suite_run, rate_scale):
    """The burst and the exempt route's check are skipped, saying why; headers and limit are still checked."""
    proc, records = suite_run("mstudio", tmp_path, "--rate-scale", f"{rate_scale('mstudio'):g}",
                              "--spare-rate-limit", checks=["suites/mstudio/test_ratelimit.py"])
    verdicts = {r["name"]: r["verdict"] for r in records}
    assert verdicts == {"test_headers_on_every_answer": "pass", "test_one_window_above_the_limit": "skip",
                        "test_exempt_route_is_marked": "skip"}, proc.stdout[-2000:]
    assert all("--spare-rate-limit" in r["message"] for r in records if r["verdict"] == "skip")
    spent = _rate(tmp_path)["mstudio"]
    assert (spent["planned_bursts"], spent["planned_429"], spent["unplanned_429"]) == (0, 0, 0)
    assert proc.returncode == 0
