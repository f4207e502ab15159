"""Generic assertions. Each raises :class:`ContractViolation` naming the clause it verifies.

Each sets ``__tracebackhide__``: when pytest shows a traceback, it points at the check, not at these helpers.
"""
from __future__ import annotations

from collections.abc import Collection
from typing import Any, NoReturn

import pytest

from apiconform.contract.model import Contract, ContractError, Resource
from apiconform.contract.schemas import listed, load_schema, problems, wrapped
from apiconform.http.exchange import Exchange
from apiconform.verdict import ContractViolation, Unsupported


def violation(clause: str, message: str, exchange: Exchange | None = None, *, expected: Any = None,
              actual: Any = None) -> NoReturn:
    __tracebackhide__ = True
    raise ContractViolation(clause, message, expected=expected, actual=actual, exchange=exchange)


class _Unsupported(pytest.skip.Exception, Unsupported):
    """A skip the report calls ``unsupported``: the target lacks the feature, the contract is not in doubt."""


def unsupported(reason: str) -> NoReturn:
    raise _Unsupported(reason)


def expect(condition: bool, clause: str, message: str, exchange: Exchange | None = None, *,
           expected: Any = None, actual: Any = None) -> None:
    __tracebackhide__ = True
    if not condition:
        violation(clause, message, exchange, expected=expected, actual=actual)


def expect_status(ex: Exchange, expected: int | Collection[int], clause: str, what: str = "") -> None:
    __tracebackhide__ = True
    allowed = {expected} if isinstance(expected, int) else set(expected)
    if ex.status not in allowed:
        want = " or ".join(str(s) for s in sorted(allowed))
        violation(clause, f"{what or ex.method + ' ' + ex.url.split('?')[0]}: expected {want}, got {ex.status}",
                  ex, expected=want, actual=ex.status)


def body_data(ex: Exchange, clause: str) -> Any:
    """The decoded body; a body that does not parse violates ``clause``."""
    __tracebackhide__ = True
    try:
        return ex.data()
    except ValueError as exc:
        violation(clause, f"body does not parse: {exc}", ex, actual=ex.text[:200])


def expect_error(contract: Contract, ex: Exchange, status: int, error: str, clause: str, what: str = "") -> None:
    """``ex`` answers ``status``; where ``error`` is given, its body names that error type."""
    __tracebackhide__ = True
    expect_status(ex, status, clause, what)
    if not error:
        return
    field = contract.errors.get("type_field")
    if not field:
        raise ContractError(f"{contract.path}: expects error type {error!r}, but [errors] has no type_field")
    data = body_data(ex, clause)
    name = data.get(field) if isinstance(data, dict) else None
    expect(name == error, clause, f"{what or ex.method}: the error is {name!r}, not {error!r}", ex, expected=error,
           actual=name)


def expect_resource(contract: Contract, ex: Exchange, resource: Resource, clause: str, *, many: bool = False) -> Any:
    __tracebackhide__ = True
    """Validate a single (wrapped) resource or a list against the resource schema.

    Returns the resource data unwrapped: a dict, or a list of dicts. XML bodies are decoded
    and checked against the same schema, so one schema serves both formats. A JSON list is a
    bare array or the contract's ``[lists]`` envelope.
    """
    data = body_data(ex, clause)
    schema = load_schema(contract.provider, resource.schema)
    if ex.media_type.endswith("xml"):
        _, value = data
        instance = value if not many else list(value or [])
        check = schema if not many else {"type": "array", "items": schema}
        found = problems(instance, check)
        result = instance
    else:
        check = listed(resource.root, schema, contract.lists) if many else wrapped(resource.root, schema)
        found = problems(data, check)
        if many and not found:
            result = [resource.unwrap(item) for item in contract.list_entries(data)]
        else:
            result = resource.unwrap(data) if not found else None
    if found:
        violation(clause, f"{resource.name} does not match {resource.schema}: " + "; ".join(found), ex,
                  expected=resource.schema, actual=found)
    return result


def expect_page(contract: Contract, ex: Exchange, resource: Resource, clause: str) -> tuple[list[Any], bool]:
    """A list page's items and its "more pages" flag (``[lists].more``), both held to the schema."""
    __tracebackhide__ = True
    items = expect_resource(contract, ex, resource, clause, many=True)
    return items, ex.data()[contract.lists["more"]]
