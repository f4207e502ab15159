"""Which xdist worker runs what when one run holds several providers.

A rate-limited provider's checks spend most of their time waiting for its budget. Spread over every worker
(xdist's default ``load``), they hold all of them while they wait, and the other providers' checks queue
behind: with two workers, the run took about the sum of the providers' floors. :class:`ProviderScheduling`
sends each rate-limited provider's checks to one worker as one unit (xdist's ``loadscope`` with a scope per
provider), the largest first, so every budget is spent from the start and the other workers go on with the
rest meanwhile; the run takes about the slowest provider's floor. A check without a rate limit is a unit of
its own, for whichever worker is free.

A provider's burst above the limit (a check whose recording declares the ``exceeded`` clause) is a unit of
its own, queued after the providers' units, the smallest provider's first: it waits for the others to spend
their window (``Budget.exclusive(late=True)``), so it must run beside them, not after them on their worker.

Only a live or recording run that names several providers' suites is scheduled so (``apiconform run`` of
all four, ``pytest suites -n 4``). A single provider's checks share every worker under one budget, as before,
and replay, which waits for nothing, keeps xdist's ``load``.
"""
from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from xdist.scheduler import LoadScopeScheduling

from apiconform.contract.model import Contract, ContractError, suite_contract
from apiconform.paths import cassettes_dir
from apiconform.record.cassettes import cassette_name

CONTRACT = "contract.toml"
TAIL = 4096  # a cassette's metadata (its last block) fits in this many bytes


def _contract(path: Path) -> Contract | None:
    try:
        return suite_contract(str(path))
    except ContractError:
        return None  # no suite's test file, or a contract that collection reports


def suites_named(config: pytest.Config) -> set[str]:
    """The providers whose suites the command line names: a suite's directory, a file or check in it, or a
    directory of suites (``suites/``)."""
    found: set[str] = set()
    for arg in config.args:
        path = config.invocation_params.dir / arg.split("::")[0]
        tests = [path] if path.is_file() else [d / CONTRACT for d in (path, *sorted(path.glob("*/")))]
        for test in tests:
            contract = _contract(test) if test.with_name(CONTRACT).is_file() else None
            if contract is not None:
                found.add(contract.provider)
    return found


def recorded_clauses(path: Path) -> list[str]:
    """The clauses a cassette's check declared (its metadata, at its end); none without a readable one."""
    try:
        with path.open("rb") as f:
            f.seek(max(0, path.stat().st_size - TAIL))
            meta = f.read().decode("utf-8", "replace").rpartition("\nmetadata:\n")[2]
        data = yaml.safe_load("metadata:\n" + meta)
        return list(data["metadata"].get("clauses") or [])
    except (OSError, yaml.YAMLError, KeyError, TypeError, AttributeError):
        return []


class ProviderScheduling(LoadScopeScheduling):
    """``loadscope`` with one scope per rate-limited provider (``rate-<provider>``), then their bursts each a
    scope; any other check is a scope of its own, in collection order after them."""

    def _split_scope(self, nodeid: str) -> str:
        contract = _contract(self.config.rootpath / nodeid.split("::")[0])
        if contract is None or contract.rate_limit is None or self._bursts(contract, nodeid):
            return nodeid
        return f"rate-{contract.provider}"

    def _bursts(self, contract: Contract, nodeid: str) -> bool:
        assert contract.rate_limit is not None
        root = self.config.getoption("cassette_dir")
        base = Path(root) / contract.provider if root else cassettes_dir(contract.provider)
        return contract.rate_limit.clauses.get("exceeded") in recorded_clauses(base / cassette_name(nodeid))

    def _order(self, units: dict[str, dict[str, bool]]) -> list[str]:
        """The providers' units, largest first, each on a worker from the start; then their bursts in the order the
        units will end, the smallest provider's first (a burst must run while its provider's checks do: once they
        have ended, it waits for nobody and may start on a fresh window); then every other unit."""
        def provider(scope: str) -> str | None:
            contract = _contract(self.config.rootpath / scope.split("::")[0]) if "::" in scope else None
            return contract.provider if contract is not None and contract.rate_limit is not None else None

        groups = sorted((s for s in units if s.startswith("rate-")), key=lambda s: -len(units[s]))
        bursts = [s for g in reversed(groups) for s in units if provider(s) == g.removeprefix("rate-")]
        order = groups + bursts
        return order + [s for s in units if s not in order]

    def schedule(self) -> None:
        """xdist's initial distribution (``LoadScopeScheduling.schedule``) with the units in :meth:`_order`."""
        if self.collection is not None or not self._check_nodes_have_same_collection():
            super().schedule()
            return
        self.collection = list(next(iter(self.registered_collections.values())))
        if not self.collection:
            return
        units: dict[str, dict[str, bool]] = {}
        for nodeid in self.collection:
            units.setdefault(self._split_scope(nodeid), {})[nodeid] = False
        for scope in self._order(units):
            self.workqueue[scope] = units[scope]
        for _ in range(len(self.nodes) - len(self.workqueue)):  # more workers than units
            self.assigned_work.popitem()[0].shutdown()
        for node in self.nodes:
            self._assign_work_unit(node)
        for node in self.nodes:
            self._reschedule(node)
        if not self.workqueue:
            for node in self.nodes:
                node.shutdown()


def scheduler(config: pytest.Config, log: Any) -> ProviderScheduling | None:
    """The scheduler for this run, or None for xdist's own (``--dist`` given, replay, one provider)."""
    if config.getvalue("dist") != "load" or config.getoption("mode") == "replay":
        return None
    return ProviderScheduling(config, log) if len(suites_named(config)) > 1 else None
