"""Auth variants: each documented way in works; missing, wrong, malformed, revoked are refused."""
from __future__ import annotations

import pytest

from apiconform.checks.common import as_credential
from apiconform.checks.expect import body_data, expect, expect_error, expect_status, violation
from apiconform.http.client import Api, ConnectionRefused
from apiconform.http.exchange import Exchange
from apiconform.http.invariants import check_error_body
from apiconform.verdict import ContractViolation


def variant_authenticates(api: Api, variant_name: str) -> None:
    variant = api.contract.auth_variant(variant_name)
    api.verifies(variant.clause)
    ex = api.get(api.contract.probe, auth=variant.name)
    expect_status(ex, 200, variant.clause, f"GET {api.contract.probe} authenticated by {variant.name}")
    body_data(ex, variant.clause)


def _refused(api: Api, ex: Exchange, how: str, clause: str, what: str) -> None:
    """``ex`` carries the status (and error type) the contract's ``[auth_probes]`` gives a ``how`` credential."""
    expect_error(api.contract, ex, api.contract.probe_status(how), api.contract.probe_error(how), clause, what)
    body = api.contract.auth_probes.get("body")
    if body is not None:  # the contract gives the refusal's exact body (Hive)
        got = body_data(ex, clause)
        expect(got == body, clause, f"{what}: the refusal's body is not the documented one", ex, expected=body,
               actual=got)


def missing_rejected(api: Api, fmt: str, clause: str) -> None:
    api.verifies(clause)
    ex = api.get(api.contract.probe, auth=False, fmt=fmt)
    _refused(api, ex, "missing", clause, "request without credentials")


def broken_rejected(api: Api, variant_name: str, how: str, clause: str) -> None:
    """``how``: ``wrong`` (well-formed but unknown) or ``malformed`` credential for the variant."""
    variant = api.contract.auth_variant(variant_name)
    api.verifies(clause)
    probes = api.contract.auth_probes
    if variant.kind == "basic":
        creds = {variant.password: "apiconform-wrong-password"}
    else:
        creds = {variant.credential: probes["wrong_key" if how == "wrong" else "malformed_key"]}
    ex = api.get(api.contract.probe, auth=variant.name, credentials=creds)
    _refused(api, ex, how, clause, f"{how} credential in {variant.name}")


def revoked_rejected(api: Api, credential: str, clause: str) -> None:
    api.verifies(clause)
    ex = api.get(api.contract.probe, **as_credential(api, credential))
    _refused(api, ex, "revoked", clause, "revoked credential")


def plain_http_refused(api: Api, clause: str) -> None:
    """Plain HTTP must not serve the API. Sent without credentials: we never send them over HTTP.

    Only a refused or reset connection (``ConnectionRefused``) counts as refusal: a DNS failure,
    a timeout or a request missing from the cassette proves nothing and stays an ``error``. A
    recorded refusal leaves no interaction; the cassette's metadata lists it and replay raises
    ``ConnectionRefused`` again for exactly that request (see ``Api.request``).
    """
    api.verifies(clause)
    if not api.contract.https_only:
        pytest.skip("the contract does not say HTTPS only")
    http_base = api.target.http_url or api.target.base_url.replace("https://", "http://", 1)
    try:
        ex = api.get(api.contract.probe, auth=False, base=http_base, invariants=False)
    except ConnectionRefused:
        return  # plain HTTP is not served
    if 300 <= ex.status < 400:
        location = ex.headers.get("location", "")
        expect(location.startswith("https://"), clause, f"plain HTTP redirects to {location!r}, not to https", ex)
        return
    expect(not 200 <= ex.status < 300, clause, f"plain HTTP answered {ex.status} with API content", ex,
           expected="refusal or redirect to https", actual=ex.status)
    try:  # an error resource of the API itself means the API answered over plain HTTP
        check_error_body(api.contract, ex, ex.fmt, clause)
    except ContractViolation:
        return
    violation(clause, f"the API answered plain HTTP (status {ex.status} with its own error resource)", ex,
              expected="refusal or redirect to https", actual=ex.status)
