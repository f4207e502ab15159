"""Extract the covered operations of an OpenAPI 3.0 document into ``schemas/<provider>/``.

What the contract's ``[spec]`` table names is written, nothing else:

- ``spec/<operation>.json`` for each of ``operations``: method, path, parameters, the request
  body's schema and, per declared status (``default`` included), the body schema (``null``:
  no body) and headers; every schema draft 2020-12, with the components it needs in ``$defs``;
- ``spec/index.json``: operation name -> file, method, path (what the conformance invariant and
  a later diff match on);
- each ``[spec.schemas]`` entry as a standalone schema file (``"api-token.json" =
  "#/components/schemas/de.mittwald.v1.signup.ApiToken"``, or ``"<operation> request"``);
- ``provenance.json``: the document's source, commit, sha256 and licence (``[[spec.versions]]``
  names the known documents by sha256), and which operations were extracted.

Re-running it on a new document is the whole update: ``apiconform spec extract <provider> FILE``.
"""
from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jsonschema import Draft202012Validator

from apiconform.spec import convert
from apiconform.spec.openapi import Operation, SpecError, find, load

DIALECT = "https://json-schema.org/draft/2020-12/schema"
JSON = "application/json"


@dataclass
class Extraction:
    """What one document yields for the covered operations."""

    operations: dict[str, dict[str, Any]]  # operation name -> its description (see module doc)
    schemas: dict[str, dict[str, Any]]  # [spec.schemas] file name -> standalone schema
    missing: list[str] = field(default_factory=list)  # covered operations the document lacks
    sha256: str = ""


def deref(doc: dict[str, Any], node: Any, seen: tuple[str, ...] = ()) -> Any:
    """A response, request body, parameter or header object with its own ``$ref`` followed (not schemas')."""
    while isinstance(node, dict) and "$ref" in node and not str(node["$ref"]).startswith(convert.COMPONENTS):
        ref = str(node["$ref"])
        if ref in seen or not ref.startswith("#/"):
            raise SpecError(f"cannot follow $ref {ref!r}")
        target: Any = doc
        for part in ref[2:].split("/"):
            part = part.replace("~1", "/").replace("~0", "~")
            if not isinstance(target, dict) or part not in target:
                raise SpecError(f"$ref {ref!r} points nowhere")
            target = target[part]
        node, seen = target, (*seen, ref)
    return node


def _closure(doc: dict[str, Any], schemas: list[Any]) -> dict[str, Any]:
    """Every component schema the given converted schemas reach, converted."""
    components = (doc.get("components") or {}).get("schemas") or {}
    defs: dict[str, Any] = {}
    todo = set().union(*(convert.refs(s) for s in schemas)) if schemas else set()
    while todo:
        name = todo.pop()
        if name in defs:
            continue
        if name not in components:
            raise SpecError(f"$ref to #/components/schemas/{name}, which the document lacks")
        defs[name] = convert.convert(components[name])
        todo |= convert.refs(defs[name]) - set(defs)
    return dict(sorted(defs.items()))


def _body(doc: dict[str, Any], holder: dict[str, Any]) -> Any:
    content = deref(doc, holder).get("content") or {}
    media = content.get(JSON) or next((v for k, v in content.items() if k.endswith("json")), None)
    if media is None:
        return None
    return convert.convert(media.get("schema", {}))


def describe(doc: dict[str, Any], op: Operation) -> dict[str, Any]:
    """One operation as the engine reads it (see the module doc)."""
    raw = op.raw
    params = {}
    for p in raw.get("parameters") or []:
        p = deref(doc, p)
        params[p["name"]] = {"in": p.get("in"), "required": bool(p.get("required")),
                             "schema": convert.convert(p.get("schema", {}))}
    request = None
    body = raw.get("requestBody")
    if body is not None:
        request = {"required": bool(deref(doc, body).get("required")), "schema": _body(doc, body)}
    responses = {}
    for status, response in (raw.get("responses") or {}).items():
        response = deref(doc, response)
        headers = {name: convert.convert(deref(doc, h).get("schema", {}))
                   for name, h in (response.get("headers") or {}).items()}
        responses[str(status)] = {"schema": _body(doc, response), "headers": headers}
    described = {"operationId": op.operation_id, "method": op.method, "path": op.path,
                 "deprecated": bool(raw.get("deprecated")), "parameters": params, "request": request,
                 "responses": responses}
    schemas = [v["schema"] for v in params.values()] + [r["schema"] for r in responses.values()]
    schemas += [h for r in responses.values() for h in r["headers"].values()]
    schemas += [request["schema"]] if request else []
    described["$defs"] = _closure(doc, [s for s in schemas if s is not None])
    return described


