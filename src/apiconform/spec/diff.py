"""What changed between two OpenAPI documents, for the operations a contract covers.

Both documents go through the same extraction as ``schemas/<provider>/`` (``extract.describe``),
so the diff compares exactly what the suite validates with, refs resolved: a component that was
only renamed is no change, a moved field is. Each change says whether it breaks a client:

- request (what a client sends): a new required field or parameter, a removed field, a narrower
  type, a removed enum value or a tighter bound breaks; a new optional field, a wider type, a new
  enum value or a looser bound is additive;
- response (what a client reads): a removed field, a field no longer required, a wider type
  (``null`` included) or a new enum value breaks. A new enum value breaks *strict* clients (the
  generated TypeScript and Go clients switch over the enum): we chose to call it breaking, so a CI
  gate errs on the side of a look; a new field, a newly required one or a narrower type is additive;
- statuses: a removed success status or a new one breaks; a new or removed error status is additive
  (every covered operation declares ``default`` errors anyway);
- an operation the new document lacks breaks (found again by method and path if only its
  operationId changed, which mittwald says may happen); one marked deprecated is a note.

Every change names the contract clauses its operation's checks verify (``[spec] clauses``) and the
spec-conformance clause. Exit status (``exit_status``): 0 nothing breaking, 1 breaking (or, with
``--fail-on any``, any change), 2 the documents or the contract could not be read.
"""
from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from apiconform.spec import extract
from apiconform.spec.openapi import find, load

BREAKING, ADDITIVE, NOTE = "breaking", "additive", "note"
BOUNDS = {"minLength": 1, "minItems": 1, "minimum": 1, "minProperties": 1,
          "maxLength": -1, "maxItems": -1, "maximum": -1, "maxProperties": -1}  # +1: a higher value is tighter


@dataclass(frozen=True)
class Change:
    operation: str
    where: str  # "request body .roles", "response 200 body [].status", "status 404", "parameter limit"
    what: str
    kind: str  # breaking | additive | note
    clauses: tuple[str, ...] = ()


@dataclass
class Report:
    old: str
    new: str
    old_sha: str
    new_sha: str
    covered: list[str]
    changes: list[Change] = field(default_factory=list)

    @property
    def breaking(self) -> list[Change]:
        return [c for c in self.changes if c.kind == BREAKING]


def diff_documents(old_path: Path, new_path: Path, table: dict[str, Any]) -> Report:
    old_doc, old_sha = load(old_path)
    new_doc, new_sha = load(new_path)
    covered = list(table.get("operations", []))
    report = Report(old_path.name, new_path.name, old_sha, new_sha, covered)
    old_ops, old_missing = find(old_doc, covered)
    routes = {k: (op.method, op.path) for k, op in old_ops.items()}
    new_ops, _ = find(new_doc, covered, where=routes)
    invariant = table.get("clause", "")
    for key in covered:
        clauses = tuple(table.get("clauses", {}).get(key, [])) + ((invariant,) if invariant else ())
        out = _Differ(key, clauses)
        if key in old_missing and key in new_ops:
            out.add("operation", "added in the new document", ADDITIVE)
        elif key in old_ops and key not in new_ops:
            out.add("operation", f"{old_ops[key].method} {old_ops[key].path} is gone", BREAKING)
        elif key in old_ops:
            out.operation(extract.describe(old_doc, old_ops[key]), extract.describe(new_doc, new_ops[key]))
        report.changes += out.changes
    return report


