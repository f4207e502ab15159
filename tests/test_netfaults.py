"""A flaky network is an `error`, never a `fail`, and never a hang.

Each provider's suite runs against its clean sandbox through the network-fault proxy
(``sandbox/netfaults.py``) at several fault rates. Behind the faults the sandbox is clean, so any
`fail` (or `differs`) is the network turned into a contract verdict. Every check must end within
its time bound: the client's per-attempt deadline times its capped retries, plus backoff.
"""
from __future__ import annotations

import pytest

from apiconform.http import resilience, timeouts
from apiconform.sandbox import PROVIDERS, load_provider
from apiconform.sandbox.netfaults import Settings, serving
from apiconform.sandbox.runner import start_sandbox

TIMEOUT = 1.5  # APICONFORM_TIMEOUT for these runs: a stall costs seconds, not minutes
RATES = (0.1, 0.3)  # a few faults per suite run, and a third of all connections
# One check sends a handful of requests; each may take every attempt to its deadline, plus backoff.
CHECK_BOUND = 8 * (resilience.ATTEMPTS * TIMEOUT + 2 * resilience.BACKOFF_CAP)
NOT_NETWORK = {"fail", "differs", "expected"}


@pytest.mark.parametrize("rate", RATES)
@pytest.mark.parametrize("provider", sorted(PROVIDERS))
def test_network_faults_are_errors_not_failures(provider, rate, tmp_path, suite_run, rate_scale):
    prefix = load_provider(provider).ENV_PREFIX
    with start_sandbox(provider, rate_scale=rate_scale(provider)) as sandbox, \
            serving(sandbox.env[f"{prefix}_BASE_URL"], sandbox.env[f"{prefix}_CA_BUNDLE"],
                    Settings(rate=rate, seed=int(rate * 1000), stall=TIMEOUT * 3), tmp_path / "proxy") as proxy:
        proc, records = suite_run(
            provider, tmp_path / "report", "--target", proxy.base_url, "--ca-bundle", str(proxy.tls.ca_path),
            "--allow-writes", "--rate-scale", f"{rate_scale(provider):g}", "--rate-store", str(tmp_path / "rate"),
            env={**sandbox.env, timeouts.TIMEOUT_ENV: str(TIMEOUT)}, timeout=900)
    assert records, proc.stdout[-3000:] + proc.stderr[-3000:]
    faults = sum(n for name, n in proxy.settings.counts.items() if name != "clean")
    assert faults > 0, proxy.settings.counts  # the layer did break something
    wrong = [(r["test"], r["verdict"], r["message"][:300]) for r in records if r["verdict"] in NOT_NETWORK]
    assert not wrong, f"network faults became contract verdicts ({proxy.settings.counts})"
    slow = [(r["test"], r["duration"]) for r in records if r["duration"] > CHECK_BOUND]
    assert not slow, f"checks over their bound of {CHECK_BOUND:g} s"
    errors = [r for r in records if r["verdict"] == "error"]
    assert all(r["message"] for r in errors)  # every error names its cause
