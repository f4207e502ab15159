"""Bad input gets one line, a non-zero exit, and nothing written (``docs/bad-input.md``).

``apiconform run`` calls :func:`problem` before pytest starts (and before it removes the last
report), so a mistake in what the user handed over is one line naming the file, field or
variable, instead of a run full of identical errors.
"""
from __future__ import annotations

import argparse
import os
from pathlib import Path
from typing import Any

from apiconform.contract.deviations import DeviationsError, load_deviations
from apiconform.contract.model import Contract, ContractError, load_contract
from apiconform.contract.schemas import load_schema
from apiconform.http.timeouts import timeout_s
from apiconform.paths import cassettes_dir, contract_path, schemas_dir, suites_dir
from apiconform.record.cassettes import CassetteError, check_cassette
from apiconform.verdict import HarnessError


def unverified_clauses(contract: Contract, suite: Path) -> list[str]:
    """Clauses no check can verify: named neither by another table of the contract (an auth variant, a
    payload, ``[rate_limit.clauses]``, …, which generic checks read) nor in the suite's test files."""
    named: set[str] = set()

    def walk(value: Any) -> None:
        if isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list):
            for item in value:
                walk(item)
        elif isinstance(value, str) and value in contract.clauses:
            named.add(value)

    walk({table: value for table, value in contract.raw.items() if table != "clauses"})
    text = "\n".join(f.read_text(encoding="utf-8") for f in sorted(suite.glob("*.py")))
    return [cid for cid in contract.clauses if cid not in named and cid not in text]


def problem(args: argparse.Namespace, chosen: list[str]) -> str | None:
    """The first bad file or option of a run (the report directory aside: :func:`unwritable`), or None."""
    try:
        timeout_s()
    except HarnessError as exc:
        return str(exc)
    contracts = {}
    try:
        for provider in chosen:
            contract = contracts[provider] = load_contract(contract_path(provider))
            lost = unverified_clauses(contract, suites_dir() / provider)
            if lost:
                return f"{contract.path}: clause {lost[0]!r} is verified by no check (no test or table names it)"
            for schema in sorted(schemas_dir(provider).glob("*.json")):
                load_schema(provider, schema.name)
    except ContractError as exc:
        return str(exc)
    if args.deviations:
        try:
            listed = load_deviations(Path(args.deviations))
        except DeviationsError as exc:
            return str(exc)
        known = {cid for c in contracts.values() for cid in c.clauses}
        unknown = [cid for cid in listed if cid not in known]
        if unknown:
            return f"{args.deviations}: deviation names unknown clause {unknown[0]!r} (not in {', '.join(chosen)})"
    if args.mode == "replay":
        root = Path(args.cassette_dir) if getattr(args, "cassette_dir", None) else None
        for provider in chosen:
            folder = root / provider if root else cassettes_dir(provider)
            if root and not folder.is_dir():
                return f"--cassette-dir {args.cassette_dir}: no folder {provider}/ there to replay"
            for path in sorted(folder.glob("*.yaml")):
                try:
                    check_cassette(path)
                except CassetteError as exc:
                    return str(exc)
    return None


def unwritable(report_dir: Path) -> str | None:
    """A report directory that could not be created or written, found without creating anything."""
    existing = report_dir.absolute()
    while not existing.exists():
        existing = existing.parent
    if not existing.is_dir():
        return f"report directory {report_dir}: cannot write there ({existing} is not a directory)"
    if not os.access(existing, os.W_OK | os.X_OK):
        return f"report directory {report_dir}: cannot write there (no write permission on {existing})"
    return None
