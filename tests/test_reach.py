"""The fault tests' sandbox mode (apiconform.sandbox.reach): checks isolated from each other, gates logged.

tests/test_faults.py runs under a fault only the checks that reached its gate against the clean
sandbox. That is sound only if the sandbox really restores its seeded data per check and really logs
every gate a check's requests consult; these tests hold it to both, and compare the chosen checks
with the whole suite for a sample of faults.
"""
from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiconform.sandbox.reach import CHECK_HEADER, OUTSIDE, read_reach
from apiconform.sandbox.runner import SandboxHandle, start_sandbox

UNLIMITED = 10_000


def _client(handle: SandboxHandle, check: str | None) -> httpx.Client:
    env = handle.env
    headers = {"Authorization": f"Bearer {env['MITWIRKEN_API_KEY']}", **({CHECK_HEADER: check} if check else {})}
    verify = ssl.create_default_context(cafile=env["MITWIRKEN_CA_BUNDLE"])
    return httpx.Client(base_url=env["MITWIRKEN_BASE_URL"], verify=verify, headers=headers, timeout=10)


@pytest.fixture
def isolated(tmp_path) -> Iterator[tuple[SandboxHandle, Path]]:
    log = tmp_path / "reach.jsonl"
    with start_sandbox("mitwirken", rate_scale=UNLIMITED, isolate_checks=True, reach_log=log) as handle:
        yield handle, log


def _emails(c: httpx.Client) -> set[str]:
    return {m["email"] for m in c.get("/members", params={"limit": 100}).json()["data"]}


def test_each_check_starts_from_the_seeded_data(isolated):
    handle, _ = isolated
    with _client(handle, "check-a") as a, _client(handle, "check-b") as b:
        seeded = _emails(a)
        assert a.post("/members", json={"email": "isolated@example.org"}).status_code in (200, 201)
        assert _emails(a) == seeded | {"isolated@example.org"}  # within one check, what it wrote stays
        assert _emails(b) == seeded  # a new check: the seed again
        assert _emails(a) == seeded  # and back: check-a's member went with its turn


def test_without_isolation_data_carries_over(tmp_path):
    with start_sandbox("mitwirken", rate_scale=UNLIMITED, reach_log=tmp_path / "reach.jsonl") as handle, \
            _client(handle, "check-a") as a, _client(handle, "check-b") as b:
        a.post("/members", json={"email": "carried@example.org"})
        assert "carried@example.org" in _emails(b)


def test_gates_are_logged_with_the_check_that_consulted_them(isolated):
    handle, log = isolated
    with _client(handle, "reads") as c:
        c.get("/members")
    with _client(handle, "writes") as c:
        c.post("/members", json={"email": "gates@example.org"})
    reach = read_reach(log)
    checks = set().union(*reach.values())
    assert {"reads", "writes"} <= checks
    assert any("writes" in found and "reads" not in found for found in reach.values()), reach
    assert "full-key-refused" in reach and {"reads", "writes"} <= reach["full-key-refused"]
    # The plain-HTTP port's fault is decided at start-up, outside any request: it reaches every check.
    assert reach["plain-http-served"] == {OUTSIDE}


SAMPLE = [("mite", "create-no-location"), ("mitwirken", "unknown-id-400"), ("hive", "delete-is-hard"),
          ("mstudio", "unknown-id-400")]


@pytest.mark.parametrize("provider,fault", SAMPLE)
def test_the_chosen_checks_fail_as_the_whole_suite_does(provider, fault, tmp_path, suite_run, rate_scale,
                                                        clean_runs):
    """The argument in test_faults.py, checked by experiment: under the fault, the whole suite fails exactly
    the checks that the chosen ones fail, on the same clause."""
    checks = clean_runs(provider).checks_for(fault)
    assert checks, f"{fault} reaches every check: pick a sample fault that does not"
    args = ("--sandbox-fault", fault, "--isolate-checks", "--rate-scale", f"{rate_scale(provider):g}")
    _, chosen = suite_run(provider, tmp_path / "chosen", *args, checks=checks)
    _, whole = suite_run(provider, tmp_path / "whole", *args)
    verdicts = {r["test"]: (r["verdict"], r["violated"]) for r in whole}
    failed = {t: v for t, v in verdicts.items() if v[0] != "pass"}
    assert failed and set(failed) <= set(checks)
    assert {r["test"]: (r["verdict"], r["violated"]) for r in chosen} == {t: verdicts[t] for t in checks}
