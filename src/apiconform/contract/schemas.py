"""JSON Schemas (draft 2020-12) of a provider, and validation that names what failed."""
from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from apiconform.contract.model import ContractError
from apiconform.parsecache import checked_once, library_version
from apiconform.paths import schemas_dir


@cache
def load_schema(provider: str, name: str) -> dict[str, Any]:
    path: Path = schemas_dir(provider) / name
    try:
        raw = path.read_bytes()
        schema = json.loads(raw)
    except FileNotFoundError:
        raise ContractError(f"{path}: schema file not found") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ContractError(f"{path}: not valid JSON: {exc}") from None
    try:  # the meta-schema check is the costly part of loading; it runs once per content (parsecache.py)
        checked_once(f"draft 2020-12 schema, jsonschema {library_version('jsonschema')}", raw,
                     lambda: _validator().check_schema(schema))
    except Exception as exc:  # jsonschema.SchemaError: say which file and where, in one line
        where = "/".join(str(p) for p in getattr(exc, "path", ())) or "(root)"
        message = getattr(exc, "message", str(exc)).splitlines()[0]
        raise ContractError(f"{path}: not a valid draft 2020-12 schema at {where}: {message}") from None
    return schema


def _validator() -> Any:
    """jsonschema's draft 2020-12 validator, imported when first used: ``apiconform run``'s preflight
    loads every schema and, with the parse cache warm, validates none (parsecache.py)."""
    from jsonschema import Draft202012Validator

    return Draft202012Validator


def wrapped(root: str, schema: dict[str, Any]) -> dict[str, Any]:
    """The envelope ``{root: resource}`` that single resources travel in; no root, no envelope."""
    return {"type": "object", "required": [root], "properties": {root: schema}} if root else schema


def listed(root: str, schema: dict[str, Any], envelope: dict[str, Any] | None = None) -> dict[str, Any]:
    """A list: an array of wrapped resources, bare or inside the contract's ``[lists]`` envelope.

    The envelope names the key of the items, the key of the "more pages" flag, and constant
    markers (``{"object": "list"}``).
    """
    items = {"type": "array", "items": wrapped(root, schema)}
    if not envelope:
        return items
    marker = envelope.get("marker", {})
    flags = {envelope["more"]: {"type": "boolean"}} if "more" in envelope else {}
    if "meta" in envelope:  # page counts beside the items (Hive's pagination object), each an integer >= 0
        flags[envelope["meta"]] = {"type": "object", "additionalProperties": {"type": "integer", "minimum": 0}}
    return {"type": "object", "required": [envelope["items"], *flags, *marker],
            "properties": {envelope["items"]: items, **flags,
                           **{key: {"const": value} for key, value in marker.items()}}}


def problems(instance: Any, schema: dict[str, Any], limit: int = 5) -> list[str]:
    """Human-readable validation errors, ``path: message``; empty when valid."""
    validator_class = _validator()
    validator = validator_class(schema, format_checker=validator_class.FORMAT_CHECKER)
    out = []
    for err in sorted(validator.iter_errors(instance), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(root)"
        out.append(f"{where}: {err.message}")
        if len(out) >= limit:
            break
    return out
