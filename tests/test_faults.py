"""The fault catalogues prove every check can fail.

For each fault of each bundled sandbox, the checks run against the faulty sandbox must include a
failure, and every check that fails must fail on exactly the clause the fault breaks: no errors, no
collateral failures; a fault of a clause in the ``stateful`` area is one only a sequence shows, so only
the stateful checks may catch it. Against each clean sandbox nothing fails.

A fault runs only the checks that can see it (docs/faults.md, "Which checks a fault runs"). Each
provider's suite first runs once against its clean sandbox with ``--isolate-checks`` (every check
starts from the seeded data) and ``--sandbox-reach`` (which fault gates each check's requests
consult). A check that never consulted fault F's gate sends the same requests to the same data under
F and takes the same code path, so it gets the same answers and passes again: only the checks that
reached F's gate run under F, isolated the same way. A gate consulted outside any check's request
(at start-up) reaches every check, and then the whole suite runs.
"""
from __future__ import annotations

import pytest

from apiconform.contract.model import load_contract
from apiconform.paths import contract_path
from apiconform.sandbox import PROVIDERS, fault_catalogue

FAULTS = [(provider, fault) for provider in sorted(PROVIDERS) for fault in fault_catalogue(provider)]


def scale_args(provider: str, rate_scale) -> tuple[str, str]:
    return "--rate-scale", f"{rate_scale(provider):g}"


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_every_clause_and_area_has_a_fault(provider):
    contract = load_contract(contract_path(provider))
    catalogue = fault_catalogue(provider)
    for fault in catalogue:
        assert fault.clause in contract.clauses, f"{fault.name} names unknown clause {fault.clause}"
    assert set(contract.clauses) - {f.clause for f in catalogue} == set()
    assert {c.area for c in contract.clauses.values()} == {contract.clauses[f.clause].area for f in catalogue}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_clean_sandbox_fails_nothing(provider, tmp_path, suite_run, rate_scale):
    proc, records = suite_run(provider, tmp_path, *scale_args(provider, rate_scale))
    assert records, proc.stdout[-2000:] + proc.stderr[-2000:]
    bad = [(r["test"], r["verdict"], r["message"][:200]) for r in records if r["verdict"] != "pass"]
    assert not bad
    assert proc.returncode == 0


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_clean_sandbox_fails_nothing_check_by_check(provider, clean_runs):
    """The isolated clean run that the fault runs are chosen from passes too, and every fault is reachable."""
    run = clean_runs(provider)
    assert run.records, run.output
    bad = [(r["test"], r["verdict"], r["message"][:200]) for r in run.records if r["verdict"] != "pass"]
    assert not bad
    assert run.returncode == 0
    assert {f.name for f in fault_catalogue(provider)} - set(run.reach) == set(), "faults no check reaches"
    assert set().union(*run.reach.values()) - {"<outside any request>"} <= {r["test"] for r in run.records}


@pytest.mark.parametrize("provider,fault", FAULTS, ids=lambda v: getattr(v, "name", v))
def test_fault_fails_exactly_its_clause(provider, fault, tmp_path, suite_run, rate_scale, clean_runs):
    checks = clean_runs(provider).checks_for(fault.name)
    proc, records = suite_run(provider, tmp_path, "--sandbox-fault", fault.name, "--isolate-checks",
                              *scale_args(provider, rate_scale), checks=checks)
    assert records, proc.stdout[-2000:] + proc.stderr[-2000:]
    if checks:
        assert sorted(r["test"] for r in records) == checks, "the chosen checks did not all run"
    failed = [r for r in records if r["verdict"] != "pass"]
    assert failed, f"no check caught fault {fault.name} ({fault.clause})"
    stray = [(r["test"], r["verdict"], r["violated"], r["message"][:200]) for r in failed
             if r["verdict"] != "fail" or r["violated"] != fault.clause]
    assert not stray, f"{fault.name} should fail only {fault.clause}"
    assert all(fault.clause in r["clauses"] for r in failed)
    if load_contract(contract_path(provider)).clauses[fault.clause].area == "stateful":
        fixed = [r["test"] for r in failed if "/test_stateful.py::" not in r["test"]]
        assert not fixed, f"{fault.name} is a fault only a sequence shows, but fixed checks caught it"
    assert proc.returncode == 1
