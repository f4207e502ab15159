"""Scrubbing: every encoding of a secret is removed, and the gate catches what survives."""
from __future__ import annotations

import base64

import pytest

from apiconform.record.scrub import REDACTED, Scrubber, SecretLeak

SECRETS = {"api_key": "0f1e2d3c4b5a6978", "password": "p@ss word/+x", "email": "a@b.example"}


def scrubber() -> Scrubber:
    return Scrubber(SECRETS, headers=["X-MiteApiKey"], params=["api_key"], pairs=[("a@b.example", "p@ss word/+x")])


def test_all_encodings_are_scrubbed():
    basic = base64.b64encode(b"a@b.example:p@ss word/+x").decode()
    text = (f"GET /x.json?api_key=0f1e2d3c4b5a6978 pw=p%40ss%20word%2F%2Bx pw2=p%40ss+word%2F%2Bx "
            f"Authorization: Basic {basic} mail a@b.example")
    out = scrubber().text(text)
    assert scrubber().scan(out) == []
    for value in SECRETS.values():
        assert value not in out
    assert basic not in out and out.count(REDACTED) >= 5


def test_credential_headers_are_redacted_whatever_their_value():
    s = scrubber()
    assert s.header_value("x-miteapikey", "anything") == REDACTED
    assert s.header_value("Authorization", "Bearer xyz") == REDACTED
    assert s.header_value("Content-Type", "application/json") == "application/json"


def test_gate_names_the_secret_not_its_value():
    with pytest.raises(SecretLeak) as err:
        scrubber().gate("body: 0f1e2d3c4b5a6978", "cassettes/x.yaml")
    assert "api_key" in str(err.value) and "0f1e2d3c4b5a6978" not in str(err.value)
    assert "cassettes/x.yaml" in str(err.value)


def test_token_shaped_values_are_caught_even_when_unknown():
    assert scrubber().scan("Authorization: Bearer abcdefghijklmnopqrstu")
    assert scrubber().scan("X-MiteApiKey: deadbeefdeadbeef")
    assert not scrubber().scan("api_key=REDACTED")


def test_evidence_values_are_scrubbed_like_the_exchange():
    """A check may quote headers or a body as `expected`/`actual`: those reach the reports scrubbed too."""
    from apiconform.plugin import _plain

    actual = {"x-request-auth": "Bearer 0f1e2d3c4b5a6978", "body": "key=0f1e2d3c4b5a6978", "n": 3}
    out = _plain(actual, scrubber())
    assert "0f1e2d3c4b5a6978" not in repr(out) and out["n"] == 3 and REDACTED in out["body"]
    assert _plain(object(), scrubber()).startswith("<object")  # not JSON: its repr, scrubbed


def test_a_redis_store_is_named_without_its_password():
    from apiconform.http.rate.stores import _without_password

    assert _without_password("redis://:hunter2@127.0.0.1:6379/0") == f"redis://:{REDACTED}@127.0.0.1:6379/0"
    assert _without_password("redis://u:hunter2@h:1/0") == f"redis://u:{REDACTED}@h:1/0"
    assert _without_password("redis://h:1/0") == "redis://h:1/0"


def test_a_contract_credential_shape_is_caught_alone_not_inside_a_word():
    """Mitwirken keys look like `mit_…`: a bare one is a leak, `rate_limit_exceeded` only contains the letters."""
    gate = Scrubber({}, shapes=["mit_[A-Za-z0-9_]{8,}"])
    assert gate.scan('{"token": "mit_3b69abcdef0123"}')
    assert not gate.scan('{"name":"rate_limit_exceeded"}')


def test_a_contract_look_alike_is_scrubbed_like_a_secret():
    """[scrub] look_alikes: Mitwirken's assumed 429 type holds `mit_exceeded`, which secret scanners without word
    boundaries take for a key; it is recorded and reported as REDACTED-look-alike."""
    from apiconform.contract.model import load_contract
    from apiconform.http.targets import replay_target, scrubber_for
    from apiconform.paths import contract_path

    contract = load_contract(contract_path("mitwirken"))
    scrubber = scrubber_for(contract, replay_target(contract))
    assert scrubber.text('{"statusCode":429,"name":"rate_limit_exceeded"}') == \
        '{"statusCode":429,"name":"REDACTED-look-alike"}'


def test_no_committed_cassette_holds_a_credential_shape_even_inside_a_word():
    """The leak gate takes a contract's credential shape as a token of its own; a repository's secret scanner
    may not. Every committed cassette passes the stricter scan: each shape without its word boundaries."""
    import re

    from apiconform.contract.model import load_contract
    from apiconform.paths import cassettes_dir, contract_path, providers

    hits = []
    for provider in providers():
        contract = load_contract(contract_path(provider))
        shapes = {c.shape.replace(r"\b", "") for c in contract.credentials.values() if c.secret and c.shape}
        assert shapes or provider in ("mite", "hive"), provider
        for shape in shapes:
            pattern = re.compile(shape)
            for path in sorted(cassettes_dir(provider).glob("*.yaml")):
                hits += [f"{path.name}:{n}" for n, line in enumerate(path.read_text().splitlines(), 1)
                         if pattern.search(line)]
    assert hits == []
