"""Reading an OpenAPI 3.0 document: its operations, by operationId or by ``METHOD /path``.

The covered operations are named in the contract (``[spec] operations``). An operationId is the
usual name; an operation without one (mStudio's 308 stubs of deprecated routes) is named
``METHOD /path``. mittwald says operationIds may change (providers/mstudio.md §1), so a name
that no longer resolves is reported, not fatal, and method + path is tried as a fallback.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

METHODS = ("get", "put", "post", "delete", "patch", "head", "options", "trace")


class SpecError(Exception):
    """The document cannot be read as OpenAPI 3.0; the message names the file."""


@dataclass(frozen=True)
class Operation:
    key: str  # the name the contract uses: an operationId or "METHOD /path"
    method: str  # upper case
    path: str
    raw: dict[str, Any]

    @property
    def operation_id(self) -> str:
        return str(self.raw.get("operationId", ""))


class _JsonLikeLoader(yaml.SafeLoader):
    """YAML read as the JSON it stands for: a date stays the string it is in the document (JSON has no date),
    so the schemas derived from it stay JSON."""


_JsonLikeLoader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:timestamp"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}


def load(path: Path) -> tuple[dict[str, Any], str]:
    """The document and the sha256 of its bytes."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise SpecError(f"{path}: cannot read: {exc}") from None
    try:
        doc = json.loads(data)
    except ValueError:
        try:  # providers publish YAML as often as JSON (mittwald both)
            doc = yaml.load(data, Loader=_JsonLikeLoader)  # a SafeLoader
        except yaml.YAMLError as exc:
            raise SpecError(f"{path}: neither JSON nor YAML: {str(exc).splitlines()[0]}") from None
    if not isinstance(doc, dict) or not str(doc.get("openapi", "")).startswith("3.0"):
        raise SpecError(f"{path}: not an OpenAPI 3.0 document (openapi = {doc.get('openapi')!r})"
                        if isinstance(doc, dict) else f"{path}: not an OpenAPI document")
    return doc, hashlib.sha256(data).hexdigest()


def operations(doc: dict[str, Any]) -> list[Operation]:
    out = []
    for path, item in (doc.get("paths") or {}).items():
        for method in METHODS:
            op = item.get(method) if isinstance(item, dict) else None
            if isinstance(op, dict):
                upper = method.upper()
                out.append(Operation(op.get("operationId") or f"{upper} {path}", upper, path, op))
    return out


def find(doc: dict[str, Any], keys: list[str], *, where: dict[str, tuple[str, str]] | None = None
         ) -> tuple[dict[str, Operation], list[str]]:
    """The operations named by ``keys`` and the keys that name none.

    ``where`` (key -> (method, path), e.g. from a previous extraction) finds an operation whose
    operationId was renamed at the same method and path.
    """
    ops = operations(doc)
    by_id = {op.operation_id: op for op in ops if op.operation_id}
    by_route = {f"{op.method} {op.path}": op for op in ops}
    found, missing = {}, []
    for key in keys:
        route = " ".join(where[key]) if where and key in where else key
        op = by_id.get(key) or by_route.get(key) or by_route.get(route)
        if op is None:
            missing.append(key)
        else:
            found[key] = op
    return found, missing
