"""The contract loader: the mite contract loads; broken contracts fail naming file and field."""
from __future__ import annotations

import pytest

from apiconform.contract.model import ContractError, load_contract
from apiconform.contract.schemas import load_schema
from apiconform.paths import contract_path

MITE = contract_path("mite")
MITWIRKEN = contract_path("mitwirken")


def test_mite_contract_is_complete():
    c = load_contract(MITE)
    assert c.provider == "mite"
    assert {a.name for a in c.auth} == {"api-key-header", "api-key-query", "basic"}
    assert all(cl.provenance in ("documented", "observed", "assumed") for cl in c.clauses.values())
    for res in c.resources.values():  # every schema a resource names exists and is valid 2020-12
        load_schema("mite", res.schema)
        if res.create_schema:
            load_schema("mite", res.create_schema)


def test_mitwirken_contract_is_complete():
    c = load_contract(MITWIRKEN)
    assert [a.kind for a in c.auth] == ["bearer"]
    assert c.refusal_statuses == (401, 403) and c.probe_status("missing") == 401 and c.probe_status("wrong") == 403
    assert not c.may("restricted_api_key", "PATCH") and c.may("restricted_api_key", "GET") and c.may("api_key", "POST")
    members = c.resources["members"]
    assert members.wrap({"email": "a@b.cd"}) == {"email": "a@b.cd"} and members.unwrap({"id": "x"}) == {"id": "x"}
    for name in (members.schema, members.create_schema, members.update_schema, c.errors["json"]):
        load_schema("mitwirken", name)
    undocumented = {cl.id for cl in c.clauses.values() if cl.provenance == "assumed"}
    assert {"mitwirken.error.body", "mitwirken.schema.resources", "mitwirken.page.walk"} <= undocumented
    assert all(cl.source for cl in c.clauses.values())


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


@pytest.mark.parametrize("old,new", [("[roles.restricted_api_key]", "[roles.nope_key]"),
                                     ('constraint_clause = "mitwirken.payload.constraints"',
                                      'constraint_clause = "mitwirken.payload.nope"'),
                                     ('error_type = "mitwirken.error.types"', 'error_type = "mitwirken.error.nope"'),
                                     ('action = "update"', 'action = "upsert"'),
                                     ('update_schema = "member.update.json"', '# no update schema "update_schema"')])
def test_inconsistent_mitwirken_contract_is_refused(tmp_path, old, new):
    bad = tmp_path / "contract.toml"
    bad.write_text(MITWIRKEN.read_text().replace(old, new, 1))
    culprit = new.split('"')[1] if '"' in new else new.strip("[]").split(".")[1]
    with pytest.raises(ContractError, match=culprit):
        load_contract(bad)


def test_missing_contract_names_the_file(tmp_path):
    with pytest.raises(ContractError, match="not found"):
        load_contract(tmp_path / "nope.toml")


def test_a_look_alike_too_short_to_scrub_is_refused(tmp_path):
    bad = tmp_path / "contract.toml"
    bad.write_text(MITWIRKEN.read_text().replace('look_alikes = ["rate_limit_exceeded"]', 'look_alikes = ["ok"]', 1))
    with pytest.raises(ContractError, match=r"contract.toml: \[scrub\] look_alikes"):
        load_contract(bad)


def test_auth_methods_are_read_by_class(tmp_path):
    """``[[auth]] methods`` takes single methods and the classes read and write; the checks read each class."""
    c = load_contract(MITE)
    query, basic = c.auth_variant("api-key-query"), c.auth_variant("basic")
    assert query.of_class("read") == ("GET",) and query.of_class("write") == ()
    assert basic.of_class("read") == ("GET", "HEAD") and basic.of_class("write") == ("POST", "PATCH", "PUT", "DELETE")
    classes = tmp_path / "contract.toml"
    classes.write_text(MITE.read_text().replace('methods = ["GET"]', 'methods = ["read", "write", "GET"]', 1))
    assert load_contract(classes).auth_variant("api-key-query").methods == ("GET", "HEAD", "POST", "PUT", "PATCH",
                                                                            "DELETE")


@pytest.mark.parametrize("old,new,culprit", [
    ('methods = ["GET"]', 'methods = ["FETCH"]', "FETCH"),
    ('methods = ["GET"]', 'methods = []', "declares no methods"),
    ('resource = "customers"', 'resource = "account"', "account"),
    ('PUT = "mite.verb.put-alias", ', '', "PUT"),
    ('[auth_probes.write]', '[auth_probes.nowrite]', "write"),
])
def test_declared_auth_methods_must_be_exercisable(tmp_path, old, new, culprit):
    """A write method a variant declares needs [auth_probes.write]: a resource with a sample and its clause."""
    bad = tmp_path / "contract.toml"
    bad.write_text(MITE.read_text().replace(old, new, 1))
    with pytest.raises(ContractError, match=culprit):
        load_contract(bad)
