"""Choosing checks by what they verify: ``--clause GLOB``, ``--area NAME``, ``--provenance KIND``.

A check declares most of its clauses at run time (``api.verifies``), so collection cannot see them in
the code. Every recording can: a cassette's metadata lists the clauses its check declared
(``record/cassettes.note_clauses``), and the committed cassettes cover every check. A check is chosen
when one of its clauses (its ``clauses`` markers and its cassette's list) passes every filter given. A
check whose cassette is missing or predates the clauses metadata cannot be judged and is kept, so a
selection never drops a check it might have wanted; re-recording gives every cassette the list.
"""
from __future__ import annotations

from collections.abc import Callable
from fnmatch import fnmatchcase
from pathlib import Path

import pytest

from apiconform.contract.model import Contract
from apiconform.record.cassettes import CassetteError, read_cassette


def add_options(group: pytest.OptionGroup) -> None:
    group.addoption("--clause", action="append", default=[], metavar="GLOB",
                    help="only checks that verify a clause matching GLOB (repeatable), e.g. 'mite.cond.*'")
    group.addoption("--area", action="append", default=[], metavar="AREA",
                    help="only checks that verify a clause of this contract area (repeatable), e.g. ratelimit")
    group.addoption("--provenance", choices=("documented", "assumed"), default=None,
                    help="only checks that verify a clause of this provenance")


def _chosen(clauses: list[str], contract: Contract, config: pytest.Config) -> bool:
    globs, areas, provenance = config.getoption("clause"), config.getoption("area"), config.getoption("provenance")
    for cid in clauses:
        clause = contract.clauses.get(cid)
        if clause is None:
            continue
        if globs and not any(fnmatchcase(cid, g) for g in globs):
            continue
        if areas and clause.area not in areas:
            continue
        if provenance and clause.provenance != provenance:
            continue
        return True
    return False


def select(config: pytest.Config, items: list[pytest.Item],
           suite_of: Callable[[pytest.Item], tuple[Contract, Path] | None]) -> None:
    """Deselect the suite checks that verify no clause the filters name; ``suite_of`` gives a check's contract
    and cassette path (None for a test outside the suites, which is kept)."""
    if not (config.getoption("clause") or config.getoption("area") or config.getoption("provenance")):
        return
    keep, drop = [], []
    for item in items:
        found = suite_of(item)
        if found is None:
            keep.append(item)
            continue
        contract, cassette = found
        marked = [c for m in item.iter_markers("clauses") for c in m.args]
        try:
            recorded = read_cassette(cassette).get("metadata", {}).get("clauses")
        except CassetteError:
            recorded = None
        if recorded is None and not _chosen(marked, contract, config):
            keep.append(item)  # never recorded with its clauses: nothing says what it verifies
            continue
        (keep if _chosen(marked + (recorded or []), contract, config) else drop).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
