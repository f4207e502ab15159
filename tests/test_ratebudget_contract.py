"""The rate limit as data: the contract's ``[rate_limit]`` table, the header reader, the reports, the no-op budget."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from apiconform.contract.model import ContractError, RateLimit, load_contract
from apiconform.http import rate
from apiconform.http.client import Api, Target
from apiconform.http.rate.budget import SETTINGS
from apiconform.paths import contract_path
from apiconform.report.files import write_reports
from apiconform.sandbox.runner import start_sandbox

RATE_CLAUSES = ("headers", "limit", "remaining", "reset", "exceeded", "retry")
HEAD = '''
[provider]
name = "rt"
base_url = "https://rt.invalid"
'''
CLAUSES = "".join(f'[[clauses]]\nid = "rt.rate.{k}"\narea = "ratelimit"\ntext = "{k}"\nsource = "test"\n'
                  f'provenance = "documented"\n' for k in RATE_CLAUSES)

# Mitwirken: IETF ratelimit-* headers, 2 per second.
IETF = '''[rate_limit]
limit = 2
window = 1
status = 429
[rate_limit.headers]
limit = "ratelimit-limit"
remaining = "ratelimit-remaining"
reset = "ratelimit-reset"
retry_after = "retry-after"
[rate_limit.values]
reset = "delta-seconds"
retry_after = "integer-seconds"
[rate_limit.error]
name = "rate_limit_exceeded"
[rate_limit.clauses]
headers = "rt.rate.headers"
limit = "rt.rate.limit"
remaining = "rt.rate.remaining"
reset = "rt.rate.reset"
exceeded = "rt.rate.exceeded"
retry = "rt.rate.retry"
'''
# Hive: used and max, no remaining or reset, a fractional Retry-After; 100 per minute.
HIVE = '''[rate_limit]
limit = 100
window = 60
status = 429
[rate_limit.headers]
used = "X-Rate-Limit-Used"
max = "X-Rate-Limit-Max"
retry_after = "Retry-After"
[rate_limit.values]
retry_after = "fractional-seconds"
[rate_limit.clauses]
headers = "rt.rate.headers"
limit = "rt.rate.limit"
remaining = "rt.rate.remaining"
exceeded = "rt.rate.exceeded"
retry = "rt.rate.retry"
'''
# mStudio: X-RateLimit-*, an exempt marker, no Retry-After documented.
MSTUDIO = '''[rate_limit]
limit = 1000
window = 900
status = 429
[rate_limit.headers]
limit = "X-RateLimit-Limit"
remaining = "X-RateLimit-Remaining"
reset = "X-RateLimit-Reset"
exempt = "X-RateLimit-Exempt"
[rate_limit.values]
reset = "delta-seconds"
exempt = "yes"
[rate_limit.clauses]
headers = "rt.rate.headers"
limit = "rt.rate.limit"
remaining = "rt.rate.remaining"
reset = "rt.rate.reset"
exceeded = "rt.rate.exceeded"
retry = "rt.rate.retry"
'''


def _load(tmp_path: Path, table: str) -> RateLimit:
    path = tmp_path / "contract.toml"
    path.write_text(HEAD + table + CLAUSES)
    rl = load_contract(path).rate_limit
    assert rl is not None
    return rl


@pytest.mark.parametrize("table", [IETF, HIVE, MSTUDIO], ids=["ietf", "hive", "mstudio"])
def test_the_three_header_styles_load(tmp_path, table):
    rl = _load(tmp_path, table)
    assert rl.status == 429 and rl.per_second == rl.limit / rl.window
    assert set(rl.clauses) <= set(RATE_CLAUSES)


@pytest.mark.parametrize("table,old,new,named", [
    (IETF, "limit = 2\n", "", "'limit'"),
    (IETF, "window = 1\n", "", "'window'"),
    (IETF, "status = 429\n", "", "'status'"),
    (IETF, 'remaining = "ratelimit-remaining"\n', "", "'remaining'"),
    (IETF, 'reset = "delta-seconds"\n', "", "[rate_limit.values] lacks required field 'reset'"),
    (IETF, 'retry_after = "integer-seconds"\n', "", "'retry_after'"),
    (IETF, 'exceeded = "rt.rate.exceeded"\n', "", "'exceeded'"),
    (IETF, 'reset = "rt.rate.reset"\n', "", "[rate_limit.clauses] lacks required field 'reset'"),
    (IETF, 'retry = "rt.rate.retry"\n', 'retry = "rt.rate.nope"\n', "rt.rate.nope"),
    (IETF, '"delta-seconds"', '"minutes"', "'minutes'"),
    (IETF, "limit = 2\n", "limit = 0\n", "limit = 0"),
    (IETF, "window = 1\n", 'window = "1s"\n', "window = '1s'"),
    (IETF, '[rate_limit.headers]\n', '[rate_limit.headers]\nremainder = "x"\n', "remainder"),
    (HIVE, 'max = "X-Rate-Limit-Max"\n', "", "'max'"),
    (MSTUDIO, 'exempt = "yes"\n', "", "'exempt'"),
])
def test_an_incomplete_table_is_refused_naming_the_file_and_field(tmp_path, table, old, new, named):
    assert old in table
    with pytest.raises(ContractError) as caught:
        _load(tmp_path, table.replace(old, new, 1))
    assert str(tmp_path / "contract.toml") in str(caught.value) and named in str(caught.value)
    assert "\n" not in str(caught.value)


def test_apiconform_run_refuses_an_incomplete_table_before_anything_runs(tmp_path):
    root = tmp_path / "root"
    (root / "suites" / "rt").mkdir(parents=True)
    (root / "schemas").mkdir()
    (root / "suites" / "rt" / "contract.toml").write_text(HEAD + IETF.replace("window = 1\n", "") + CLAUSES)
    reports = tmp_path / "reports"
    run = subprocess.run([sys.executable, "-m", "apiconform.cli", "run", "--report-dir", str(reports)],
                         capture_output=True, text=True, timeout=120, env={"APICONFORM_ROOT": str(root),
                                                                           "PATH": "/usr/bin:/bin"})
    assert run.returncode == 2
    assert run.stderr.count("\n") == 1 and "lacks required field 'window'" in run.stderr
    assert not reports.exists()


def test_ietf_headers_are_read_and_faults_are_problems(tmp_path):
    rl = _load(tmp_path, IETF)
    good = rate.read(rl, 200, {"RateLimit-Limit": "2", "ratelimit-remaining": "1", "ratelimit-reset": "1"})
    assert (good.limit, good.remaining, good.reset, good.problems, good.missing) == (2, 1, 1.0, [], [])
    exceeded = rate.read(rl, 429, {"ratelimit-limit": "2", "ratelimit-remaining": "0", "ratelimit-reset": "1"})
    assert exceeded.missing == ["retry-after"]  # only the exceeded status owes a retry-after
    bad = rate.read(rl, 429, {"ratelimit-limit": "two", "ratelimit-remaining": "-1", "ratelimit-reset": "0.5",
                              "retry-after": "1.5"})
    assert bad.limit is None and bad.remaining == 0 and bad.reset is None and bad.retry_after is None
    assert [p.split(":")[0] for p in bad.problems] == ["ratelimit-limit", "ratelimit-remaining", "ratelimit-reset",
                                                       "retry-after"]


def test_hive_used_and_max_give_remaining_and_retry_after_may_be_fractional(tmp_path):
    rl = _load(tmp_path, HIVE)
    reading = rate.read(rl, 429, {"X-Rate-Limit-Used": "100", "X-Rate-Limit-Max": "100", "Retry-After": "3.2"})
    assert (reading.limit, reading.remaining, reading.retry_after, reading.problems) == (100, 0, 3.2, [])
    assert rate.read(rl, 200, {"X-Rate-Limit-Used": "42", "X-Rate-Limit-Max": "100"}).remaining == 58


def test_mstudio_exempt_routes_owe_no_other_header(tmp_path):
    rl = _load(tmp_path, MSTUDIO)
    exempt = rate.read(rl, 200, {"x-ratelimit-exempt": "yes"})
    assert exempt.exempt and not exempt.missing and not exempt.problems
    assert rate.read(rl, 200, {}).missing == ["X-RateLimit-Limit", "X-RateLimit-Remaining", "X-RateLimit-Reset"]


def test_epoch_reset_is_read_as_seconds_from_now(tmp_path):
    rl = _load(tmp_path, IETF.replace('"delta-seconds"', '"epoch-seconds"'))
    reading = rate.read(rl, 200, {"ratelimit-limit": "2", "ratelimit-remaining": "0", "ratelimit-reset": "1000"})
    assert reading.reset_in(now=998.5) == 1.5 and reading.reset_in(scale=10, now=998.5) == 15


def test_a_provider_without_rate_limit_gets_a_budget_that_does_nothing(tmp_path):
    mite = load_contract(contract_path("mite"))
    assert mite.rate_limit is None
    saved = (SETTINGS.store, SETTINGS.scale, SETTINGS.run_dir)
    rate.configure("auto", 1.0, tmp_path)
    try:
        api = Api(mite, Target("url", "https://mite.invalid", {}))
        budget = api.budget
        assert budget.store is None and budget.counters is None
        sent = httpx.Response(429, request=httpx.Request("GET", "https://mite.invalid/x"))
        assert budget.send(["k"], lambda: sent) is sent  # not waited for, not retried, not counted
        with budget.exclusive():
            pass
        assert rate.collect(tmp_path) == {}
    finally:
        rate.configure(*saved)


def test_the_rate_scale_reaches_the_sandbox_process():
    with start_sandbox("mite", rate_scale=12.5) as handle:
        assert handle.env["APICONFORM_RATE_SCALE"] == "12.5"
    bad = subprocess.run([sys.executable, "-m", "apiconform.sandbox", "mite", "--rate-scale", "0"],
                         capture_output=True, text=True, timeout=60)
    assert bad.returncode == 2 and "'0' is not a positive number" in bad.stderr


SPENT = {"rt": {"requests": 30, "planned_429": 1, "planned_bursts": 1, "unplanned_429": 2, "wall_s": 16.5,
                "min_wall_s": 1.5, "floor_s": 15.0, "limit": 2, "window_s": 0.1, "scale": 10.0, "target": "sandbox",
                "store": "/tmp/x"}}


def test_reports_show_the_rate_object(tmp_path):
    record = {"provider": "rt", "test": "suites/rt/test_x.py::test_x", "name": "test_x", "clauses": [],
              "area": "ratelimit", "verdict": "pass", "violated": None, "provenance": None, "message": "",
              "evidence": None, "target": "sandbox", "mode": "live", "duration": 1.0}
    write_reports([record], tmp_path, mode="live", rate=SPENT)
    assert json.loads((tmp_path / "results.json").read_text())["rate"] == SPENT
    summary = (tmp_path / "summary.md").read_text()
    # as the terminal's rate line: planned bursts, the floor at this run's pace and at the documented rate
    assert "## Rate budget" in summary and ("| requests | planned bursts | planned 429 | unplanned 429 | wall s | "
                                            "floor s | wall/floor | floor s at the documented rate |") in summary
    assert "| rt | 30 | 1 | 1 | 2 | 16.5 | 1.5 | 11.00 | 15 | 2/0.1 s (×10) |" in summary
    page = (tmp_path / "report.html").read_text()
    assert 'id="rate"' in page and '<td class="v-fail">2</td>' in page
    assert "<th>planned bursts</th>" in page and '<td>30</td><td>1</td><td>1</td><td class="v-fail">2</td>' in page
    assert "<th>floor s at the documented rate</th>" in page and "<td>15</td>" in page
    write_reports([record], tmp_path / "none", mode="live")
    assert json.loads((tmp_path / "none" / "results.json").read_text())["rate"] == {}
    assert "Rate budget" not in (tmp_path / "none" / "summary.md").read_text()


def test_unplanned_429_from_a_sandbox_makes_the_run_red_but_not_from_a_url():
    assert rate.problems(SPENT) == ["rt: 2 unplanned 429(s) from the sandbox: the rate budget let the run "
                                    "exceed the rate"]
    assert rate.problems({"rt": {**SPENT["rt"], "target": "url"}}) == []


def test_a_burst_far_slower_than_its_window_is_an_error_at_once(tmp_path, suite_run):
    """At a clock so fast that no burst of limit + 1 fits one window, the burst check says so as an `error`, not a
    `fail`: a slow machine is not a contract violation. A burst far slower than its window is not sent again."""
    _, records = suite_run("mitwirken", tmp_path, "--rate-scale", "100000", "-k", "test_one_window_above_the_limit")
    assert [(r["verdict"], r["violated"]) for r in records] == [("error", None)]
    assert "longer than one rate window" in records[0]["message"] and "attempt 1 of 3" in records[0]["message"]
