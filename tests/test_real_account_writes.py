"""A real account's data is changed only with --allow-writes, and a run leaves nothing behind.

The "real account" is each provider's sandbox started here and reached as a URL target, through
the network-fault proxy (``sandbox/netfaults.py``), which logs every request it reads and can
break the wire. What the account holds is read before and after through each resource's list.
"""
from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from apiconform.contract.model import load_contract
from apiconform.http import rate
from apiconform.http.client import Api, Target
from apiconform.http.targets import credentials_from
from apiconform.http.writes import LEFTOVERS, SAFE_METHODS
from apiconform.paths import contract_path
from apiconform.sandbox import PROVIDERS, load_provider
from apiconform.sandbox.netfaults import Settings, serving
from apiconform.sandbox.runner import start_sandbox

ROOT = Path(__file__).resolve().parents[1]


def _holdings(provider: str, env: dict[str, str], store: Path) -> dict[str, set]:
    """Ids of the live records in every list a run can clean up, read directly.

    Lists are read as the checks read them (``Contract.list_records``: the resource's ``list_key``,
    the ``[lists]`` envelope, ``id_field``), every page where pages are numbered (Hive: a soft-deleted
    record stays listed, so the newest page alone would hide the rest). A record in the
    ``[soft_delete]`` deleted state is gone as far as the API lets one go; a resource the API cannot
    delete (``deletable = false``) cannot be left as found, so it is not compared.
    """
    contract = load_contract(contract_path(provider))
    prefix = load_provider(provider).ENV_PREFIX
    rate.configure(str(store), 10)
    api = Api(contract, Target("sandbox", env[f"{prefix}_BASE_URL"], credentials_from(contract, env),
                               ca_bundle=env[f"{prefix}_CA_BUNDLE"]))
    soft = contract.raw.get("soft_delete", {})
    try:
        out = {}
        for res in contract.resources.values():
            if res.singleton or res.read_only or not res.deletable:
                continue
            records = _records(api, res)
            out[res.name] = {r[res.id_field] for r in records
                             if not (soft.get("resource") == res.name and r.get(soft["field"]) == soft["deleted"])}
        return out
    finally:
        api.close()


def _records(api: Api, res) -> list[dict]:
    """A resource's whole list: page after page until a short one where ``[pagination]`` numbers pages."""
    pg = api.contract.pagination
    numbered = pg.get("style") == "page-number"
    out: list[dict] = []
    for number in range(pg.get("first_page", 1), pg.get("first_page", 1) + 100):
        ex = api.get(res.path, params={pg["page"]: number} if numbered else None)
        assert ex.status == 200, ex.text[:300]
        page = api.contract.list_records(res, ex.data())
        out += page
        if not numbered or len(page) < pg["per_page"]:
            return out
    raise AssertionError(f"{res.path}: 100 full pages")


@pytest.fixture(params=sorted(PROVIDERS))
def account(request, tmp_path, rate_scale):
    """(provider, sandbox env, proxy) with the proxy clean until a test breaks it."""
    provider = request.param
    prefix = load_provider(provider).ENV_PREFIX
    with start_sandbox(provider, rate_scale=rate_scale(provider)) as sandbox, \
            serving(sandbox.env[f"{prefix}_BASE_URL"], sandbox.env[f"{prefix}_CA_BUNDLE"], Settings(rate=0.0),
                    tmp_path / "proxy") as proxy:
        yield provider, dict(sandbox.env), proxy


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-m", "apiconform.cli", *args]


def _run_args(provider: str, proxy, tmp_path: Path, scale: float, *extra: str) -> list[str]:
    return ["run", "--provider", provider, "--target", proxy.base_url, "--ca-bundle", str(proxy.tls.ca_path),
            "-n", "0", "--rate-scale", f"{scale:g}", "--rate-store", str(tmp_path / "rate"),
            "--report-dir", str(tmp_path / "reports"), *extra]


def test_without_allow_writes_nothing_unsafe_is_sent(account, tmp_path, suite_run, rate_scale):
    provider, env, proxy = account
    before = _holdings(provider, env, tmp_path / "rate")
    proc, records = suite_run(provider, tmp_path / "reports", "--target", proxy.base_url, "--ca-bundle",
                              str(proxy.tls.ca_path), "--rate-scale", f"{rate_scale(provider):g}",
                              "--rate-store", str(tmp_path / "rate"),
                              env=env, allow_writes=False)
    skipped = [r for r in records if r["verdict"] == "skip"]
    assert skipped and all("--allow-writes" in r["message"] for r in skipped), proc.stdout[-2000:]
    assert {r["verdict"] for r in records} <= {"pass", "differs", "skip"}, proc.stdout[-3000:]
    assert {line.split()[0] for line in proxy.settings.requests} <= SAFE_METHODS
    assert _holdings(provider, env, tmp_path / "rate") == before


