"""Verdicts are honest: a broken network is an error, a differing assumption is `differs`."""
from __future__ import annotations

import socket

import pytest

from apiconform.checks.common import discard
from apiconform.contract.deviations import stale
from apiconform.contract.model import load_contract
from apiconform.http.client import Api, Target
from apiconform.paths import contract_path
from apiconform.verdict import ContractViolation, HarnessError


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_unreachable_target_gives_errors_never_fails(tmp_path, suite_run, sandbox):
    env = dict(sandbox.env)
    proc, records = suite_run("mite", tmp_path, "--target", f"https://127.0.0.1:{_closed_port()}",
                              "--ca-bundle", env["MITE_CA_BUNDLE"], "-k", "test_auth or test_formats", env=env)
    assert records
    assert {r["verdict"] for r in records} <= {"error", "pass"}  # plain-HTTP refusal passes: nothing served
    assert "error" in {r["verdict"] for r in records}
    assert proc.returncode == 1


def test_missing_credentials_are_named(tmp_path, suite_run):
    env = {k: "" for k in ("MITE_ACCOUNT", "MITE_API_KEY", "MITE_EMAIL", "MITE_PASSWORD")}
    proc, records = suite_run("mite", tmp_path, "--target", "https://127.0.0.1:9", "-k", "test_head_like_get",
                              env=env)
    (record,) = records
    assert record["verdict"] == "error"
    assert "MITE_API_KEY" in record["message"] and "MITE_PASSWORD" in record["message"]


def test_assumed_clause_on_a_live_target_is_reported_as_differs(tmp_path, suite_run):
    """Live against a URL, and again replayed from what that run recorded: both say `differs`."""
    from apiconform.sandbox.runner import start_sandbox

    cassettes = tmp_path / "cassettes"
    with start_sandbox("mite", ["users-visible-to-time-tracker"]) as handle:
        env = dict(handle.env)
        live = suite_run("mite", tmp_path / "live", "--target", env["MITE_BASE_URL"], "--ca-bundle",
                         env["MITE_CA_BUNDLE"], "-k", "test_status", "--mode", "record",
                         "--cassette-dir", str(cassettes), env=env)
    replay = suite_run("mite", tmp_path / "replay", "--mode", "replay", "--cassette-dir", str(cassettes),
                       "-k", "test_status")
    for proc, records in (live, replay):
        verdicts = {r["name"]: r["verdict"] for r in records}
        assert verdicts["test_time_tracker_cannot_list_users_403"] == "differs"
        assert {v for k, v in verdicts.items() if k != "test_time_tracker_cannot_list_users_403"} == {"pass"}
        assert proc.returncode == 0
    assert {r["recorded_from"] for r in replay[1]} == {"url"}


def test_a_cassette_from_the_sandbox_still_fails_a_broken_assumption(tmp_path, suite_run):
    """Replay says `differs` only for cassettes recorded from a real target, not from the sandbox."""
    cassettes = tmp_path / "cassettes"
    suite_run("mite", tmp_path / "rec", "--mode", "record", "--sandbox-fault", "users-visible-to-time-tracker",
              "--cassette-dir", str(cassettes), "-k", "test_time_tracker_cannot_list_users_403")
    proc, records = suite_run("mite", tmp_path / "replay", "--mode", "replay", "--cassette-dir", str(cassettes),
                              "-k", "test_time_tracker_cannot_list_users_403")
    assert [(r["verdict"], r["recorded_from"]) for r in records] == [("fail", "sandbox")]
    assert proc.returncode != 0


def test_credentials_never_go_over_plain_http():
    contract = load_contract(contract_path("mite"))
    api = Api(contract, Target(kind="url", base_url=f"http://127.0.0.1:{_closed_port()}",
                               credentials={"api_key": "0f1e2d3c4b5a6978", "email": "a@b", "password": "pw"}))
    for variant in ("api-key-header", "api-key-query", "basic"):
        with pytest.raises(HarnessError, match="plain HTTP"):
            api.get("myself", auth=variant)
    assert api.exchanges == []


