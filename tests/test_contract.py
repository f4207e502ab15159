"""The contract loader: the mite contract loads; broken contracts fail naming file and field."""
from __future__ import annotations

import pytest

from apiconform.contract import ContractError, load_contract
from apiconform.paths import contract_path
from apiconform.schemas import load_schema

MITE = contract_path("mite")


def test_mite_contract_is_complete():
    c = load_contract(MITE)
    assert c.provider == "mite"
    assert {a.name for a in c.auth} == {"api-key-header", "api-key-query", "basic"}
    assert all(cl.provenance in ("documented", "observed", "assumed") for cl in c.clauses.values())
    for res in c.resources.values():  # every schema a resource names exists and is valid 2020-12
        load_schema("mite", res.schema)
        if res.create_schema:
            load_schema("mite", res.create_schema)


def test_broken_toml_names_the_file(tmp_path):
    bad = tmp_path / "contract.toml"
    bad.write_text("[provider\nname = 'x'")
    with pytest.raises(ContractError, match=str(bad)):
        load_contract(bad)


def test_unknown_clause_reference_is_refused(tmp_path):
    text = MITE.read_text().replace('clause = "mite.auth.basic"', 'clause = "mite.auth.nope"', 1)
    bad = tmp_path / "contract.toml"
    bad.write_text(text)
    with pytest.raises(ContractError, match="mite.auth.nope"):
        load_contract(bad)


def test_bad_provenance_is_refused(tmp_path):
    text = MITE.read_text().replace('provenance = "assumed"', 'provenance = "guessed"', 1)
    bad = tmp_path / "contract.toml"
    bad.write_text(text)
    with pytest.raises(ContractError, match="guessed"):
        load_contract(bad)


def test_missing_contract_names_the_file(tmp_path):
    with pytest.raises(ContractError, match="not found"):
        load_contract(tmp_path / "nope.toml")
