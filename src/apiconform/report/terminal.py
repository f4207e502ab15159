"""A run's failures as the terminal shows them: one short block per violated clause, no tracebacks.

The reports hold everything; the terminal gives a reader deciding what to do next the clause, what was
expected and what came, and the two commands that reproduce it (``report/repro.py``).
"""
from __future__ import annotations

from typing import Any

from apiconform.report.files import contract_of, problem_groups
from apiconform.report.repro import curl, rerun, script, sequence_writes, writes

MAX_BLOCKS = 20
_WIDTH = 300  # one value on one line; the whole value is in the reports


def _short(value: Any) -> str:
    text = " ".join(str(value).split())
    return text if len(text) <= _WIDTH else text[:_WIDTH] + " …"


def block(r: dict[str, Any], run: dict[str, Any] | None, more: int = 0) -> list[str]:
    """One failure (and ``more`` like it): the check and clause, the message, expected and actual, the repro."""
    also = f" (and {more} more check{'s' if more > 1 else ''})" if more else ""
    lines = [f"{str(r.get('verdict')).upper()} {r.get('violated') or 'error'}: {r.get('test')}{also}",
             f"  {_short(r.get('message'))}"]
    ev = r.get("evidence") if isinstance(r.get("evidence"), dict) else {}
    if ev.get("expected") is not None or ev.get("actual") is not None:
        lines += [f"  expected: {_short(ev.get('expected'))}", f"  actual:   {_short(ev.get('actual'))}"]
    command = curl(ev, contract_of(str(r.get("provider"))), r.get("recorded_from") or r.get("target"))
    if command:
        lines.append(f"  repro{' (writes to the target)' if writes(ev) else ''}: {command}")
    sequence = script(ev, contract_of(str(r.get("provider"))), r.get("recorded_from") or r.get("target"))
    if sequence:
        lines.append(f"  repro script{' (writes to the target)' if sequence_writes(ev) else ''}:")
        lines += [f"    {line}" for line in sequence.splitlines()]
    lines.append(f"  rerun: {rerun(r, run)}")
    return lines


def failure_blocks(records: list[dict[str, Any]], run: dict[str, Any] | None) -> list[str]:
    """The lines of one block per group of failures and errors, the largest group first."""
    groups = [g for g in problem_groups(records) if str(g[0].get("verdict")) in ("fail", "error")]
    lines: list[str] = []
    for group in groups[:MAX_BLOCKS]:
        lines += ["", *block(group[0], run, len(group) - 1)]
    if len(groups) > MAX_BLOCKS:
        lines += ["", f"… and {len(groups) - MAX_BLOCKS} more violated clauses: see report.html"]
    return lines
