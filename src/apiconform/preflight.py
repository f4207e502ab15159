"""One quick probe before a run against a real target, so a mistake is one line, not N errors.

``apiconform run --target …`` calls :func:`problem` before pytest starts; a problem is printed in
one line and the run exits 2. In order: a required credential that is not set, an auth variant
whose credentials are only half set (naming both variables), a CA bundle that is not a file, then
one authenticated GET of the contract's ``[provider] probe``, retried as every GET is (a proxy's 502 page
is the network's, not the target's answer): a target that cannot be reached, a TLS handshake that fails
(a CA bundle that did not sign the target's certificate), and credentials the target refuses (one of the
contract's refusal statuses) with every auth variant the contract declares and the environment sets.

The preflight stops a run only when nothing could work. A target that refuses one documented variant
and accepts another runs the suite: the refused variant's checks are the fails they are.
"""
from __future__ import annotations

import os
import ssl
from pathlib import Path

from apiconform.contract.model import AuthVariant, Contract
from apiconform.http.targets import TargetError, credentials_from, require_credentials, url_target
from apiconform.verdict import HarnessError


def credentials_problem(contract: Contract, url: str = "live") -> str | None:
    """Missing required credentials, or an auth variant set only in part; names the variables."""
    creds = credentials_from(contract, os.environ)
    for variant in contract.auth:  # the more telling message first
        names = [n for n in (variant.credential, variant.username, variant.password) if n]
        have = [contract.credentials[n].env for n in names if n in creds]
        lack = [contract.credentials[n].env for n in names if n not in creds]
        if have and lack:
            return (f"{contract.provider}: credentials for auth variant {variant.name!r} are half set: "
                    f"{', '.join(have)} set, {', '.join(lack)} not")
    try:
        require_credentials(contract, creds, url)
    except TargetError as exc:
        return str(exc)
    return None


def problem(contract: Contract, url: str, ca_bundle: str | None) -> str | None:
    """What stops a run against ``url`` before it starts, in one line, or None."""
    found = credentials_problem(contract, url)
    if found:
        return found
    target = url_target(contract, url, ca_bundle)
    if target.ca_bundle and not Path(target.ca_bundle).is_file():
        return f"CA bundle {target.ca_bundle}: no such file"
    from apiconform.http.client import Api

    try:
        api = Api(contract, target)
    except ssl.SSLError as exc:
        return f"CA bundle {target.ca_bundle}: not a PEM bundle ({exc.reason or exc})"
    where = f"GET {target.base_url}/{contract.probe}"
    refused: list[str] = []
    try:
        for variant in _variants(contract, target.credentials):
            ex = api.request("GET", contract.probe, auth=variant.name, invariants=False)
            if ex.status not in contract.refusal_statuses:
                return None  # one way in is enough: the suite's auth checks judge the others
            refused.append(f"{variant.name} {ex.status}")
    except HarnessError as exc:
        tls = _ssl_cause(exc)
        if tls is not None:
            return (f"TLS failure on {where}: {getattr(tls, 'verify_message', '') or tls.reason or tls}; does the "
                    f"CA bundle ({target.ca_bundle or 'the system store'}) sign the target's certificate?")
        return f"{target.base_url} is unreachable: {str(exc).splitlines()[0]}"
    finally:
        api.close()
    envs = dict.fromkeys(contract.credentials[n].env for v in _variants(contract, target.credentials)
                         for n in (v.credential, v.username, v.password) if n)
    return (f"the target refused the credentials with every auth variant: {where} answered "
            f"{', '.join(refused)}; check {', '.join(envs)}")


def _variants(contract: Contract, credentials: dict[str, str]) -> list[AuthVariant]:
    """The contract's auth variants whose credentials are all set, the default first."""
    return [v for v in contract.auth
            if all(n in credentials for n in (v.credential, v.username, v.password) if n)]


def _ssl_cause(exc: BaseException) -> ssl.SSLError | None:
    cause: BaseException | None = exc
    while cause is not None:
        if isinstance(cause, ssl.SSLError):
            return cause
        cause = cause.__cause__ or cause.__context__
    return None
