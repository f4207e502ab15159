"""Auth variants: each documented way in works on every method class it declares (reads and writes); missing,
wrong, malformed, revoked are refused."""
from __future__ import annotations

from typing import Any

import pytest

from apiconform.checks import consistency, eventual
from apiconform.checks.common import Ident, as_credential, created_id, discard, read_item, resource, sample
from apiconform.checks.expect import body_data, expect, expect_error, expect_status, violation
from apiconform.checks.payloads import unique
from apiconform.contract.model import AuthVariant, ContractError, Resource
from apiconform.http.client import Api, ConnectionRefused
from apiconform.http.exchange import Exchange
from apiconform.http.invariants import check_error_body
from apiconform.verdict import ContractViolation


def variant_authenticates(api: Api, variant_name: str) -> None:
    """Each read method the variant declares (``[[auth]] methods``), on the probe with that variant alone: 200."""
    variant = api.contract.auth_variant(variant_name)
    api.verifies(variant.clause)
    methods = variant.of_class("read")
    if not methods:
        raise ContractError(f"{api.contract.path}: auth variant {variant.name!r} declares no read method")
    for method in methods:
        ex = api.request(method, api.contract.probe, auth=variant.name)
        expect_status(ex, 200, variant.clause, f"{method} {api.contract.probe} authenticated by {variant.name}")
        if method == "GET":
            body_data(ex, variant.clause)


def variant_writes(api: Api, variant_name: str) -> None:
    """Each write method the variant declares, sent with that variant alone to a record of ``[auth_probes.write]``
    and shown by a separate read with the default variant: POST makes a record that reads back, each update
    (PATCH, PUT) a change that reads back, DELETE a record that is gone (or marked, ``[soft_delete]``).

    A refusal of the credentials (401, 403, the contract's refused statuses) fails the variant's clause; any
    other answer but a 2xx, or a read that does not show the write, fails the clause the contract names for
    the method, so a fault in the write itself is not blamed on the variant. The record is removed at the end.
    """
    variant = api.contract.auth_variant(variant_name)
    methods = variant.of_class("write")
    spec = api.contract.auth_probes.get("write", {})
    if not methods:
        raise ContractError(f"{api.contract.path}: auth variant {variant.name!r} declares no write method")
    clauses = spec["clauses"]
    api.verifies(variant.clause, *(clauses[m] for m in methods))
    res = resource(api, spec["resource"])
    ident = _create(api, variant, res, clauses, "POST" in methods)
    path, removed = f"{res.path}/{ident}", False
    try:
        for method in (m for m in methods if m in ("PATCH", "PUT")):
            change = {k: f"{v} {method}" if isinstance(v, str) else v for k, v in spec["change"].items()}
            ex = api.request(method, path, body=res.wrap(change), auth=variant.name)
            _accepted(api, variant, ex, clauses[method])
            after = _read(api, res, ident, _event(api, res, ex), clauses[method])
            if res.find_by:  # a waited read without the change: the wait's fault or the write's, plain reads tell
                consistency.shows_write(api, path, after, change, clauses[method], res.item_key)
                continue
            for key, value in change.items():
                expect(after.get(key) == value, clauses[method], f"{method} {path} with {variant.name} did not change "
                       f"{key}", ex, expected=value, actual=after.get(key))
        if "DELETE" in methods:
            ex = api.delete(path, auth=variant.name)
            _accepted(api, variant, ex, clauses["DELETE"])
            _gone(api, res, ident, _event(api, res, ex), clauses["DELETE"], variant)
            removed = True
    finally:
        if not removed:
            _discard(api, res, ident)


def _discard(api: Api, res: Resource, ident: Ident) -> None:
    if res.find_by:
        eventual.discard(api, res, str(ident))
    else:
        discard(api, res, ident)


def _accepted(api: Api, variant: AuthVariant, ex: Exchange, clause: str) -> None:
    """A 2xx. A refusal of the credentials is the variant's finding, any other status the write's own."""
    if 200 <= ex.status < 300:
        return
    refused = ex.status in {401, 403, *api.contract.refusal_statuses}
    violation(variant.clause if refused else clause, f"{ex.method} {ex.url} with {variant.name} answered {ex.status}",
              ex, expected="2xx", actual=ex.status)


def _create(api: Api, variant: AuthVariant, res: Resource, clauses: dict[str, str], declared: bool) -> Ident:
    """A record to write to, made with the variant where it declares POST (else the default one), read back."""
    who: dict[str, Any] = {"auth": variant.name} if declared else {}
    clause = clauses.get("POST") or api.contract.writes.get("create_clause", variant.clause)
    if res.find_by:  # the create answers no id: the record is found by a read that waits for its event
        return eventual.create(api, res, eventual.tagged(api, res, f"auth {variant.name}"), clause, **who)[0]
    ex = api.post(res.path, res.wrap(unique(res, sample(api, res))), **who)
    ident = created_id(ex, res)
    try:
        _accepted(api, variant, ex, clause)
        if ident is None:
            violation(clause, f"POST {res.path} with {variant.name} answered no id", ex, actual=ex.text[:200])
        read_item(api, res, ident, clause)
    except ContractViolation:
        if ident is not None:
            discard(api, res, ident)
        raise
    return ident


def _event(api: Api, res: Resource, ex: Exchange) -> str | None:
    """The event a read must wait for, where the API is eventually consistent (``find_by``), else None."""
    return consistency.mutation(api, ex, f"{ex.method} {ex.url}") if res.find_by else None


def _read(api: Api, res: Resource, ident: Ident, event: str | None, clause: str) -> dict[str, Any]:
    if res.find_by:
        return eventual.read(api, res, str(ident), event, clause)
    return read_item(api, res, ident, clause)


def _soft_deleted(api: Api, res: Resource) -> bool:
    return api.contract.raw.get("soft_delete", {}).get("resource") == res.name


def _gone(api: Api, res: Resource, ident: Ident, event: str | None, clause: str, variant: AuthVariant) -> None:
    """After the DELETE: the record reads as deleted (``[soft_delete]``), or does not read at all."""
    path = f"{res.path}/{ident}"
    if event is not None:
        eventual.gone(api, path, event, clause)
        return
    back = api.get(path)
    if _soft_deleted(api, res):
        soft = api.contract.raw["soft_delete"]
        expect_status(back, 200, clause, f"GET {path} after its soft DELETE with {variant.name}")
        item = res.unwrap(body_data(back, clause))
        got = item.get(soft["field"]) if isinstance(item, dict) else None
        expect(got == soft["deleted"], clause, f"{path} does not read as deleted after DELETE with {variant.name}",
               back, expected=soft["deleted"], actual=got)
        return
    expect(back.status != 200, clause, f"{path} is still readable after DELETE with {variant.name}", back,
           expected="gone", actual=back.status)


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
