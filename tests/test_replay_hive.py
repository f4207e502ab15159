"""Hive's cassettes carry webhook deliveries: replay verifies them as the recording did, with no network, a
cassette without them is an `error`, and the signing key (the API token) never reaches a cassette."""
from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from apiconform.sandbox.runner import start_sandbox

Data = dict[str, Any]
EVENT = "test_webhooks.py::test_event_delivered_and_signed[shipment_status_updated]"


def _deliveries_forgotten(data: Data) -> tuple[str, str | None, str]:
    data["metadata"].pop("webhooks")
    return "error", None, "no webhook deliveries recorded"


def _body_tampered(data: Data) -> tuple[str, str | None, str]:
    entry = data["metadata"]["webhooks"][0]
    entry["body"] = entry["body"].replace('"status":"', '"status":"x', 1)
    return "fail", "hive.webhook.signature", "not the HMAC-SHA256 of the raw body"


def _never_delivered(data: Data) -> tuple[str, str | None, str]:
    data["metadata"]["webhooks"] = [None]
    return "fail", "hive.webhook.delivered", "no return_status_updated delivery"


def _batch_trimmed(data: Data) -> tuple[str, str | None, str]:
    request = next(it["request"] for it in data["interactions"] if it["request"]["uri"].endswith("bulk_upsert"))
    request["body"] = json.dumps({"skus": json.loads(request["body"])["skus"][:4]})
    request["headers"]["content-length"] = [str(len(request["body"].encode()))]
    return "error", None, "does not hold 5 items"


DAMAGES: dict[str, Callable[[Data], tuple[str, str | None, str]]] = {
    EVENT: _deliveries_forgotten,
    "test_webhooks.py::test_event_delivered_and_signed[delivery_status_updated]": _body_tampered,
    "test_webhooks.py::test_event_delivered_and_signed[return_status_updated]": _never_delivered,
    "test_upsert.py::test_valid_batch_accepted": _batch_trimmed,
}


def test_damaged_deliveries_replay_as_recorded_verdicts(cassette_copy):
    cassettes = cassette_copy("hive")
    expected = {f"suites/hive/{test}": cassettes.damage(test, damage)[1] for test, damage in DAMAGES.items()}
    proc, records = cassettes.replay(list(DAMAGES))
    assert sorted(r["test"] for r in records) == sorted(expected), proc.stdout[-3000:]
    for record in records:
        verdict, clause, fragment = expected[record["test"]]
        assert (record["verdict"], record["violated"]) == (verdict, clause), (record["test"], record["message"][:300])
        assert fragment in record["message"], (record["test"], record["message"][:300])


def test_an_undamaged_copy_replays_to_pass(cassette_copy):
    """The control for the test above: the same selection, undamaged, passes."""
    proc, records = cassette_copy("hive").replay(list(DAMAGES))
    assert len(records) == len(DAMAGES) and {r["verdict"] for r in records} == {"pass"}, proc.stdout[-3000:]


def test_url_target_records_deliveries_without_the_key_and_is_unsupported_without_a_trigger(tmp_path, suite_run):
    with start_sandbox("hive", rate_scale=30) as handle:
        env = dict(handle.env)
        key = env["HIVE_API_KEY"]
        target = ["--target", env["HIVE_BASE_URL"], "--ca-bundle", env["HIVE_CA_BUNDLE"], "--rate-scale", "30",
                  "-k", "test_webhooks"]
        root = tmp_path / "cassettes"
        proc, records = suite_run("hive", tmp_path / "rec", "--mode", "record", "--cassette-dir", str(root), *target,
                                  env=env)
        assert {r["verdict"] for r in records} == {"pass"} and len(records) == 4, proc.stdout[-3000:]
        env.pop("HIVE_WEBHOOK_TRIGGER")
        proc, records = suite_run("hive", tmp_path / "live", *target, env={**env, "HIVE_WEBHOOK_TRIGGER": ""})
    assert {r["verdict"] for r in records} == {"unsupported"} and len(records) == 4, proc.stdout[-3000:]
    assert "trigger" in records[0]["message"] and proc.returncode == 0
    texts = [p.read_text(encoding="utf-8") for p in (root / "hive").glob("*.yaml")]
    assert len(texts) == 4 and all("webhooks:" in t and "x-hive-signature" in t for t in texts)
    assert not any(key in t for t in texts)
    _, replayed = suite_run("hive", tmp_path / "rep", "--mode", "replay", "--cassette-dir", str(root), "-k",
                            "test_webhooks")
    assert {r["verdict"] for r in replayed} == {"pass"} and len(replayed) == 4
