"""Every response of a covered operation conforms to the official document (``[invariants] spec``).

The operation is found by method and path among ``schemas/<provider>/spec/index.json`` (a literal
segment beats a template one: ``/v2/users/self/api-tokens`` is not ``/v2/users/{userId}``). Its
status must be declared: explicitly, or, for an error (4xx), under ``default``; a 2xx or 3xx the
operation does not list is undeclared. The body must validate against that status's schema, and a
status declared without a body must come without one. A request outside the covered operations
(the suite's probe for no endpoint) is not held to the document.
"""
from __future__ import annotations

import json
import re
from functools import cache
from typing import Any

from apiconform.contract.schemas import problems
from apiconform.paths import schemas_dir


@cache
def _index(provider: str) -> list[tuple[str, re.Pattern[str], int, dict[str, Any]]]:
    folder = schemas_dir(provider) / "spec"
    index = json.loads((folder / "index.json").read_text(encoding="utf-8"))
    routes = []
    for key, entry in index.items():
        pattern = re.compile("^" + re.sub(r"\\\{[^}]+\\\}", "[^/]+", re.escape(entry["path"])) + "/?$")
        operation = json.loads((folder / entry["file"]).read_text(encoding="utf-8"))
        routes.append((entry["method"], pattern, entry["path"].count("{"), {"key": key, **operation}))
    return sorted(routes, key=lambda r: r[2])  # fewest templates first: literal segments win


def operation_for(provider: str, method: str, path: str) -> dict[str, Any] | None:
    for op_method, pattern, _, operation in _index(provider):
        if op_method == method.upper() and pattern.match(path):
            return operation
    return None


def problems_with(provider: str, method: str, path: str, status: int, body: bytes, data: Any) -> list[str]:
    """What is wrong with a response of a covered operation (empty: it conforms, or it is not covered).

    ``data`` is the decoded body (``None`` when there is none or it does not parse).
    """
    op = operation_for(provider, method, path)
    if op is None:
        return []
    name = f"{op['key']} ({op['method']} {op['path']})"
    declared = op["responses"]
    key = str(status) if str(status) in declared else "default" if status >= 400 and "default" in declared else None
    if key is None:
        return [f"{name} does not declare status {status} (declared: {', '.join(declared)})"]
    schema = declared[key]["schema"]
    if schema is None:
        return [f"{name} declares {key} without a body, but it came with {len(body)} bytes"] if body else []
    if not body:
        return [f"{name} declares a JSON body for {key}, but it came without one"]
    if data is None:
        return [f"{name}: the {status} body is not JSON"]
    found = problems(data, {**schema, "$defs": op["$defs"]})
    return [f"{name} {status} body does not match the spec: " + "; ".join(found)] if found else []
