"""The stateful checks' engine (checks/stateful.py): the [stateful] table is checked when the contract loads,
a failure is shrunk and reported as its steps with the list answer that showed it as evidence, and live
and record send the same requests, so replay can play them."""
from __future__ import annotations

import pytest
import yaml

from apiconform.contract.model import ContractError, load_contract
from apiconform.paths import cassettes_dir, contract_path
from apiconform.record.cassettes import cassette_name

MITE = contract_path("mite")
CHECK = "suites/mite/test_stateful.py::test_sequences"


@pytest.mark.parametrize("old,new,culprit", [
    ('clause = "mite.stateful.model"', 'clause = "mite.stateful.nope"', "mite.stateful.nope"),
    ('resource = "customers"\nclause', 'resource = "clients"\nclause', "clients"),
    ('marker = "apiconform stateful"', 'marker = "somebody else"', "marker"),
    ('update = { name = "apiconform stateful', 'update = { name = "renamed', "keep it"),
    ("steps = 12", "steps = 0", "steps"),
    ('label = "name"\nmarker', 'labels = "name"\nmarker', "labels"),
])
def test_a_bad_stateful_table_is_refused(tmp_path, old, new, culprit):
    text = MITE.read_text()
    assert old in text
    bad = tmp_path / "contract.toml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ContractError, match=culprit):
        load_contract(bad)


def test_a_failure_is_shrunk_and_shows_its_steps(tmp_path, suite_run):
    """Against a sandbox whose filtered list keeps a deleted record once another was created after it, the
    check fails on its clause; the message lists the steps (a create, a delete, a later create, the walk),
    fewer than the sampled budget, and the evidence is the list answer that still shows the deleted record."""
    proc, records = suite_run("mite", tmp_path, "--sandbox-fault", "list-keeps-deleted-after-create",
                              checks=[CHECK])
    [record] = records
    assert record["verdict"] == "fail" and record["violated"] == "mite.stateful.model", proc.stdout[-2000:]
    message = record["message"]
    assert "after the steps 1. create" in message and "delete" in message and "list every page" in message
    steps = message.split(": the walk")[0].count("; ") + 1
    table = load_contract(MITE).raw["stateful"]
    assert steps <= table["steps"] + table["steps"] // 2 + 1  # the steps and the walks after writes, at most
    evidence = record["evidence"]["request"]
    assert evidence["method"] == "GET" and "/customers.json?name=apiconform+stateful" in evidence["url"]
    assert proc.returncode == 1


def test_live_and_record_send_what_the_cassette_replays(tmp_path, suite_run):
    """A fresh recording against a clean sandbox holds the committed cassette's requests, in its order: the
    sequences are derandomised and their values depend only on the step, so replay sends them again."""
    proc, records = suite_run("mite", tmp_path, "--mode", "record", "--cassette-dir", str(tmp_path / "c"),
                              checks=[CHECK])
    assert [r["verdict"] for r in records] == ["pass"], proc.stdout[-2000:]
    name = cassette_name(CHECK)
    fresh, committed = (yaml.safe_load(p.read_text())["interactions"]
                        for p in (tmp_path / "c" / "mite" / name, cassettes_dir("mite") / name))
    assert len(committed) > 20

    def sent(interactions):
        return [(i["request"]["method"], i["request"]["uri"], i["request"]["body"]) for i in interactions]

    assert sent(fresh) == sent(committed)
