"""Every bundled sandbox answers paths its router cannot match and methods its API has nowhere in the API's own
error shape and media type (sandbox/fallback.py), never as Starlette's text/plain "Not Found".

Each request goes over real HTTPS to the provider's sandbox, with its own key; each answer's body is held to the
provider's error schema by the engine's own error-body invariant, in every format the contract declares (mite's
.json and .xml).
"""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from apiconform.contract.model import Contract, load_contract
from apiconform.http.exchange import Exchange
from apiconform.http.invariants import check_error_body
from apiconform.sandbox.runner import SandboxHandle, start_sandbox
from apiconform.verdict import ContractViolation

PROVIDERS = ("hive", "mite", "mitwirken", "mstudio")
SUITES = Path(__file__).resolve().parents[1] / "suites"
UNLIMITED = 10_000  # a rate-limit clock this much faster: the limits no longer get in the way
NEWLINE = "%0Aapiconform"  # a percent-encoded newline, which Mount("/")'s pattern never matched


@pytest.fixture(scope="module", params=PROVIDERS)
def target(request: pytest.FixtureRequest) -> Iterator[tuple[Contract, SandboxHandle, httpx.Client]]:
    contract = load_contract(SUITES / request.param / "contract.toml")
    with start_sandbox(request.param, rate_scale=UNLIMITED) as handle:
        env = handle.env
        prefix = request.param.upper()
        variant = next(a for a in contract.auth if a.kind in ("bearer", "header"))
        key = env[contract.credentials[variant.credential].env]
        headers = {"Authorization": f"Bearer {key}"} if variant.kind == "bearer" else {variant.header: key}
        verify = ssl.create_default_context(cafile=env[f"{prefix}_CA_BUNDLE"])
        with httpx.Client(base_url=env[f"{prefix}_BASE_URL"] + "/", verify=verify, headers=headers,
                          timeout=10) as client:
            yield contract, handle, client


def _suffixes(contract: Contract) -> dict[str, str]:
    """Each declared format and the URL suffix that asks for it (none where the format is not in the URL)."""
    in_url = contract.formats.get("style", "suffix") != "none"
    return {fmt: f".{fmt}" if in_url else "" for fmt in contract.formats["media_types"]}


def _own_error(contract: Contract, answer: httpx.Response, fmt: str) -> None:
    """The answer is an error in the provider's media type for ``fmt``, and its body matches the error schema."""
    ex = Exchange.from_response(answer, fmt)
    where = f"{ex.method} {ex.url} -> {ex.status} {ex.media_type}: {ex.text[:200]!r}"
    assert 400 <= ex.status < 500, where
    assert ex.media_type == contract.media_type(fmt), where
    try:
        check_error_body(contract, ex, fmt, "fallback")
    except ContractViolation as violation:
        pytest.fail(f"{where}: {violation}")


def test_unmatched_paths_answer_the_providers_404(target) -> None:
    """A newline in a resource's id or in the endpoint's name: the provider's 404, not the router's."""
    contract, _, client = target
    assert contract.resources
    for fmt, suffix in _suffixes(contract).items():
        for res in contract.resources.values():
            path = res.path.strip("/")
            _own_error(contract, client.delete(f"{path}/{NEWLINE}{suffix}"), fmt)
        answer = client.get(f"apiconform{NEWLINE}{suffix}")
        assert answer.status_code == 404, answer.text
        _own_error(contract, answer, fmt)


@pytest.mark.parametrize("path", ["{probe}", NEWLINE], ids=["probe", "unmatched"])
def test_a_method_the_api_lacks_gets_405_with_allow(target, path: str) -> None:
    contract, _, client = target
    for fmt, suffix in _suffixes(contract).items():
        answer = client.request("TRACE", path.format(probe=contract.probe.strip("/")) + suffix)
        assert answer.status_code == 405, answer.text
        allowed = {m.strip() for m in answer.headers.get("allow", "").split(",")}
        assert set(contract.status) <= allowed and "TRACE" not in allowed, answer.headers.get("allow")
        _own_error(contract, answer, fmt)
