"""Secrets never land, proven for every provider.

Each provider's suite is recorded against its own sandbox, started here, as a URL target with
the sandbox's freshly issued credentials in the environment: unique random values that only
this test knows, our canaries. The run exercises every ``[[auth]]`` variant of the contract
(mite: the key in the header and the query, basic auth; Mitwirken: Bearer) and every credential
it names. Then every file the run left (cassettes, reports, the pytest log file at DEBUG) and the
pytest output are searched for every canary: raw, base64, percent-encoded and ``+``-encoded,
and the base64 of every basic-auth pair. Secrets the API hands out during a run (a token it
creates) are the contract's to declare: any table entry with ``secret = true`` and a ``shape``
is searched for by its shape, as the leak gate does, and must have been handed out (its scrubbed
stand-in is in a cassette); a webhook signing key (``[webhooks] key``) must have signed a verified delivery.
"""
from __future__ import annotations

import base64
import re
from pathlib import Path
from typing import Any
from urllib.parse import quote, quote_plus

import pytest

from apiconform.contract.model import Contract, load_contract
from apiconform.paths import contract_path
from apiconform.record.scrub import REDACTED, stand_in
from apiconform.sandbox import PROVIDERS, load_provider
from apiconform.sandbox.runner import start_sandbox


def _forms(value: str) -> set[str]:
    return {value, quote(value, safe=""), quote_plus(value), base64.b64encode(value.encode()).decode()}


def canaries(contract: Contract, env: dict[str, str]) -> dict[str, str]:
    """Every encoded form of every secret credential the target has (and of its basic-auth pairs) -> its name."""
    found: dict[str, str] = {}
    for name, cred in contract.credentials.items():
        if cred.secret and env.get(cred.env):
            found.update({form: name for form in _forms(env[cred.env])})
    for variant in contract.auth:
        if variant.kind == "basic":
            user, password = (env[contract.credentials[n].env] for n in (variant.username, variant.password))
            pair = f"{user}:{password}"
            found[base64.b64encode(pair.encode()).decode()] = f"basic pair of {variant.name}"
    return found


def handed_out_shapes(raw: Any) -> list[re.Pattern[str]]:
    """Shapes of every secret the contract declares (``secret = true`` with a ``shape``), in any table."""
    out: list[re.Pattern[str]] = []
    if isinstance(raw, dict):
        if raw.get("secret") is True and raw.get("shape"):
            out.append(re.compile(rf"\b(?:{raw['shape']})\b"))
        for value in raw.values():
            out += handed_out_shapes(value)
    elif isinstance(raw, list):
        for value in raw:
            out += handed_out_shapes(value)
    return out


def _everything(*folders: Path) -> dict[str, str]:
    return {str(p): p.read_text(encoding="utf-8", errors="replace")
            for folder in folders for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_no_canary_lands_anywhere(provider, tmp_path, suite_run, rate_scale):
    contract = load_contract(contract_path(provider))
    prefix = load_provider(provider).ENV_PREFIX
    cassettes, reports, logs = tmp_path / "cassettes", tmp_path / "reports", tmp_path / "logs"
    logs.mkdir()
    with start_sandbox(provider, rate_scale=rate_scale(provider)) as sandbox:
        env = dict(sandbox.env)
        forms = canaries(contract, env)
        proc, records = suite_run(provider, reports, "--mode", "record", "--target", env[f"{prefix}_BASE_URL"],
                                  "--ca-bundle", env[f"{prefix}_CA_BUNDLE"], "--cassette-dir", str(cassettes),
                                  "--rate-scale", f"{rate_scale(provider):g}", "--rate-store", str(tmp_path / "rate"),
                                  "--log-file", str(logs / "pytest.log"), "--log-file-level", "DEBUG", "-rA",
                                  env=env)
    assert records and {r["verdict"] for r in records} <= {"pass", "differs"}, proc.stdout[-3000:]
    proven = {c for r in records if r["verdict"] == "pass" for c in r["clauses"]}
    assert {v.clause for v in contract.auth} <= proven  # every auth variant carried its canary
    secret = [c for c in contract.credentials.values() if c.secret]
    assert all(env.get(c.env) for c in secret), "the sandbox must issue every secret credential the contract names"
    places = {**_everything(cassettes, reports, logs), "pytest stdout": proc.stdout, "pytest stderr": proc.stderr}
    assert len(list(cassettes.rglob("*.yaml"))) == len(records)
    assert (logs / "pytest.log").stat().st_size > 0  # the log captured the run's traffic
    hits = [(where, name) for where, text in places.items() for form, name in forms.items() if form in text]
    assert not hits, hits
    shaped = [(where, m.group(0)[:12]) for where, text in places.items() for shape in handed_out_shapes(contract.raw)
              for m in shape.finditer(text) if REDACTED not in m.group(0)]
    assert not shaped, shaped
    # The canaries were there to find: each secret the API hands out (mStudio's created token) was handed out
    # in this run and scrubbed, and the webhook signing key (Hive's API token) signed deliveries that verified.
    recorded = "".join(text for where, text in places.items() if where.endswith(".yaml"))
    assert all(stand_in(s["name"]) in recorded for s in contract.raw.get("secrets", [])), contract.raw["secrets"]
    hooks = contract.raw.get("webhooks")
    assert not hooks or (hooks["clauses"]["signature"] in proven and hooks["key"] in forms.values()), hooks


def test_the_search_knows_every_form():
    """The search itself can fail: each encoding of a planted canary, and a handed-out shape, is found."""
    contract = load_contract(contract_path("mite"))
    env = {c.env: f"canary-{name}+/=é" for name, c in contract.credentials.items()}
    forms = canaries(contract, env)
    key = env[contract.credentials["api_key"].env]
    for planted in (key, quote(key, safe=""), quote_plus(key), base64.b64encode(key.encode()).decode()):
        assert forms.get(planted) == "api_key"
    assert handed_out_shapes({"tokens": {"created": {"secret": True, "shape": "tok_[a-z]{4,}"}}})[0].search(
        "x tok_abcdef y")