def _writes_read(proxy) -> int:
    return sum(1 for line in list(proxy.settings.requests) if line.split()[0] not in SAFE_METHODS)


@pytest.mark.parametrize("at", [None, 10], ids=["among-the-writes", "write-10-in-flight"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=lambda s: s.name)
def test_an_interrupted_run_removes_what_it_created(account, sig, at, tmp_path, rate_scale):
    """Interrupted somewhere among the writes, or the moment the proxy reads the 10th write, so that its answer
    arrives while the run is being interrupted. mStudio's 10th is a token's edit: the interrupted check's cleanup
    then deletes the token inside the edit's lag, is answered 404, and that was once noted as a removal, so the
    token stayed."""
    provider, env, proxy = account
    before = _holdings(provider, env, tmp_path / "rate")
    args = _run_args(provider, proxy, tmp_path, rate_scale(provider), "--allow-writes")
    run = subprocess.Popen(_cli(*args), cwd=ROOT, env={**os.environ, **env}, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 60
    while _writes_read(proxy) < (at or 1) and run.poll() is None and time.monotonic() < deadline:
        time.sleep(0.002)
    if at is None:
        time.sleep(random.Random(sig).uniform(0.0, 0.5))  # somewhere among the writes
    assert run.poll() is None, "the run ended before the moment to interrupt it"
    run.send_signal(sig)
    out = run.communicate(timeout=120)[0]
    assert run.returncode != 0, out[-2000:]
    assert any(line.startswith("POST") for line in proxy.settings.requests), "interrupted before any write"
    assert _holdings(provider, env, tmp_path / "rate") == before, out[-3000:]
    assert not (tmp_path / "reports" / LEFTOVERS).exists()


def test_what_could_not_be_deleted_is_listed_and_cleanup_removes_it(account, tmp_path, rate_scale):
    provider, env, proxy = account
    before = _holdings(provider, env, tmp_path / "rate")
    # Every DELETE is reset: the checks' cleanups and the run's end-of-run cleanup all fail.
    proxy.settings.rate, proxy.settings.faults, proxy.settings.methods = 1.0, ("reset",), ("DELETE",)
    proc = subprocess.run(_cli(*_run_args(provider, proxy, tmp_path, rate_scale(provider), "--allow-writes", "--", "-k",
                                                   "payloads")),
                          cwd=ROOT, env={**os.environ, **env, "APICONFORM_TIMEOUT": "3"}, capture_output=True,
                          text=True, timeout=600)
    leftovers = tmp_path / "reports" / LEFTOVERS
    assert leftovers.exists(), proc.stdout[-3000:] + proc.stderr[-2000:]
    listed = json.loads(leftovers.read_text())["leftovers"]
    records = json.loads((tmp_path / "reports" / "results.json").read_text())["records"]
    assert {f"cleanup::{e['path']}" for e in listed} <= {r["test"] for r in records if r["verdict"] == "error"}
    assert not any(v for e in listed for k, v in e.items() if k not in ("unlock",) and "REDACTED" in str(v))
    assert _holdings(provider, env, tmp_path / "rate") != before

    proxy.settings.rate = 0.0  # the network is back
    clean = subprocess.run(_cli("cleanup", "--leftovers", str(leftovers), "--ca-bundle", str(proxy.tls.ca_path),
                                ), cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                           timeout=300)
    assert clean.returncode == 0, clean.stdout + clean.stderr
    assert f"{len(listed)} deleted, 0 left" in clean.stdout
    assert not leftovers.exists()
    assert _holdings(provider, env, tmp_path / "rate") == before


@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_an_interrupt_lost_in_a_finaliser_stops_the_next_check():
    """Python ignores a KeyboardInterrupt raised in ``__del__`` or a gc callback (Hypothesis has one); a SIGTERM
    landing there once let a run go on to its end. The next check's setup raises it again, once."""
    from apiconform.http import writes

    class Finalised:
        def __del__(self) -> None:
            writes.interrupt()

    Finalised()  # dropped at once: the interrupt is raised inside __del__ and swallowed
    with pytest.raises(KeyboardInterrupt):
        writes.raise_if_swallowed()
    writes.raise_if_swallowed()  # raised once only
