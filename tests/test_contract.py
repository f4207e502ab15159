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


@pytest.mark.parametrize("old,new", [('clause = "mite.auth.basic"', 'clause = "mite.auth.nope"'),
                                     ('provenance = "assumed"', 'provenance = "guessed"'),
                                     ('credential = "api_key"', 'credential = "nope_key"'),
                                     ('read_clause = "mite.status.200-read"', 'read_clause = "mite.status.nope"'),
                                     ('values = [true, false]', 'values = [true] # "locked"')])
def test_inconsistent_contract_is_refused_naming_the_culprit(tmp_path, old, new):
    bad = tmp_path / "contract.toml"
    bad.write_text(MITE.read_text().replace(old, new, 1))
    with pytest.raises(ContractError, match=new.split('"')[1]):
        load_contract(bad)


def test_missing_contract_names_the_file(tmp_path):
    with pytest.raises(ContractError, match="not found"):
        load_contract(tmp_path / "nope.toml")
