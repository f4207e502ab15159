"""The stateful checks' engine (checks/stateful.py): the [stateful] table is checked when the contract loads,
a failure is shrunk and reported as its steps with the list answer that showed it as evidence, and live
and record send the same requests, so replay can play them."""
from __future__ import annotations

import html
import re

import pytest
import yaml

from apiconform.checks import stateful
from apiconform.contract.model import ContractError, load_contract
from apiconform.http.client import Api, Target
from apiconform.http.targets import credentials_from
from apiconform.paths import cassettes_dir, contract_path
from apiconform.record.cassettes import cassette_name
from apiconform.sandbox import offset, pages
from apiconform.sandbox.runner import start_sandbox
from apiconform.verdict import ContractViolation

MITE = contract_path("mite")
CHECK = "suites/mite/test_stateful.py::test_sequences"


@pytest.mark.parametrize("old,new,culprit", [
    ('clause = "mite.stateful.model"', 'clause = "mite.stateful.nope"', "mite.stateful.nope"),
    ('resource = "customers"\nclause', 'resource = "clients"\nclause', "clients"),
    ('marker = "apiconform stateful"', 'marker = "somebody else"', "marker"),
    ('update = { name = "apiconform stateful', 'update = { name = "renamed', "keep it"),
    ("steps = 12", "steps = 0", "steps"),
    ('label = "name"\nmarker', 'labels = "name"\nmarker', "labels"),
    ('create = "mite.payload.valid-accepted"', 'created = "mite.payload.valid-accepted"', "created"),
    ('walk = "mite.page.walk"', 'walk = "mite.page.nope"', "mite.page.nope"),
    ("live = 4\n", 'live = 4\ncounter = { headers = "X-Total" }\n', "counter"),
    ("live = 4\n", 'live = 4\nrole = "time_tracker"\n', "time_tracker"),
    ("live = 4\n", "live = 4\nshrink_seconds = 0\n", "shrink_seconds"),
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
    # The whole sequence: in results.json each step with every request it sent, and in the terminal block,
    # summary.md and report.html as a repro script: the numbered steps, a curl line for every request,
    # credentials as variable references.
    sequence = record["evidence"]["sequence"]
    assert len(sequence) == steps and all(step["requests"] for step in sequence)
    assert [step["step"].split()[0] for step in sequence] == [part.split(". ")[1].split()[0] for part in
                                                              message.split(": the walk")[0].split("; ")]
    sent = [req for step in sequence for req in step["requests"]]
    assert {req["method"] for req in sent} >= {"POST", "DELETE", "GET"}
    expected = [f"# {i}. {step['step'].split()[0]}" for i, step in enumerate(sequence, 1)]
    for shown in (proc.stdout, (tmp_path / "summary.md").read_text(),
                  html.unescape((tmp_path / "report.html").read_text())):
        script = shown[shown.index("# 1. create"):]
        assert [line.strip()[:len(e)] for line, e in zip(
            [ln for ln in script.splitlines() if ln.strip().startswith("# ")], expected, strict=False)] == expected
        curls = [ln for ln in script.splitlines() if ln.strip().startswith("curl ")][:len(sent)]
        assert len(curls) == len(sent) and all("${MITE_API_KEY}" in c for c in curls)
        assert not any(re.search(r"\b[0-9a-f]{16}\b", c) for c in curls)  # no key value (mite's are 16 hex)
        assert sum("-X POST" in c for c in curls) == sum(r["method"] == "POST" for r in sent)
        assert sum("-X DELETE" in c for c in curls) == sum(r["method"] == "DELETE" for r in sent)
    assert "repro script (writes to the target):" in proc.stdout


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


@pytest.mark.parametrize("provider,counter,fault,caught", [
    ("mstudio", {"header": "X-Pagination-TotalCount"}, offset.TOTAL_OFF_BY_ONE, r"counts \d+ items"),
    ("mstudio", {"header": "X-Pagination-TotalCount"}, offset.HEADERS_MISSING, "carries no count"),
    ("hive", {"field": "pagination.item_count"}, pages.ITEM_COUNT_OFF_BY_ONE, "yields"),
])
def test_a_walk_is_counted_by_the_header_or_field_the_table_names(provider, counter, fault, caught):
    """[stateful] counter: every page of a walk counts the items the walk yields. Against a sandbox that counts
    (mStudio's X-Pagination-TotalCount, Hive's pagination.item_count) the count passes, and fails its clause
    when the sandbox counts one too many or not at all. The walk here is a plain page-by-page read of a seeded
    list, so the count is judged on real answers."""
    contract = load_contract(contract_path(provider))
    clause = contract.writes["read_clause"]  # any clause of the contract: the test names which fails
    for faults in ((), (fault,)):
        with start_sandbox(provider, faults, rate_scale=10_000) as handle:
            api = Api(contract, url_target_of(contract, handle.env))
            answers, items = walk_seeded(api, provider)
            assert items and len(answers) >= (2 if provider == "mstudio" else 1), (provider, len(answers))
            if not faults:
                stateful.expect_count(answers, len(items), counter, clause)
                continue
            with pytest.raises(ContractViolation, match=caught) as found:
                stateful.expect_count(answers, len(items), counter, clause)
            assert found.value.clause == clause


def url_target_of(contract, env: dict[str, str]) -> Target:
    prefix = contract.env_prefix
    return Target(kind="url", base_url=env[f"{prefix}_BASE_URL"], credentials=credentials_from(contract, env),
                  ca_bundle=env.get(f"{prefix}_CA_BUNDLE"))


def walk_seeded(api: Api, provider: str) -> tuple[list, list]:
    """Every page of a seeded list (mStudio's: four pages of 4; Hive's orders: one page) and every item on them."""
    answers, items = [], []
    for page in range(50):
        params = {"limit": 4, "skip": 4 * page} if provider == "mstudio" else {"page": page + 1}
        path = api.contract.pagination["list"] if provider == "mstudio" else "orders"
        ex = api.get(path, params=params, invariants=False)
        assert ex.status == 200, ex.text[:200]
        got = ex.data() if provider == "mstudio" else ex.data()["data"]
        answers.append(ex)
        items += got
        if len(got) < (4 if provider == "mstudio" else api.contract.pagination["per_page"]):
            return answers, items
    raise AssertionError("the seeded list did not end")


@pytest.mark.parametrize("old,new,culprit", [
    ('\nids = "listed"\n', '\nids = "guessed"\n', "ids"),
    ('uncounted = "mstudio.page.headers-present"', 'uncounted = "mstudio.page.nope"', "mstudio.page.nope"),
])
def test_a_bad_mstudio_stateful_table_is_refused(tmp_path, old, new, culprit):
    """mStudio's keys (ids, the uncounted kind) are checked when the contract loads, like the others."""
    text = contract_path("mstudio").read_text()
    assert old in text
    bad = tmp_path / "contract.toml"
    bad.write_text(text.replace(old, new, 1))
    with pytest.raises(ContractError, match=culprit):
        load_contract(bad)


def test_events_need_a_consistency_table(tmp_path):
    """events = true waits with [consistency]'s headers: a contract without that table is refused."""
    text = contract_path("mstudio").read_text()
    start = text.index("[consistency]\n")
    bad = tmp_path / "contract.toml"
    bad.write_text(text[:start] + text[text.index("[writes]\n"):])
    with pytest.raises(ContractError, match="consistency"):
        load_contract(bad)
