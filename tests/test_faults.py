"""The fault catalogue proves every check can fail.

For each fault of the mite sandbox, a suite run against the faulty sandbox must fail at
least one check, and every check that fails must fail on exactly the clause the fault breaks:
no errors, no collateral failures. Against the clean sandbox nothing fails.
"""
from __future__ import annotations

import pytest

from apiconform.contract import load_contract
from apiconform.paths import contract_path
from apiconform.sandbox import fault_catalogue

FAULTS = fault_catalogue("mite")
CONTRACT = load_contract(contract_path("mite"))


def test_every_fault_names_a_clause_and_every_area_has_a_fault():
    areas = {c.area for c in CONTRACT.clauses.values()}
    for fault in FAULTS:
        assert fault.clause in CONTRACT.clauses, f"{fault.name} names unknown clause {fault.clause}"
    covered = {CONTRACT.clauses[f.clause].area for f in FAULTS}
    assert covered == areas, f"areas without a fault: {areas - covered}"


def test_every_clause_has_a_fault():
    broken = {f.clause for f in FAULTS}
    assert set(CONTRACT.clauses) - broken == set()


def test_clean_sandbox_fails_nothing(tmp_path, suite_run):
    proc, records = suite_run("mite", tmp_path)
    assert records, proc.stdout[-2000:] + proc.stderr[-2000:]
    bad = [(r["test"], r["verdict"], r["message"][:200]) for r in records if r["verdict"] != "pass"]
    assert not bad
    assert proc.returncode == 0


@pytest.mark.parametrize("fault", FAULTS, ids=lambda f: f.name)
def test_fault_fails_exactly_its_clause(fault, tmp_path, suite_run):
    proc, records = suite_run("mite", tmp_path, "--sandbox-fault", fault.name)
    assert records, proc.stdout[-2000:] + proc.stderr[-2000:]
    failed = [r for r in records if r["verdict"] != "pass"]
    assert failed, f"no check caught fault {fault.name} ({fault.clause})"
    stray = [(r["test"], r["verdict"], r["violated"], r["message"][:200]) for r in failed
             if r["verdict"] != "fail" or r["violated"] != fault.clause]
    assert not stray, f"{fault.name} should fail only {fault.clause}"
    assert all(fault.clause in r["clauses"] for r in failed)
    assert proc.returncode == 1
