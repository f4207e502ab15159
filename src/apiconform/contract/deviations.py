"""Known deviations of a target, listed per target in a TOML file, that cannot go stale.

A failure on a listed clause becomes ``expected``; a listed clause that every check verifying it
passed becomes a ``fail`` of its own ("no longer happens: remove it"), so the
list is kept honest by every run.

```toml
[[deviations]]
clause = "mite.status.403-users"
reason = "our account answers 404 here (ticket 123)"
```
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

from apiconform.contract.model import read_toml
from apiconform.verdict import Verdict


class DeviationsError(Exception):
    """The deviations file is missing or malformed; names the file."""


def load_deviations(path: Path) -> dict[str, str]:
    """Clause id -> reason."""
    data = read_toml(path, DeviationsError, "deviations")
    unknown = sorted(set(data) - {"deviations"})
    if unknown:  # a misspelt table ([[deviation]]) would otherwise list nothing, silently
        raise DeviationsError(f"{path}: unknown table {unknown[0]!r}: a deviations file holds [[deviations]] only")
    out = {}
    for i, entry in enumerate(data.get("deviations", [])):
        if not isinstance(entry, dict) or not entry.get("clause"):
            raise DeviationsError(f"{path}: [[deviations]] #{i + 1} needs a clause")
        out[str(entry["clause"])] = str(entry.get("reason", ""))
    return out


def apply(record: dict[str, Any], listed: dict[str, str]) -> None:
    """Turn a failure on a listed clause into ``expected``."""
    if record["verdict"] in (Verdict.FAIL, Verdict.DIFFERS) and record.get("violated") in listed:
        reason = listed[record["violated"]]
        record["verdict"] = str(Verdict.EXPECTED)
        record["message"] = f"expected deviation ({reason}): {record['message']}"


def stale(records: list[dict[str, Any]], listed: dict[str, str], source: str) -> list[dict[str, Any]]:
    """Records for listed deviations that this run verified and did not see.

    Only a ``pass`` proves a clause held: a check that errored, was skipped or failed on another
    clause may never have reached it, so a deviation is stale only when every check that
    declared the clause ran and passed (an unreachable target must not make a list look stale).
    """
    out = []
    for clause, reason in listed.items():
        seen = [r for r in records if clause in r.get("clauses", [])
                and r["verdict"] not in (Verdict.SKIP, Verdict.UNSUPPORTED)]
        if not seen or any(r["verdict"] != Verdict.PASS for r in seen):
            continue
        provider = seen[0]["provider"]
        out.append({"provider": provider, "test": f"{source}::{clause}", "name": clause, "clauses": [clause],
                    "area": seen[0].get("area", "other"),
                    "verdict": str(Verdict.FAIL), "violated": clause, "provenance": None,
                    "message": f"listed deviation no longer happens ({reason}): {len(seen)} check(s) verified "
                               f"{clause} without a failure; remove it from {source}",
                    "evidence": None, "target": seen[0].get("target"), "mode": seen[0].get("mode"), "duration": 0})
    return out
