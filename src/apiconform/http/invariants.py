"""Checks that hold for every response, whatever the test: the contract's ``[invariants]``.

They run inside :meth:`Api.request`, so a target that breaks an invariant is caught by the
first test that sees it, and that test's record names the invariant's clause. With a
``[rate_limit]`` table, the rate-limit headers are one of them: every answer carries them.
"""
from __future__ import annotations

from urllib.parse import urlsplit

from apiconform.contract.model import Contract, RateLimit
from apiconform.contract.schemas import load_schema, problems
from apiconform.http import rate
from apiconform.http.exchange import Exchange
from apiconform.spec import conform
from apiconform.verdict import ContractViolation


def check_invariants(contract: Contract, ex: Exchange) -> set[str]:
    """Raise on the first broken invariant; return the clauses checked."""
    inv = contract.raw.get("invariants", {})
    checked: set[str] = set()
    status_clause = inv.get("status")
    if status_clause:
        checked.add(status_clause)
        allowed = contract.allowed_status(ex.method)
        if ex.status not in allowed:
            raise ContractViolation(status_clause, f"{ex.method} answered {ex.status}, which the contract does not "
                                    f"allow for {ex.method} (allowed: {list(allowed)})", expected=list(allowed),
                                    actual=ex.status, exchange=ex)
    if contract.rate_limit is not None:
        for clause, found in rate_header_problems(contract.rate_limit, ex).items():
            checked.add(clause)
            if found:
                raise ContractViolation(clause, f"{ex.method} {ex.url.split('?')[0]} answered {ex.status}: "
                                        + "; ".join(found), expected=sorted(contract.rate_limit.headers.values()),
                                        actual={k: v for k, v in ex.headers.items()}, exchange=ex)
    cond = contract.conditional
    if ex.status == cond.get("not_modified", 304) and cond.get("request_header"):
        clause = cond.get("clause", "")
        sent = {k.lower() for k in ex.request_headers}
        if clause and cond["request_header"].lower() not in sent:
            raise ContractViolation(clause, f"{ex.status} Not Modified to a request without "
                                    f"{cond['request_header']}", exchange=ex)
    if ex.method == "HEAD" or ex.status == 304:
        return checked
    media_types = contract.formats.get("media_types", {})
    fmt = ex.fmt if ex.fmt in media_types else _format_of(media_types, ex.media_type)
    err_clause = inv.get("error_body", {}).get(fmt or contract.formats.get("default", "json"))
    if not ex.body:
        if ex.status >= 400 and err_clause:
            raise ContractViolation(err_clause, f"{ex.status} answered with an empty body, not an error resource",
                                    exchange=ex)
        return checked
    ct_clause = inv.get("content_type", {}).get(ex.fmt)
    if ct_clause:
        checked.add(ct_clause)
        if ex.media_type != media_types[ex.fmt]:
            raise ContractViolation(ct_clause, f"a .{ex.fmt} request answered Content-Type {ex.media_type or '(none)'}",
                                    expected=media_types[ex.fmt], actual=ex.media_type, exchange=ex)
    if ex.status >= 400:
        if err_clause:
            checked.add(err_clause)
            check_error_body(contract, ex, fmt, err_clause)
        type_clause = inv.get("error_type")
        if type_clause:
            checked.add(type_clause)
            check_error_type(contract, ex, type_clause)
    return checked


def check_spec(contract: Contract, ex: Exchange) -> set[str]:
    """With ``[invariants] spec``: a response of a covered operation conforms to the official document
    (spec/conform.py). ``Api.check`` runs it last, after the other invariants and the genuine-credential one,
    so the status table, the error shape, the media type and a refused token keep their own clauses."""
    clause = contract.raw.get("invariants", {}).get("spec")
    if not clause:
        return set()
    try:
        data = ex.data() if ex.body else None
    except ValueError:
        data = None
    found = conform.problems_with(contract.provider, ex.method, urlsplit(ex.url).path, ex.status, ex.body, data)
    if found:
        raise ContractViolation(clause, "; ".join(found), expected="the official document's schema",
                                actual=ex.text[:300], exchange=ex)
    return {clause}


def rate_header_problems(rl: RateLimit, ex: Exchange) -> dict[str, list[str]]:
    """What is wrong with an answer's rate-limit headers, as ``[rate_limit]`` names them, by clause: the headers
    clause for a missing one, the ``values`` clause (where the contract names one, else the headers clause) for
    a value not as ``[rate_limit.values]`` defines it. mStudio's seed says which headers every answer carries,
    not that their values are integers, so its values clause is assumed.

    Every answer carries them. Two findings belong to other clauses and are left to their checks:
    retry-after missing from the exceeded answer (``exceeded``) and a value below zero (``remaining``).
    """
    reading = rate.read(rl, ex.status, ex.headers)
    missing = [name for name in reading.missing if name != rl.headers.get("retry_after")]
    headers, values = rl.clauses["headers"], rl.clauses.get("values", rl.clauses["headers"])
    found: dict[str, list[str]] = {headers: [f"lacks {', '.join(missing)}"] if missing else []}
    found.setdefault(values, []).extend(problem for problem in reading.problems if problem not in reading.negative)
    return found


def _format_of(media_types: dict[str, str], media_type: str) -> str | None:
    for fmt, mt in media_types.items():
        if mt == media_type:
            return fmt
    return None


def check_error_body(contract: Contract, ex: Exchange, fmt: str | None, clause: str) -> None:
    """The error body must parse in ``fmt`` and validate against the contract's error schema (``[errors]
    by_status`` names another for a status, e.g. mStudio's 429 RateLimitError, whose fields are optional)."""
    if fmt is None:
        raise ContractViolation(clause, f"error body is {ex.media_type or 'untyped'}, not a documented format",
                                actual=ex.text[:200], exchange=ex)
    schema_name = contract.errors.get("by_status", {}).get(str(ex.status)) or contract.errors.get(fmt)
    if not schema_name:
        return
    try:
        data = ex.data()
    except ValueError as exc:
        raise ContractViolation(clause, f"error body does not parse as {fmt}: {exc}", actual=ex.text[:200],
                                exchange=ex) from None
    if isinstance(data, tuple):  # XML: (root, value) -> {root: value}
        data = {data[0]: data[1]}
    found = problems(data, load_schema(contract.provider, schema_name))
    if found:
        raise ContractViolation(clause, f"{ex.status} error body does not match {schema_name}: " + "; ".join(found),
                                expected=schema_name, actual=ex.text[:300], exchange=ex)
    field = contract.errors.get("status_field")
    if field and data.get(field) != ex.status:
        raise ContractViolation(clause, f"the error body's {field} {data.get(field)!r} is not the HTTP status "
                                f"{ex.status}", expected=ex.status, actual=data.get(field), exchange=ex)


def check_error_type(contract: Contract, ex: Exchange, clause: str) -> None:
    """An error of a documented type (``[errors.types]``) carries one of that type's statuses.

    Runs after :func:`check_error_body`, so the body is an object naming its type; a type the
    table does not list is the error schema's business.
    """
    name = ex.data().get(contract.errors["type_field"])
    allowed = contract.errors.get("types", {}).get(name)
    if allowed is not None and ex.status not in allowed:
        raise ContractViolation(clause, f"a {name} error answered {ex.status}, not {' or '.join(map(str, allowed))}",
                                expected=allowed, actual=ex.status, exchange=ex)
