"""The ``apiconform spec extract`` and ``apiconform spec-diff`` commands."""
from __future__ import annotations

import sys
import time
from pathlib import Path

from apiconform.contract.model import ContractError, read_toml
from apiconform.paths import contract_path, project_root, providers, schemas_dir
from apiconform.spec import diff, extract
from apiconform.spec.openapi import SpecError


def spec_table(provider: str) -> dict:
    table = read_toml(contract_path(provider), ContractError, "contract").get("spec")
    if not table:
        raise ContractError(f"{contract_path(provider)}: no [spec] table: the provider has no OpenAPI document")
    return table


def run_extract(provider: str, document: str | None) -> int:
    try:
        table = spec_table(provider)
        path = Path(document) if document else (project_root() / table["document"]).resolve()
        start = time.perf_counter()
        result = extract.write(schemas_dir(provider), table, path)
    except (ContractError, SpecError) as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return 2
    took = time.perf_counter() - start
    print(f"{provider}: {len(result.operations)} operations and {len(result.schemas)} schemas from {path.name} "
          f"(sha256 {result.sha256[:12]}…) into {schemas_dir(provider)} in {took:.2f} s")
    return 0


def spec_provider() -> str:
    """The provider ``spec-diff`` means when none is named: the only one whose contract has a [spec] table."""
    found = [p for p in providers() if read_toml(contract_path(p), ContractError, "contract").get("spec")]
    if len(found) != 1:
        raise ContractError(f"name the provider with --provider: {len(found)} contracts have a [spec] table "
                            f"({', '.join(found) or 'none'})")
    return found[0]


def run_diff(old: str, new: str, provider: str | None, markdown: str | None, fail_on: str) -> int:
    try:
        table = spec_table(provider or spec_provider())
        report = diff.diff_documents(Path(old), Path(new), table)
    except (ContractError, SpecError) as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return 2
    print(diff.render_text(report))
    if markdown:
        Path(markdown).parent.mkdir(parents=True, exist_ok=True)
        Path(markdown).write_text(diff.render_markdown(report), encoding="utf-8")
    return diff.exit_status(report, fail_on)
