"""OpenAPI 3.0 schema objects to draft 2020-12 JSON Schema, with references kept local.

Written here rather than taken from a library: openapi-schema-validator (the maintained OAS
validator) validates instances against OAS 3.0 schemas but writes no 2020-12 schema files, and
the engine validates with jsonschema's Draft202012Validator everywhere. The differences that
matter are few and listed in OAS 3.0.3 §4.7.24 and the 3.1 migration notes:

- ``nullable: true`` becomes ``null`` among the types (and in an ``enum``); on a schema without
  a type (a ``$ref``, an ``allOf``) it becomes ``anyOf: [schema, {type: null}]``;
- boolean ``exclusiveMinimum``/``exclusiveMaximum`` become the numeric forms;
- ``example`` becomes ``examples: [example]``; ``discriminator``, ``xml``, ``externalDocs`` and
  ``x-`` extensions are dropped (no validation meaning);
- siblings of a ``$ref`` are ignored in 3.0, so they are dropped (2020-12 would apply them);
- ``#/components/schemas/<name>`` becomes ``#/$defs/<name>``.
"""
from __future__ import annotations

from typing import Any

COMPONENTS = "#/components/schemas/"
DEFS = "#/$defs/"
DROPPED = {"discriminator", "xml", "externalDocs", "nullable", "example"}


def convert(schema: Any) -> Any:
    """``schema`` (an OAS 3.0 schema object) as draft 2020-12; refs point into ``$defs``."""
    if isinstance(schema, list):
        return [convert(s) for s in schema]
    if not isinstance(schema, dict):
        return schema
    if "$ref" in schema:
        ref = str(schema["$ref"])
        out: dict[str, Any] = {"$ref": DEFS + ref[len(COMPONENTS):] if ref.startswith(COMPONENTS) else ref}
        return _nullable(out, schema)
    out = {}
    for key, value in schema.items():
        if key in DROPPED or key.startswith("x-"):
            continue
        if key in ("properties", "patternProperties", "dependentSchemas"):
            out[key] = {name: convert(sub) for name, sub in value.items()}
        elif key in ("items", "additionalProperties", "not", "allOf", "anyOf", "oneOf"):
            out[key] = convert(value)
        elif key in ("exclusiveMinimum", "exclusiveMaximum") and isinstance(value, bool):
            bound = "minimum" if key == "exclusiveMinimum" else "maximum"
            if value and bound in schema:
                out[key] = schema[bound]
        else:
            out[key] = value
    for key in ("exclusiveMinimum", "exclusiveMaximum"):
        bound = "minimum" if key == "exclusiveMinimum" else "maximum"
        if schema.get(key) is True:
            out.pop(bound, None)
    if "example" in schema and "examples" not in schema:
        out["examples"] = [schema["example"]]
    return _nullable(out, schema)


def _nullable(out: dict[str, Any], schema: dict[str, Any]) -> dict[str, Any]:
    if schema.get("nullable") is not True:
        return out
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    kind = out.get("type")
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
        return out
    if kind is None:
        return {"anyOf": [out, {"type": "null"}]}
    return out


def refs(schema: Any) -> set[str]:
    """The component names a converted schema refers to directly."""
    found: set[str] = set()
    if isinstance(schema, dict):
        ref = schema.get("$ref")
        if isinstance(ref, str) and ref.startswith(DEFS):
            found.add(ref[len(DEFS):])
        for value in schema.values():
            found |= refs(value)
    elif isinstance(schema, list):
        for value in schema:
            found |= refs(value)
    return found
