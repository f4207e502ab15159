"""The preflight stops a run only when nothing could work (issue 18, item 7).

A target that refuses one documented auth variant and accepts another runs the suite, where the refused
variant's checks fail on its clause; and the probe is retried as every GET is, so one proxy error page at
the start does not end the run.
"""
from __future__ import annotations

import threading
import time

import pytest

from apiconform import preflight
from apiconform.contract.model import load_contract
from apiconform.http import rate, resilience
from apiconform.paths import contract_path
from apiconform.sandbox.netfaults import Settings, serving
from apiconform.sandbox.runner import start_sandbox


@pytest.fixture(autouse=True)
def own_rate_store(tmp_path):
    rate.configure(str(tmp_path / "rate"), 1)


def _problem(provider: str, faults: tuple[str, ...], monkeypatch) -> str | None:
    with start_sandbox(provider, faults) as sandbox:
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)
        prefix = provider.upper()
        return preflight.problem(load_contract(contract_path(provider)), sandbox.env[f"{prefix}_BASE_URL"],
                                 sandbox.env[f"{prefix}_CA_BUNDLE"])


def test_one_refused_variant_does_not_stop_the_run(monkeypatch):
    """mStudio documents X-Access-Token and Authorization: Bearer; refusing the first is a fail of its
    clause in the suite, not a reason to refuse the run."""
    assert _problem("mstudio", ("access-token-refused",), monkeypatch) is None


def test_every_variant_refused_stops_the_run_naming_each(monkeypatch):
    found = _problem("mstudio", ("access-token-refused", "bearer-refused"), monkeypatch)
    assert found and "refused the credentials with every auth variant" in found, found
    assert "access_token 401" in found and "bearer 401" in found and "MSTUDIO_API_TOKEN" in found


def test_one_gateway_page_at_the_start_is_retried(monkeypatch, tmp_path):
    monkeypatch.setattr(resilience, "BACKOFF", 0.05)
    with start_sandbox("mitwirken") as sandbox:
        for name, value in sandbox.env.items():
            monkeypatch.setenv(name, value)
        settings = Settings(rate=1.0, faults=("gateway",))
        with serving(sandbox.env["MITWIRKEN_BASE_URL"], sandbox.env["MITWIRKEN_CA_BUNDLE"], settings,
                     tmp_path / "proxy") as proxy:
            def heal() -> None:  # the first answer is the proxy's 502 page; the network is fine after it
                while "gateway" not in proxy.settings.counts:
                    time.sleep(0.01)
                proxy.settings.rate = 0.0

            threading.Thread(target=heal, daemon=True).start()
            found = preflight.problem(load_contract(contract_path("mitwirken")), proxy.base_url,
                                      str(proxy.tls.ca_path))
    assert found is None, found
    assert proxy.settings.counts["gateway"] == 1