class _Differ:
    def __init__(self, key: str, clauses: tuple[str, ...]) -> None:
        self.key, self.clauses = key, clauses
        self.changes: list[Change] = []
        self.defs: tuple[dict[str, Any], dict[str, Any]] = ({}, {})

    def add(self, where: str, what: str, kind: str) -> None:
        self.changes.append(Change(self.key, where, what, kind, self.clauses))

    def operation(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        self.defs = (old["$defs"], new["$defs"])
        if (old["method"], old["path"]) != (new["method"], new["path"]):
            self.add("operation", f"moved from {old['method']} {old['path']} to {new['method']} {new['path']}",
                     BREAKING)
        if new["deprecated"] and not old["deprecated"]:
            self.add("operation", "now deprecated (may be removed without notice)", NOTE)
        self._parameters(old["parameters"], new["parameters"])
        o_req, n_req = old["request"], new["request"]
        if o_req is None and n_req is not None:
            self.add("request body", "a request body is now " + ("required" if n_req["required"] else "accepted"),
                     BREAKING if n_req["required"] else ADDITIVE)
        elif o_req is not None and n_req is None:
            self.add("request body", "the request body is gone", BREAKING)
        elif o_req and n_req:
            self.schema("request body", o_req["schema"], n_req["schema"], "request")
        self._responses(old["responses"], new["responses"])

    def _parameters(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        for name in sorted(set(old) | set(new)):
            where = f"parameter {name}"
            if name not in new:
                self.add(where, "removed", BREAKING)
            elif name not in old:
                self.add(where, "new, " + ("required" if new[name]["required"] else "optional"),
                         BREAKING if new[name]["required"] else ADDITIVE)
            else:
                if new[name]["required"] != old[name]["required"]:
                    self.add(where, "now " + ("required" if new[name]["required"] else "optional"),
                             BREAKING if new[name]["required"] else ADDITIVE)
                self.schema(where, old[name]["schema"], new[name]["schema"], "request")

    def _responses(self, old: dict[str, Any], new: dict[str, Any]) -> None:
        for status in sorted(set(old) | set(new)):
            where = f"status {status}"
            success = status[0] in "23"
            if status not in new:
                self.add(where, "no longer declared", BREAKING if success else ADDITIVE)
                continue
            if status not in old:
                self.add(where, "newly declared", BREAKING if success else ADDITIVE)
                continue
            o, n = old[status], new[status]
            if (o["schema"] is None) != (n["schema"] is None):
                self.add(f"response {status} body", "now has a body" if n["schema"] is not None else "body removed",
                         BREAKING)
            elif o["schema"] is not None:
                self.schema(f"response {status} body", o["schema"], n["schema"], "response")
            for header in sorted(set(o["headers"]) | set(n["headers"])):
                if header not in n["headers"]:
                    self.add(f"response {status} header {header}", "no longer declared", BREAKING)
                elif header not in o["headers"]:
                    self.add(f"response {status} header {header}", "newly declared", ADDITIVE)

    # -- schemas ----------------------------------------------------------------------
    def _resolve(self, schema: Any, side: int) -> Any:
        seen = 0
        while isinstance(schema, dict) and "$ref" in schema and seen < 50:
            name = str(schema["$ref"]).rsplit("/", 1)[-1]
            schema, seen = self.defs[side].get(name, {}), seen + 1
        return schema

    def schema(self, where: str, old: Any, new: Any, direction: str, path: str = "",
               seen: frozenset[tuple[str, str]] = frozenset()) -> None:
        pair = (json.dumps(old, sort_keys=True), json.dumps(new, sort_keys=True))
        if pair[0] == pair[1] and not _has_ref(old):
            return
        if pair in seen:  # a recursive schema compared once
            return
        seen = seen | {pair}
        old, new = self._resolve(old, 0), self._resolve(new, 1)
        if not isinstance(old, dict) or not isinstance(new, dict):
            return
        at = f"{where} {path}".rstrip() if path else where
        reading = direction == "response"
        o_types, n_types = _types(old), _types(new)
        if o_types != n_types and o_types and n_types:
            wider = _within(o_types, n_types) and not _within(n_types, o_types)
            narrower = _within(n_types, o_types) and not _within(o_types, n_types)
            what = f"type {'/'.join(sorted(o_types))} -> {'/'.join(sorted(n_types))}"
            kind = BREAKING if (wider and reading) or (narrower and not reading) or not (wider or narrower) \
                else ADDITIVE
            self.add(at, what, kind)
        o_enum, n_enum = old.get("enum"), new.get("enum")
        if o_enum is not None and n_enum is not None:
            added = [v for v in n_enum if v not in o_enum]
            removed = [v for v in o_enum if v not in n_enum]
            if added:
                self.add(at, f"enum gains {added}", BREAKING if reading else ADDITIVE)
            if removed:
                self.add(at, f"enum loses {removed}", ADDITIVE if reading else BREAKING)
        elif (o_enum is None) != (n_enum is None):
            self.add(at, "now restricted to an enum" if n_enum is not None else "no longer an enum",
                     ADDITIVE if (n_enum is not None) == reading else BREAKING)
        if not reading:
            for bound, tighter in BOUNDS.items():
                ov, nv = old.get(bound), new.get(bound)
                if ov != nv:
                    tight = nv is not None and (ov is None or (nv - ov) * tighter > 0)
                    self.add(at, f"{bound} {ov} -> {nv}", BREAKING if tight else ADDITIVE)
            if new.get("uniqueItems") and not old.get("uniqueItems"):
                self.add(at, "items must now be unique", BREAKING)
        self._properties(where, old, new, direction, path, seen)
        if "items" in old and "items" in new:
            self.schema(where, old["items"], new["items"], direction, f"{path}[]", seen)
        for key in ("allOf", "anyOf", "oneOf"):
            o_parts, n_parts = old.get(key, []), new.get(key, [])
            if len(o_parts) != len(n_parts):
                self.add(at, f"{key} has {len(n_parts)} alternatives, not {len(o_parts)}", BREAKING)
            else:
                for i, (o, n) in enumerate(zip(o_parts, n_parts, strict=True)):
                    self.schema(where, o, n, direction, f"{path}<{key}[{i}]>", seen)

    def _properties(self, where: str, old: dict[str, Any], new: dict[str, Any], direction: str, path: str,
                    seen: frozenset[tuple[str, str]]) -> None:
        reading = direction == "response"
        o_props, n_props = old.get("properties", {}), new.get("properties", {})
        o_req, n_req = set(old.get("required", [])), set(new.get("required", []))
        for name in sorted(set(o_props) | set(n_props)):
            at = f"{where} {path}.{name}"
            if name not in n_props:
                self.add(at, "removed", BREAKING)
            elif name not in o_props:
                required = name in n_req
                self.add(at, "new, " + ("required" if required else "optional"),
                         BREAKING if required and not reading else ADDITIVE)
            else:
                if (name in o_req) != (name in n_req):
                    now = name in n_req
                    self.add(at, "now " + ("required" if now else "optional"),
                             BREAKING if now != reading else ADDITIVE)
                self.schema(where, o_props[name], n_props[name], direction, f"{path}.{name}", seen)


def _types(schema: dict[str, Any]) -> frozenset[str]:
    kind = schema.get("type")
    if kind is None:
        return frozenset()
    types = {kind} if isinstance(kind, str) else set(kind)
    if "integer" in types and "number" in types:
        types.discard("integer")
    return frozenset(types)


def _within(inner: frozenset[str], outer: frozenset[str]) -> bool:
    """Every value of a type in ``inner`` is valid for ``outer``: an integer is a number (JSON Schema)."""
    return all(t in outer or (t == "integer" and "number" in outer) for t in inner)


def _has_ref(schema: Any) -> bool:
    return "$ref" in json.dumps(schema)


def exit_status(report: Report, fail_on: str = BREAKING) -> int:
    if fail_on == "never":
        return 0
    if fail_on == "any":
        return 1 if report.changes else 0
    return 1 if report.breaking else 0


def _summary(report: Report) -> str:
    counts = {kind: sum(1 for c in report.changes if c.kind == kind) for kind in (BREAKING, ADDITIVE, NOTE)}
    touched = len({c.operation for c in report.changes})
    return (f"{counts[BREAKING]} breaking, {counts[ADDITIVE]} additive, {counts[NOTE]} notes in {touched} of "
            f"{len(report.covered)} covered operations")


def render_text(report: Report) -> str:
    lines = [f"spec-diff {report.old} ({report.old_sha[:12]}) -> {report.new} ({report.new_sha[:12]})",
             _summary(report)]
    current = None
    for change in report.changes:
        if change.operation != current:
            current = change.operation
            lines.append(f"\n{current}  [clauses: {', '.join(change.clauses) or '-'}]")
        mark = {BREAKING: "BREAKING", ADDITIVE: "additive", NOTE: "note"}[change.kind]
        lines.append(f"  {mark:<9} {change.where}: {change.what}")
    return "\n".join(lines)


def render_markdown(report: Report) -> str:
    rows = [f"# spec-diff: `{report.old}` → `{report.new}`", "",
            f"sha256 `{report.old_sha[:12]}` → `{report.new_sha[:12]}`. {_summary(report)}.", "",
            "| operation | where | change | kind | clauses |", "|---|---|---|---|---|"]
    for c in report.changes:
        what = c.what.replace("|", "\\|")
        rows.append(f"| `{c.operation}` | {c.where} | {what} | {'**breaking**' if c.kind == BREAKING else c.kind} "
                    f"| {', '.join(c.clauses)} |")
    return "\n".join(rows) + "\n"