def test_listed_deviation_is_expected_and_a_stale_one_is_reported(tmp_path, suite_run):
    listed = tmp_path / "deviations.toml"
    listed.write_text('[[deviations]]\nclause = "mite.cond.304"\nreason = "known: no 304 here"\n')
    args = ("--deviations", str(listed), "-k", "test_conditional")
    proc, records = suite_run("mite", tmp_path / "a", "--sandbox-fault", "etag-ignored", *args)
    assert sorted(r["verdict"] for r in records) == ["expected", "pass", "pass"]
    assert proc.returncode == 0
    proc, records = suite_run("mite", tmp_path / "b", *args)
    (stale,) = [r for r in records if r["verdict"] != "pass"]
    assert stale["verdict"] == "fail" and "no longer happens" in stale["message"]
    assert proc.returncode == 1


def test_only_a_pass_proves_a_deviation_gone():
    def rec(verdict: str, violated: str | None = None) -> dict:
        return {"provider": "mite", "test": f"t-{verdict}", "clauses": ["mite.cond.304"], "area": "conditional",
                "verdict": verdict, "violated": violated, "target": "url", "mode": "live"}

    listed = {"mite.cond.304": "known"}
    for verdicts in (["error"], ["skip"], ["pass", "error"], ["pass", "skip", "error"], ["fail"]):
        assert stale([rec(v, "mite.status.allowed" if v == "fail" else None) for v in verdicts], listed, "d") == []
    (record,) = stale([rec("pass"), rec("skip")], listed, "d")
    assert record["verdict"] == "fail" and record["violated"] == "mite.cond.304"


def test_unreachable_target_does_not_make_deviations_stale(tmp_path, suite_run):
    listed = tmp_path / "deviations.toml"
    listed.write_text('[[deviations]]\nclause = "mite.cond.304"\nreason = "known"\n')
    env = {"MITE_ACCOUNT": "demo", "MITE_API_KEY": "0123456789abcdef", "MITE_EMAIL": "a@example.invalid",
           "MITE_PASSWORD": "not-a-real-password"}
    target = f"https://127.0.0.1:{_closed_port()}"
    proc, records = suite_run("mite", tmp_path / "a", "--target", target, "--deviations", str(listed),
                              "-k", "test_conditional", env=env)
    assert records and {r["verdict"] for r in records} == {"error"}
    assert not [r for r in records if "no longer happens" in r["message"]]


def test_broken_deviations_file_is_named(tmp_path, suite_run):
    listed = tmp_path / "deviations.toml"
    listed.write_text("[[deviations]\n")
    proc, records = suite_run("mite", tmp_path / "a", "--deviations", str(listed))
    assert proc.returncode != 0 and str(listed) in proc.stderr + proc.stdout


def test_cleanup_never_replaces_a_verdict_in_flight():
    """A check that failed and then cannot clean up still fails; a cleanup alone that breaks is an error."""
    contract = load_contract(contract_path("mite"))
    target = Target("url", f"https://127.0.0.1:{_closed_port()}", {"api_key": "0123456789abcdef"})
    api = Api(contract, target)
    services = contract.resources["services"]
    with pytest.raises(ContractViolation) as caught:
        try:
            raise ContractViolation("mite.cond.304", "the check's own finding")
        finally:
            discard(api, services, 1)
    assert "cleanup of services 1 failed too" in "".join(caught.value.__notes__)
    with pytest.raises(HarnessError):
        discard(api, services, 1)


def test_a_refusal_outside_a_variants_methods_is_not_a_refused_credential(sandbox):
    """mite documents the query key for GET only: a POST with it refused is the contract's answer, while a GET
    with it still carries the variant's clause (so a refused GET would fail it)."""
    from apiconform.http.targets import credentials_from

    contract = load_contract(contract_path("mite"))
    env = sandbox.env
    api = Api(contract, Target("url", env["MITE_BASE_URL"], credentials_from(contract, env),
                               ca_bundle=env["MITE_CA_BUNDLE"]))
    refused = api.post("customers", {"customer": {"name": "apiconform query-key write"}}, auth="api-key-query")
    assert refused.status == 401 and refused.genuine_auth == ""
    assert api.get("customers", auth="api-key-query").genuine_auth == "mite.auth.query-key"
