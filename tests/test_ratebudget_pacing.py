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


# -- a late burst: it spends what the other checks left of their window ------------------------

def _late_budget(tmp_path):
    """mStudio's documented limit (20 per 4 s) on a clock 4 times faster: 20 per second."""
    from apiconform.contract.model import load_contract
    from apiconform.http.rate.budget import Budget
    from apiconform.http.rate.stores import open_store
    from apiconform.paths import contract_path

    rl = load_contract(contract_path("mstudio")).rate_limit
    return Budget(rl, "mstudio", "https://late.invalid", "url", open_store(str(tmp_path / "store")), scale=4.0)


def test_a_late_burst_waits_until_the_others_have_nearly_spent_the_window(tmp_path):
    """Another sharer's answers say 15, then 9, then 4 left: the burst takes the lease at 4 (20 % of 20), not before."""
    import threading
    import time

    budget = _late_budget(tmp_path)
    sharer = _late_budget(tmp_path)  # another process's budget on the same store

    def spend() -> None:
        for left in (15, 9, 4):
            time.sleep(0.3)
            sharer.store.note_left(sharer.scope, left, time.time())
    threading.Thread(target=spend).start()
    began = time.monotonic()
    with budget.exclusive(fresh=False, late=True):
        waited = time.monotonic() - began
    assert 0.85 <= waited < 1.5
    assert budget.store.left(budget.scope)[0] == 4


def test_a_late_burst_nobody_spends_for_goes_after_an_idle_window_at_most(tmp_path):
    """Alone (a single check, or the run's last), the burst waits min(LATE_IDLE, a window) and goes."""
    import time

    budget = _late_budget(tmp_path)
    began = time.monotonic()
    with budget.exclusive(fresh=False, late=True):
        waited = time.monotonic() - began
    assert 1.0 <= waited < 1.6  # the window: 1 s
