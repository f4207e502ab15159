"""The spec step: OpenAPI 3.0 -> draft 2020-12, extraction of the covered operations, and spec-diff.

The real documents are vendored in specs/mstudio (with their provenance); everything else runs on small
documents made here.
"""
from __future__ import annotations

import copy
import json
import tomllib
from pathlib import Path

import pytest
from jsonschema import Draft202012Validator

from apiconform.cli import main
from apiconform.contract.schemas import problems
from apiconform.paths import contract_path, project_root, schemas_dir
from apiconform.spec import convert, diff, extract
from apiconform.spec.openapi import SpecError

SPECS = project_root() / "specs" / "mstudio"
CURRENT, OLDER = SPECS / "mittwald-mstudio-v2.openapi.json", SPECS / "mittwald-mstudio-v2.2025-03-20.openapi.json"
TABLE = tomllib.loads(contract_path("mstudio").read_text())["spec"]


def test_nullable_and_friends_become_2020_12() -> None:
    schema = convert.convert({"type": "object", "properties": {
        "a": {"type": "string", "nullable": True, "example": "x", "x-internal": 1},
        "b": {"$ref": "#/components/schemas/B", "nullable": True, "description": "ignored in 3.0"},
        "c": {"type": "integer", "minimum": 1, "exclusiveMinimum": True},
        "d": {"type": "string", "enum": ["x"], "nullable": True}}})
    props = schema["properties"]
    assert props["a"] == {"type": ["string", "null"], "examples": ["x"]}
    assert props["b"] == {"anyOf": [{"$ref": "#/$defs/B"}, {"type": "null"}]}
    assert props["c"] == {"type": "integer", "exclusiveMinimum": 1}
    assert props["d"]["enum"] == ["x", None]
    Draft202012Validator.check_schema(schema)
    assert problems({"a": None, "c": 2, "d": None}, schema) == []
    assert problems({"c": 1}, schema) != []


def _doc(**schemas: dict) -> dict:
    return {"openapi": "3.0.0", "paths": {"/v2/things": {"get": {"operationId": "list-things", "responses": {
        "200": {"content": {"application/json": {"schema": {"type": "array", "items": {
            "$ref": "#/components/schemas/Thing"}}}}},
        "default": {"$ref": "#/components/responses/Err"}}}}},
        "components": {"schemas": {"Thing": {"type": "object", "required": ["id"],
                                             "properties": {"id": {"type": "string"}}}, **schemas},
                       "responses": {"Err": {"content": {"application/json": {"schema": {"type": "object"}}}}}}}


def _write(tmp_path: Path, name: str, doc: dict) -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(doc))
    return path


def test_refs_resolve_into_defs_and_a_missing_ref_is_named(tmp_path: Path) -> None:
    doc = _doc()
    result = extract.extract(_write(tmp_path, "a.json", doc), ["list-things", "gone-op"], {})
    op = result.operations["list-things"]
    assert op["responses"]["200"]["schema"]["items"] == {"$ref": "#/$defs/Thing"}
    assert set(op["$defs"]) == {"Thing"} and op["responses"]["default"]["schema"] == {"type": "object"}
    assert result.missing == ["gone-op"]
    broken = copy.deepcopy(doc)
    del broken["components"]["schemas"]["Thing"]
    with pytest.raises(SpecError, match="Thing"):
        extract.extract(_write(tmp_path, "b.json", broken), ["list-things"], {})


def _changes(tmp_path: Path, old: dict, new: dict) -> list[tuple[str, str, str]]:
    report = diff.diff_documents(_write(tmp_path, "old.json", old), _write(tmp_path, "new.json", new),
                                 {"operations": ["list-things"], "clause": "x.spec"})
    return [(c.where, c.what, c.kind) for c in report.changes]


def test_diff_tells_breaking_from_additive(tmp_path: Path) -> None:
    old = _doc()
    new = copy.deepcopy(old)
    thing = new["components"]["schemas"]["Thing"]
    thing["properties"]["name"] = {"type": "string"}
    thing["properties"]["state"] = {"type": "string", "enum": ["a", "b"]}
    assert _changes(tmp_path, old, new) == [("response 200 body [].name", "new, optional", "additive"),
                                            ("response 200 body [].state", "new, optional", "additive")]
    newer = copy.deepcopy(new)
    newer["components"]["schemas"]["Thing"]["properties"]["state"]["enum"].append("c")
    del newer["components"]["schemas"]["Thing"]["properties"]["id"]
    found = _changes(tmp_path, new, newer)
    assert ("response 200 body [].id", "removed", "breaking") in found
    assert ("response 200 body [].state", "enum gains ['c']", "breaking") in found


