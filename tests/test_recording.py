"""Recording and replay: scrubbed, atomic, socket-free; broken cassettes are errors naming the file."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from vcr.request import Request

from apiconform.paths import cassettes_dir
from apiconform.record.cassettes import cassette, cassette_name, check_cassette, make_persister, recorder
from apiconform.record.scrub import Scrubber, SecretLeak

AUTH_TEST = "suites/mite/test_auth.py::test_variant_authenticates[basic]"


def test_replay_of_committed_cassettes_passes_without_network(tmp_path, suite_run):
    proc, records = suite_run("mite", tmp_path, "--mode", "replay")
    assert records, proc.stdout[-2000:]
    assert {r["verdict"] for r in records} == {"pass"}, [r["message"] for r in records if r["verdict"] != "pass"]
    assert {r["target"] for r in records} == {"cassettes"}
    assert proc.returncode == 0


def test_record_scrubs_every_credential(tmp_path, suite_run, sandbox):
    env = dict(sandbox.env)
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "record", "--target", env["MITE_BASE_URL"],
                              "--ca-bundle", env["MITE_CA_BUNDLE"], "--cassette-dir", str(tmp_path / "c"),
                              "-k", "test_auth or test_payloads", env=env)
    assert records and {r["verdict"] for r in records} <= {"pass"}, proc.stdout[-3000:]
    written = list((tmp_path / "c" / "mite").glob("*.yaml"))
    assert len(written) == len(records)
    secrets = [env[k] for k in ("MITE_API_KEY", "MITE_PASSWORD", "MITE_EMAIL", "MITE_TIME_TRACKER_API_KEY",
                                "MITE_REVOKED_API_KEY")]
    for path in written:
        text = path.read_text()
        assert not [s for s in secrets if s in text], path
        assert "127.0.0.1" not in text, path  # the target's address is rewritten to replay.invalid
    # ... and the fresh recording replays to the same verdicts.
    proc, replayed = suite_run("mite", tmp_path / "p", "--mode", "replay", "--cassette-dir", str(tmp_path / "c"),
                               "-k", "test_auth or test_payloads")
    assert sorted((r["test"], r["verdict"]) for r in replayed) == sorted((r["test"], r["verdict"]) for r in records)


def _copy_cassettes(tmp_path: Path) -> Path:
    root = tmp_path / "cassettes"
    shutil.copytree(cassettes_dir("mite"), root / "mite")
    return root


def test_missing_cassette_entry_is_an_error_naming_the_request(tmp_path, suite_run):
    root = _copy_cassettes(tmp_path)
    path = root / "mite" / "test_formats__test_head_like_get.yaml"
    text = path.read_text()
    path.write_text(text[: text.index("- request:", text.index("- request:") + 1)] + "version: 1\n")
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", "--cassette-dir", str(root),
                              "-k", "test_head_like_get")
    (record,) = records
    assert record["verdict"] == "error"
    assert "HEAD /myself.json" in record["message"] and "cassette" in record["message"]
    assert proc.returncode == 1


@pytest.mark.parametrize("damage", ["corrupt", "missing"])
def test_broken_cassette_is_an_error_naming_the_file(tmp_path, suite_run, damage):
    root = _copy_cassettes(tmp_path)
    path = root / "mite" / "test_formats__test_head_like_get.yaml"
    if damage == "corrupt":
        path.write_text("interactions: [ {request: \n  ::: not yaml")
    else:
        path.unlink()
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "replay", "--cassette-dir", str(root),
                              "-k", "test_head_like_get")
    (record,) = records
    assert record["verdict"] == "error"
    assert str(path) in record["message"]


def test_gate_refuses_a_leaking_cassette_and_keeps_the_old_one(tmp_path):
    path = tmp_path / "c.yaml"
    path.write_text("old recording\n")
    persister = make_persister(Scrubber({"api_key": "0f1e2d3c4b5a6978"}))
    leaking = {"requests": [Request("GET", "https://x.invalid/a.json", b"key 0f1e2d3c4b5a6978", {})],
               "responses": [{"status": {"code": 200, "message": "OK"}, "headers": {}, "body": {"string": b""}}]}
    with pytest.raises(SecretLeak, match="api_key"):
        persister.save_cassette(str(path), leaking, serializer=__import__("vcr.serializers.yamlserializer",
                                                                          fromlist=["x"]))
    assert path.read_text() == "old recording\n"
    assert [p.name for p in tmp_path.iterdir()] == ["c.yaml"]  # no temp file left behind


def test_recording_keeps_content_length_true_to_the_scrubbed_bodies(tmp_path):
    """Scrubbing and the base-URL rewrite change body lengths; the replay check compares them."""
    base, secret = "https://127.0.0.1:4431", "0f1e2d3c4b5a6978"
    scrubber = Scrubber({"api_key": secret})
    body = f'{{"url": "{base}/a.json", "key": "{secret}"}}'.encode()
    vcr_ = recorder(scrubber, [base], "record", ["X-MiteApiKey"], ["api_key"])
    path = tmp_path / "c.yaml"
    with cassette(vcr_, path, scrubber, "sandbox", "mite") as cas:
        cas.append(Request("POST", f"{base}/a.json", body, {"content-length": str(len(body))}),
                   {"status": {"code": 201, "message": "Created"},
                    "headers": {"content-length": [str(len(body))]}, "body": {"string": body}})
    text = path.read_text()
    assert secret not in text and base not in text
    check_cassette(path)  # raises if a recorded Content-Length no longer matches its body


def test_recording_without_writes_keeps_the_cassettes_of_the_checks_it_skips(tmp_path, suite_run, sandbox):
    """A check skipped for want of --allow-writes recorded only its reads: its committed cassette, which holds the
    writes too, stays as it was, and the run says which cassettes it replaced and which it kept."""
    env = dict(sandbox.env)
    root = _copy_cassettes(tmp_path)
    before = {p.name: p.read_bytes() for p in (root / "mite").glob("*.yaml")}
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "record", "--target", env["MITE_BASE_URL"],
                              "--ca-bundle", env["MITE_CA_BUNDLE"], "--cassette-dir", str(root),
                              "-k", "test_payloads or test_variant_authenticates", env=env, allow_writes=False)
    fates = {r["test"]: (r["verdict"], r.get("cassette")) for r in records}
    skipped = [t for t, (v, _) in fates.items() if v == "skip"]
    passed = [t for t, (v, _) in fates.items() if v == "pass"]
    assert skipped and passed, proc.stdout[-3000:]
    assert {fates[t][1] for t in skipped} == {"kept"} and {fates[t][1] for t in passed} == {"replaced"}
    after = {p.name: p.read_bytes() for p in (root / "mite").glob("*.yaml")}
    assert after.keys() == before.keys()
    for test in skipped:
        name = cassette_name(test.removeprefix("suites/mite/"))
        assert after[name] == before[name], name
    assert f"{len(passed)} cassette(s) written ({len(passed)} replaced, 0 new); {len(skipped)} kept" in proc.stdout


def test_record_mode_once_records_only_the_checks_without_a_cassette(tmp_path, suite_run, sandbox):
    env = dict(sandbox.env)
    root = _copy_cassettes(tmp_path)
    gone = cassette_name(AUTH_TEST.removeprefix("suites/mite/"))
    (root / "mite" / gone).unlink()
    before = {p.name: p.read_bytes() for p in (root / "mite").glob("*.yaml")}
    proc, records = suite_run("mite", tmp_path / "r", "--mode", "record", "--record-mode", "once", "--target",
                              env["MITE_BASE_URL"], "--ca-bundle", env["MITE_CA_BUNDLE"], "--cassette-dir",
                              str(root), "-k", "test_variant_authenticates", env=env)
    verdicts = {r["test"]: r["verdict"] for r in records}
    assert verdicts.pop(AUTH_TEST) == "pass" and set(verdicts.values()) == {"skip"}, proc.stdout[-3000:]
    after = {p.name: p.read_bytes() for p in (root / "mite").glob("*.yaml")}
    assert after.pop(gone) and after == before  # the missing one recorded, every other one untouched
