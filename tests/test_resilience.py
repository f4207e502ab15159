"""The client against one network fault at a time (http/resilience.py), on real sockets.

The Mitwirken sandbox sits behind the network-fault proxy with one fault at rate 1: every
connection meets it. What is safe is retried and capped, what is not is sent once, and what
still fails is a HarnessError naming the cause, within the deadline, never a ContractViolation.
"""
from __future__ import annotations

import threading
import time

import pytest

from apiconform.contract.model import load_contract
from apiconform.http import rate, resilience, timeouts
from apiconform.http.client import Api, Target
from apiconform.http.resilience import GatewayError
from apiconform.http.targets import credentials_from
from apiconform.paths import contract_path
from apiconform.sandbox.netfaults import Settings, serving
from apiconform.sandbox.runner import start_sandbox
from apiconform.verdict import HarnessError

PROVIDER = "mitwirken"


@pytest.fixture(scope="module")
def sandbox():
    with start_sandbox(PROVIDER, rate_scale=10) as handle:
        yield handle


@pytest.fixture
def through(sandbox, tmp_path, monkeypatch):
    """``through(fault, **settings)``: an Api whose target is the proxy, every connection meeting ``fault``."""
    monkeypatch.setenv(timeouts.TIMEOUT_ENV, "0.5")
    monkeypatch.setattr(resilience, "BACKOFF", 0.05)
    rate.configure(str(tmp_path / "rate"), 10)
    contract = load_contract(contract_path(PROVIDER))
    env = sandbox.env
    stack = []

    def make(fault: str, **settings):
        settings = Settings(rate=1.0, faults=(fault,), **settings)
        ctx = serving(env["MITWIRKEN_BASE_URL"], env["MITWIRKEN_CA_BUNDLE"], settings, tmp_path / f"proxy-{fault}")
        proxy = ctx.__enter__()
        stack.append(ctx)
        api = Api(contract, Target("url", proxy.base_url, credentials_from(contract, env),
                                   ca_bundle=str(proxy.tls.ca_path)))
        return api, proxy

    yield make
    for ctx in stack:
        ctx.__exit__(None, None, None)


def test_the_transport_bounds_every_attempt():
    """httpx takes no network backend; if a new httpx moves its pool, this fails instead of the deadline."""
    transport = resilience.transport(None)
    assert isinstance(transport._pool._network_backend, resilience.DeadlineBackend)


@pytest.mark.parametrize("fault", ["reset", "stall", "cut", "gateway"])
def test_a_safe_request_is_retried_up_to_the_cap_then_errors(through, fault):
    api, proxy = through(fault, stall=5)
    started = time.monotonic()
    with pytest.raises(HarnessError) as exc:
        api.get("members")
    assert time.monotonic() - started < resilience.ATTEMPTS * (0.5 + resilience.BACKOFF_CAP)
    assert len(proxy.settings.requests) == resilience.ATTEMPTS
    assert isinstance(exc.value, GatewayError) == (fault == "gateway")
    assert str(exc.value).startswith("GET ")  # names the request and, after it, the cause


@pytest.mark.parametrize("fault", ["reset", "gateway"])
def test_an_unsafe_request_that_may_have_arrived_is_sent_once(through, fault):
    api, proxy = through(fault)
    with pytest.raises(HarnessError):
        api.post("members", {"email": "once@example.org"})
    assert proxy.settings.requests == ["POST /members"]


def test_a_body_dripping_past_the_deadline_is_a_timeout(through):
    """httpx's read timeout restarts with each byte; the attempt's deadline does not."""
    api, proxy = through("drip", drip_bytes=1, drip_every=0.1)  # 0.1 s per byte: any answer outlasts 0.5 s
    started = time.monotonic()
    with pytest.raises(HarnessError, match="Timeout"):
        api.get("members")
    assert time.monotonic() - started < resilience.ATTEMPTS * (0.5 + resilience.BACKOFF_CAP)


def test_a_slow_drip_within_the_deadline_is_an_answer(through, monkeypatch):
    monkeypatch.setenv(timeouts.TIMEOUT_ENV, "20")
    api, _ = through("drip", drip_bytes=64, drip_every=0.01)
    assert api.get("members").status == 200


def test_refused_connections_are_retried_until_the_target_listens_again(through):
    api, proxy = through("refuse", refuse_for=0.3)
    proxy.settings.rate = 1.0

    def heal() -> None:  # the first connection closes the listener; from then on the network is fine
        while "refuse" not in proxy.settings.counts:
            time.sleep(0.01)
        proxy.settings.rate = 0.0

    threading.Thread(target=heal, daemon=True).start()
    assert api.get("members").status == 200
    assert proxy.settings.counts["refuse"] == 1


@pytest.mark.parametrize("status,ctype,gateway", [
    (502, "text/html", True), (503, "text/html; charset=utf-8", True), (504, "", True),
    (503, "application/json", False), (503, "application/json; charset=utf-8", False), (500, "text/html", False),
])
def test_the_gateway_rule(status, ctype, gateway):
    assert resilience.is_gateway_page(status, ctype, ["application/json", "application/xml"]) is gateway