def test_a_renamed_ref_is_no_change_and_a_renamed_operation_is_found(tmp_path: Path) -> None:
    old = _doc()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Item"] = new["components"]["schemas"].pop("Thing")
    new["paths"]["/v2/things"]["get"]["responses"]["200"]["content"]["application/json"]["schema"]["items"] = {
        "$ref": "#/components/schemas/Item"}
    new["paths"]["/v2/things"]["get"]["operationId"] = "things-list"
    assert _changes(tmp_path, old, new) == []
    del new["paths"]["/v2/things"]
    assert _changes(tmp_path, old, new) == [("operation", "GET /v2/things is gone", "breaking")]


def test_extraction_is_what_is_committed(tmp_path: Path) -> None:
    """Re-running the step on the committed document reproduces schemas/mstudio/ byte for byte."""
    out = tmp_path / "mstudio"
    extract.write(out, TABLE, CURRENT)
    committed = schemas_dir("mstudio")
    written = sorted(p.relative_to(out) for p in out.rglob("*.json"))
    assert written == sorted(p.relative_to(committed) for p in committed.rglob("*.json"))
    for rel in written:
        assert (out / rel).read_text() == (committed / rel).read_text(), rel
    provenance = json.loads((out / "provenance.json").read_text())
    assert provenance["commit"] == "415e75002d6ebe6e42a10254922f1003f49891ec" and "MIT" in provenance["licence"]


def test_spec_diff_of_the_two_real_documents(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    markdown = tmp_path / "diff.md"
    code = main(["spec-diff", str(OLDER), str(CURRENT), "--markdown", str(markdown)])
    out = capsys.readouterr().out
    assert code == 0  # additive only: spec.visitors narrowed from number to integer, which every reader accepts
    assert "additive  response 200 body .spec<oneOf[0]>.visitors: type number -> integer" in out
    assert "user-get-current-session-status  [clauses: mstudio.user.self, mstudio.spec.responses]" in out
    assert "| `project-list-projects` | response 200 body [].serverGroupId | new, required | additive |" in \
        markdown.read_text()
    assert main(["spec-diff", str(CURRENT), str(CURRENT)]) == 0
    assert main(["spec-diff", str(OLDER), str(CURRENT), "--fail-on", "never"]) == 0
    assert main(["spec-diff", str(tmp_path / "missing.json"), str(CURRENT)]) == 2


def test_an_integer_is_a_number_when_types_narrow_or_widen(tmp_path: Path) -> None:
    """number -> integer narrows (additive in a response, breaking in a request); integer -> number widens."""
    old = _doc()
    new = copy.deepcopy(old)
    new["components"]["schemas"]["Thing"]["properties"]["id"] = {"type": "integer"}
    old["components"]["schemas"]["Thing"]["properties"]["id"] = {"type": "number"}
    assert _changes(tmp_path, old, new) == [("response 200 body [].id", "type number -> integer", "additive")]
    assert _changes(tmp_path, new, old) == [("response 200 body [].id", "type integer -> number", "breaking")]


def test_a_yaml_document_reads_as_its_json(tmp_path: Path) -> None:
    """mittwald (and most providers) publish YAML too: the same document in YAML is no change, dates stay text."""
    import yaml

    doc = json.loads(CURRENT.read_text())
    as_yaml = tmp_path / "current.yaml"
    as_yaml.write_text(yaml.safe_dump(doc, sort_keys=False, allow_unicode=True))
    assert main(["spec-diff", str(CURRENT), str(as_yaml)]) == 0
    assert main(["spec-diff", str(as_yaml), str(CURRENT), "--fail-on", "any"]) == 0  # not even an additive one
    (tmp_path / "broken.yaml").write_text("openapi: [3.0\n")
    assert main(["spec-diff", str(tmp_path / "broken.yaml"), str(CURRENT)]) == 2
