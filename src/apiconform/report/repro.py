"""Reproducing a failure by hand: a ``curl`` command for its request, and the ``apiconform run`` that reruns it.

Credentials appear as environment-variable references named by the contract's ``[credentials]``
(``$MITE_API_KEY``), never as values: the evidence is scrubbed already, and the command says
where the value comes from. A value that is not a stand-in (a deliberately wrong key) is kept,
since it is what the check sent.
"""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from apiconform.contract.model import Contract
from apiconform.record.cassettes import REPLAY_BASE
from apiconform.record.scrub import REDACTED

_SKIP = {"host", "content-length", "connection", "accept-encoding", "user-agent", "x-apiconform-probe"}
_STANDIN = re.compile(rf"{REDACTED}(?:-(\w+))?")


def _dq(*parts: str | tuple[str]) -> str:
    """A double-quoted shell word: plain strings escaped, ``(NAME,)`` parts as ``$NAME`` references."""
    out = []
    for part in parts:
        if isinstance(part, tuple):
            out.append("${" + part[0] + "}")
        else:
            out.append(re.sub(r'(["\\$`])', r"\\\1", part))
    return '"' + "".join(out) + '"'


def _env(contract: Contract, value: str, default: str) -> str | None:
    """The env var a scrubbed credential value stands for, or None when the value is no stand-in."""
    match = _STANDIN.fullmatch(value.strip())
    if not match:
        return None
    name = match.group(1) if match.group(1) in contract.credentials else default
    cred = contract.credentials.get(name)
    return cred.env if cred else None


def curl(evidence: dict[str, Any] | None, contract: Contract | None, target: str | None) -> str | None:
    """The request of a failure's evidence as a ``curl`` command, or None when there is no request."""
    req = (evidence or {}).get("request")
    if not isinstance(req, dict) or not req.get("url") or contract is None:
        return None
    url = urlsplit(str(req["url"]))
    prefix = contract.env_prefix
    words = ["curl", "-sS", "-i"]
    if target == "sandbox":
        words += ["--cacert", _dq((f"{prefix}_CA_BUNDLE",))]
    method = str(req.get("method") or "GET").upper()
    words += ["--head"] if method == "HEAD" else ([] if method == "GET" else ["-X", method])
    by_header = {a.header.lower(): a for a in contract.auth if a.header}
    for name, value in (req.get("headers") or {}).items():
        lower, value = str(name).lower(), str(value)
        if lower in _SKIP:
            continue
        variant = by_header.get(lower)
        if lower == "authorization":
            scheme, _, token = value.partition(" ")
            if _STANDIN.fullmatch(scheme) and not token:
                # The recorder scrubs the whole header value, scheme and all: the contract says the scheme.
                scheme, token = ("Basic" if not any(a.kind == "bearer" for a in contract.auth) else "Bearer"), scheme
            basic = next((a for a in contract.auth if a.kind == "basic"), None)
            bearer = next((a for a in contract.auth if a.kind == "bearer"), None)
            if scheme.lower() == "basic" and basic and _STANDIN.fullmatch(token.strip()):
                user, password = (contract.credentials[basic.username].env, contract.credentials[basic.password].env)
                words += ["-u", _dq((user,), ":", (password,))]
                continue
            env = _env(contract, token, bearer.credential if bearer else "")
            words += ["-H", _dq(f"{name}: {scheme} ", (env,)) if env else shlex.quote(f"{name}: {value}")]
            continue
        env = _env(contract, value, variant.credential) if variant else None
        words += ["-H", _dq(f"{name}: ", (env,)) if env else shlex.quote(f"{name}: {value}")]
    query: list[str | tuple[str]] = []
    params = {a.param: a for a in contract.auth if a.param}
    for key, value in parse_qsl(url.query, keep_blank_values=True):
        env = _env(contract, value, params[key].credential) if key in params else None
        query += ["&" if query else "?", f"{urlencode({key: ''})}", (env,)] if env else \
            ["&" if query else "?", urlencode({key: value})]
    origin = f"{url.scheme}://{url.hostname}" + (f":{url.port}" if url.port else "")
    # A sandbox's port is gone after the run, and a replayed URL is the cassette's stand-in host.
    base: list[str | tuple[str]] = [(f"{prefix}_BASE_URL",)] if target == "sandbox" or origin == REPLAY_BASE \
        else [origin]
    body = req.get("body")
    if body:
        words += ["--data-raw", shlex.quote(str(body))]
    words.append(_dq(*base, url.path, *query))
    return " ".join(words)