def standalone(doc: dict[str, Any], ops: dict[str, dict[str, Any]], pointer: str | list[str]) -> dict[str, Any]:
    """A ``[spec.schemas]`` entry as a schema file: ``#/components/schemas/X``, ``<op> request`` or ``<op> <status>``;
    a list of them is their ``anyOf`` (an error body that is one of two shapes)."""
    if isinstance(pointer, list):
        parts = [standalone(doc, ops, p) for p in pointer]
        defs = {k: v for part in parts for k, v in part.pop("$defs").items()}
        return {"$schema": DIALECT, "anyOf": [{k: v for k, v in p.items() if k != "$schema"} for p in parts],
                "$defs": dict(sorted(defs.items()))}
    if pointer.startswith(convert.COMPONENTS):
        schema: Any = {"$ref": convert.DEFS + pointer[len(convert.COMPONENTS):]}
    else:
        key, _, part = pointer.rpartition(" ")
        if key not in ops:
            raise SpecError(f"[spec.schemas] {pointer!r}: no covered operation {key!r}")
        op = ops[key]
        holder = op["request"] if part == "request" else op["responses"].get(part)
        schema = holder.get("schema") if holder else None
        if schema is None:
            raise SpecError(f"[spec.schemas] {pointer!r}: the operation has no such body")
    return {"$schema": DIALECT, **schema, "$defs": _closure(doc, [schema])}


def extract(document: Path, covered: list[str], named: dict[str, Any]) -> Extraction:
    doc, sha = load(document)
    found, missing = find(doc, covered)
    ops = {key: describe(doc, op) for key, op in found.items()}
    schemas = {name: standalone(doc, ops, pointer) for name, pointer in named.items()}
    for name, schema in [*((f"spec/{k}", v) for k, v in ops.items()), *schemas.items()]:
        try:
            Draft202012Validator.check_schema(schema)
        except Exception as exc:  # jsonschema.SchemaError: our conversion made something invalid
            raise SpecError(f"{document}: {name} converts to an invalid draft 2020-12 schema: {exc}") from None
    return Extraction(ops, schemas, missing, sha)


def slug(key: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", key.lower()).strip("-")


def provenance(spec: dict[str, Any], document: Path, sha: str, covered: list[str]) -> dict[str, Any]:
    """Where the document came from, by its sha256 among the contract's known ``[[spec.versions]]``."""
    known = next((v for v in spec.get("versions", []) if v.get("sha256") == sha), {})
    return {"document": document.name, "sha256": sha, "commit": known.get("commit", "unknown"),
            "date": known.get("date", "unknown"), "source": spec.get("source", "").format(**known) if known
            else spec.get("source", ""), "licence": spec.get("licence", ""), "operations": covered,
            "extracted_by": "apiconform spec extract"}


def write(out: Path, spec: dict[str, Any], document: Path) -> Extraction:
    """Extract and write ``out`` (``schemas/<provider>/``); files are replaced atomically."""
    result = extract(document, list(spec.get("operations", [])), dict(spec.get("schemas", {})))
    if result.missing:
        raise SpecError(f"{document}: lacks the covered operation(s) {', '.join(result.missing)}")
    index = {key: {"file": f"{slug(key)}.json", "method": op["method"], "path": op["path"]}
             for key, op in result.operations.items()}
    files = {f"spec/{slug(key)}.json": op for key, op in result.operations.items()}
    files |= {"spec/index.json": index, **result.schemas}
    files["provenance.json"] = provenance(spec, document, result.sha256, list(result.operations))
    stale = set((out / "spec").glob("*.json")) - {out / name for name in files}
    for name, data in files.items():
        _atomic(out / name, json.dumps(data, indent=2, ensure_ascii=False, sort_keys=False) + "\n")
    for path in stale:
        path.unlink()
    return result


def _atomic(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