def script(evidence: dict[str, Any] | None, contract: Contract | None, target: str | None) -> str | None:
    """A stateful failure's whole sequence (``evidence["sequence"]``) as a shell script: each step a numbered
    comment, then a :func:`curl` line for every request it sent. None when the failure has no sequence."""
    sequence = (evidence or {}).get("sequence")
    if not sequence or contract is None:
        return None
    lines = ["# The shortest sequence that showed the failure, step by step. The ids are the ones this run was",
             "# given: run against a fresh target, put the ids its creates answer in their place."]
    for number, step in enumerate(sequence, 1):
        lines.append(f"# {number}. {' '.join(str(step.get('step')).split())}")
        lines += [c for c in (curl({"request": req}, contract, target) for req in step.get("requests") or ()) if c]
    return "\n".join(lines)


def sequence_writes(evidence: dict[str, Any] | None) -> bool:
    """Whether any request of a failure's sequence changes data."""
    return any(writes({"request": req}) for step in (evidence or {}).get("sequence") or ()
               for req in step.get("requests") or ())


def writes(evidence: dict[str, Any] | None) -> bool:
    """Whether the evidence's request changes data: its repro must say so before anyone runs it."""
    method = str(((evidence or {}).get("request") or {}).get("method") or "GET").upper()
    return method not in ("GET", "HEAD", "OPTIONS")


def shown_target(target: str | None) -> str | None:
    """A target as reports show it: scheme, host, port and path; never a user:password@ part or a query."""
    if not target or "://" not in target:
        return target
    parts = urlsplit(target)
    host = (parts.hostname or "") + (f":{parts.port}" if parts.port else "")
    return urlunsplit((parts.scheme, host, parts.path, "", ""))


def rerun(record: dict[str, Any], run: dict[str, Any] | None) -> str:
    """The ``apiconform run`` command that runs this one check again, as the run that produced it did."""
    run = run or {}
    words = ["apiconform", "run", "--provider", shlex.quote(str(record.get("provider")))]
    if record.get("mode") and record["mode"] != "live":
        words += ["--mode", shlex.quote(str(record["mode"]))]
    target = shown_target(run.get("target"))
    if target:
        words += ["--target", shlex.quote(target)]
    for fault in run.get("faults") or ():
        words += ["--fault", shlex.quote(fault)]
    if run.get("deviations"):
        words += ["--deviations", shlex.quote(str(run["deviations"]))]
    words += ["--check", shlex.quote(str(record.get("test")))]
    return " ".join(words)


class RerunError(Exception):
    """--rerun-failed cannot read its results file; says which and why."""


def read_results(path: Path) -> list[dict[str, Any]]:
    """The records of a results.json, or a :class:`RerunError` saying why there are none."""
    try:
        doc = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise RerunError(f"{path}: no such file (it is written by a run's --report-dir, e.g. reports/results.json)")\
            from None
    except (OSError, ValueError) as exc:
        raise RerunError(f"{path}: not a readable results.json ({type(exc).__name__}: {exc})") from None
    records = doc.get("records") if isinstance(doc, dict) else None
    if not isinstance(records, list) or not all(isinstance(r, dict) for r in records):
        raise RerunError(f"{path}: not a results.json (no list of records)")
    return records


def failed_checks(records: list[dict[str, Any]]) -> list[dict[str, str]]:
    """The checks recorded as ``fail`` or ``error``: ``{"provider", "test"}`` each, in order."""
    # A stale deviation's record names the deviations file, not a check: there is nothing to rerun for it.
    return [{"provider": str(r.get("provider")), "test": str(r["test"])} for r in records
            if r.get("verdict") in ("fail", "error") and "::" in str(r.get("test") or "")]


def merged(previous: list[dict[str, Any]], rerun: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A rerun's records in place of the ones they reran; every other record of the previous run kept."""
    fresh = {r.get("test") for r in rerun}
    return [r for r in previous if r.get("test") not in fresh] + rerun
