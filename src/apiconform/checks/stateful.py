"""Stateful checks: random sequences of create, read, update, delete and list against a model.

Every other check is a fixed scenario. Here Hypothesis's ``RuleBasedStateMachine`` draws sequences of
operations on one resource (``[stateful] resource``) and keeps a model of the records the provider
should hold: the attributes each create and update sent, by id, and the ids deleted. After each step
the model is the oracle: a read returns the model's record for every field sent, a deleted record
reads as missing, and a full list walk (every page, in the provider's own pagination style) yields
exactly the model's live records, each once and with the fields the model holds. Only the records this
run made are compared: they carry ``marker`` at the start of their ``label`` field (and ``filter``, if
set, is the list parameter that narrows the list to them).

Bounded: ``sequences`` examples of at most ``steps`` steps, at most ``live`` records alive at a time,
every request paced by the rate budget like any other. Deterministic: the run is derandomised with a
fixed seed, and the values sent depend only on the step's number, so live, record and replay send
the same requests (replay answers with the recorded ids, so the machine takes the same branches); a
replay that sent anything else is a cassette error, as for every check. A failure is shrunk by
Hypothesis (not in replay: the cassette holds no shrinking), and the violation names the shortest
sequence as its steps.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from apiconform.checks import cursor, pages, pagination
from apiconform.checks.common import Ident, create, discard, read_item, resource
from apiconform.checks.expect import body_data, expect, expect_status
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api
from apiconform.verdict import ContractViolation

DEFAULTS = {"sequences": 3, "steps": 10, "live": 4}


class Run:
    """What one stateful check needs from the contract, read once."""

    def __init__(self, api: Api) -> None:
        table = api.contract.raw.get("stateful")
        if not table:
            raise ContractError(f"{api.contract.path}: no [stateful] table")
        self.api = api
        self.table = {**DEFAULTS, **table}
        self.res: Resource = resource(api, self.table["resource"])
        self.sequences = itertools.count(1)  # each example the machine runs is one sequence
        self.clause: str = self.table["clause"]
        self.label: str = self.table["label"]
        self.marker: str = self.table["marker"]
        raw = api.contract.raw
        self.soft: dict[str, Any] | None = raw["soft_delete"] if self.table.get("soft_delete") else None
        self.up: dict[str, Any] | None = raw["upsert"] if "upsert" in self.table else None

    def attrs(self, template: str, sequence: int, n: int) -> dict[str, Any]:
        return {k: v.format(sequence=sequence, n=n) if isinstance(v, str) else v
                for k, v in self.table[template].items()}

    def prefix(self, sequence: int) -> str:
        """What the label of every record of one sequence starts with: sequences never see each other's."""
        return self.table["create"][self.label].split("{n}")[0].format(sequence=sequence)

    def listed(self, prefix: str, labels: list[str] | None = None) -> list[dict[str, Any]]:
        """Every record whose label starts with ``prefix`` in a full walk of the list, in the contract's
        pagination style; with ``narrow`` (a list parameter taking labels), the walk asks for ``labels`` only."""
        style = self.api.contract.pagination.get("style")
        if style not in WALKS:
            raise ContractError(f"{self.api.contract.path}: [stateful] cannot walk [pagination] style {style!r}")
        params = {self.table["narrow"]: sorted(labels or [])} if "narrow" in self.table else {}
        if "narrow" in self.table and not labels:
            return []
        return [item for item in WALKS[style](self, prefix, params)
                if str(item.get(self.label, "")).startswith(prefix)]

    def labels(self, sequence: int) -> list[str]:
        """Every label one sequence can give (one per step; a walk counts as a step)."""
        return [self.table["create"][self.label].format(sequence=sequence, n=n)
                for n in range(1, 2 * self.table["steps"] + 2)]

    def alive(self, item: dict[str, Any]) -> bool:
        return self.soft is None or item.get(self.soft["field"]) != self.soft["deleted"]

    def sweep(self, sequence: int | None = None) -> None:
        """Remove the records a crashed earlier run left (a live account keeps them): the marker's before the
        first sequence; with ``narrow`` (a list that cannot be asked for a prefix), each sequence's labels before
        its first step instead (Hypothesis numbers its sequences beyond ``sequences``)."""
        if ("narrow" in self.table) != (sequence is not None):
            return
        prefix, labels = (self.prefix(sequence), self.labels(sequence)) if sequence else (self.marker, None)
        for item in self.listed(prefix, labels):
            if self.alive(item):
                discard(self.api, self.res, item["id"])


WALKS: dict[str, Callable[[Run, str, dict[str, Any]], list[dict[str, Any]]]] = {  # by [pagination] style; a walk
    # may narrow by prefix ([pagination] filter) or by labels ([stateful] narrow)
    "limit-page": lambda run, prefix, _: pagination.walk(run.api, run.res, prefix, run.clause,
                                                            run.table.get("page_size")),
    "cursor": lambda run, prefix, _: cursor.walk(run.api, run.res, run.clause, run.table.get("page_size")),
    "page-number": lambda run, prefix, params: pages.all_items(run.api, run.res, params, run.clause),
}


class Machine(RuleBasedStateMachine):
    """The rules; the model is ``records`` (id -> the fields sent) and ``gone`` (ids deleted)."""

    run: Run

    def __init__(self) -> None:
        super().__init__()
        self.sequence = next(self.run.sequences)
        self.records: dict[Ident, dict[str, Any]] = {}
        self.gone: list[Ident] = []
        self.steps: list[str] = []
        self.written = False  # a write since the last walk

    def _step(self, text: str) -> None:
        if not self.steps:
            self.run.sweep(self.sequence)
        self.steps.append(text)

    def _violated(self, exc: ContractViolation) -> ContractViolation:
        """The violation, its message led by the sequence that showed it."""
        steps = "; ".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))
        out = ContractViolation(exc.clause, f"after the steps {steps}: {exc.message}", expected=exc.expected,
                                actual=exc.actual, exchange=exc.exchange)
        out.at = exc.at
        return out

    def _pick(self, data: st.DataObject, ids: list[Ident]) -> Ident:
        return data.draw(st.sampled_from(sorted(ids)))

    def _live(self) -> list[Ident]:
        return [i for i, fields in self.records.items() if self.run.alive(fields)]

    def _deleted(self) -> list[Ident]:
        return [i for i, fields in self.records.items() if not self.run.alive(fields)]

    def _active(self) -> dict[str, Any]:
        """What a write makes of a soft-deleted record's status field: active again (nothing without soft delete)."""
        soft = self.run.soft
        return {soft["field"]: soft["active"]} if soft else {}

    def _blamed(self, key: str) -> str:
        """A record's soft-delete status is the [soft_delete] clause's promise; every other field the model's."""
        soft = self.run.soft
        return soft["clause"] if soft and key == soft["field"] else self.run.clause

    @precondition(lambda self: len(self.records) < self.run.table["live"])
    @rule()
    def create(self) -> None:
        run = self.run
        attrs = run.attrs("create", self.sequence, len(self.steps) + 1)
        self._step(f"create {attrs}")
        try:
            ident, _, _ = create(run.api, run.res, attrs)
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.records[ident] = {**attrs, **self._active()}
        self.steps[-1] += f" -> {ident}"
        self.written = True

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        ident = self._pick(data, list(self.records))
        self._step(f"read {ident}")
        try:
            item = read_item(self.run.api, self.run.res, ident, self.run.clause)
            for key, value in self.records[ident].items():
                expect(item.get(key) == value, self._blamed(key), f"{self.run.res.name} {ident} reads {key} "
                       f"{item.get(key)!r}, not the {value!r} last sent", self.run.api.exchanges[-1], expected=value,
                       actual=item.get(key))
        except ContractViolation as exc:
            raise self._violated(exc) from exc

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def update(self, data: st.DataObject) -> None:
        run = self.run
        ident = self._pick(data, list(self.records))
        attrs = run.attrs("update", self.sequence, len(self.steps) + 1)
        self._step(f"update {ident} {attrs}")
        ex = run.api.request(run.res.update_method, f"{run.res.path}/{ident}", body=run.res.wrap(attrs))
        try:
            expect_status(ex, run.api.contract.writes.get("update_status", 200),
                          run.api.contract.writes["update_clause"], f"update {run.res.name} {ident}")
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.records[ident] = {**self.records[ident], **attrs, **self._active()}
        self.written = True

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        run = self.run
        ident = self._pick(data, self._live())
        self._step(f"delete {ident}")
        ex = run.api.delete(f"{run.res.path}/{ident}")
        try:
            expect_status(ex, run.api.contract.writes.get("delete_status", 200), self.run.clause,
                          f"delete {run.res.name} {ident}")
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        if run.soft:  # the record stays, marked deleted
            self.records[ident][run.soft["field"]] = run.soft["deleted"]
        else:
            del self.records[ident]
            self.gone.append(ident)
        self.written = True

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    def read_deleted(self, data: st.DataObject) -> None:
        run = self.run
        ident = self._pick(data, self.gone)
        self._step(f"read deleted {ident}")
        ex = run.api.get(f"{run.res.path}/{ident}")
        try:
            expect_status(ex, run.api.contract.writes.get("missing_status", 404), run.clause,
                          f"GET {run.res.name} {ident} after its delete")
        except ContractViolation as exc:
            raise self._violated(exc) from exc

    @invariant()
    def list_all(self) -> None:
        """After every write, the full walk: the invariant that needs the most requests, so only then."""
        if not self.written:
            return
        self.written = False
        run = self.run
        self._step("list every page")
        try:
            listed = run.listed(run.prefix(self.sequence), [f[run.label] for f in self.records.values()])
            ids = [item["id"] for item in listed]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            expect(not twice, run.clause, f"the walk lists {twice} more than once", run.api.exchanges[-1], actual=ids)
            expect(sorted(ids) == sorted(self.records), run.clause,
                   f"the walk lists {sorted(ids)}, not the live records {sorted(self.records)}",
                   run.api.exchanges[-1], expected=sorted(self.records), actual=sorted(ids))
            for item in listed:
                wrong = {k: item.get(k) for k, v in self.records[item["id"]].items() if item.get(k) != v}
                clause = run.clause if any(self._blamed(k) == run.clause for k in wrong) else self._blamed(
                    next(iter(wrong), ""))
                expect(not wrong, clause, f"the walk lists {run.res.name} {item['id']} with {wrong}, not the "
                       "values last sent", run.api.exchanges[-1], expected=self.records[item["id"]], actual=wrong)
        except ContractViolation as exc:
            raise self._violated(exc) from exc

    def teardown(self) -> None:
        for ident in self._live():
            discard(self.run.api, self.run.res, ident)


class Revivals(Machine):
    """``revive``: a rule of its own class, so a machine without it draws its sequences as before."""

    @precondition(lambda self: self._deleted())
    @rule(data=st.data())
    def revive(self, data: st.DataObject) -> None:
        """``revive``: a create with a soft-deleted record's label (Hive: its merchant_sku_id) is that record
        again, active, holding what the create sent. Its answer (status, id) is the [soft_delete] clause's."""
        run = self.run
        ident = self._pick(data, self._deleted())
        attrs = {**run.attrs("create", self.sequence, len(self.steps) + 1), run.label: self.records[ident][run.label]}
        self._step(f"revive {ident} by create {attrs}")
        soft = run.soft["clause"]
        ex = run.api.post(run.res.path, run.res.wrap(attrs))
        try:
            expect_status(ex, (200, run.api.contract.writes.get("create_status", 201)), soft,
                          f"create of the deleted {run.res.name} {ident}")
            got = run.res.unwrap(body_data(ex, soft))
            got = got.get("id") if isinstance(got, dict) else None
            expect(got == ident, soft, f"the create of the deleted {run.res.name} {ident} answers another record",
                   ex, expected=ident, actual=got)
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.records[ident] = {**attrs, **self._active()}  # what it held before the delete is not compared
        self.written = True


class Upserts(Machine):
    """``upsert``: the rules of an [upsert] of the resource (Hive's bulk upsert), keyed by ``label``."""

    @precondition(lambda self: len(self.records) < self.run.table["live"])
    @rule()
    def upsert_new(self) -> None:
        """``upsert``: the [upsert] of a new key creates a record holding what it sent."""
        n = len(self.steps) + 1
        attrs = {**self.run.attrs("upsert", self.sequence, n),
                 self.run.label: self.run.attrs("create", self.sequence, n)[self.run.label]}
        self._step(f"upsert new {attrs}")
        ident = self._upserted(attrs, None)
        self.records[ident] = {**attrs, **self._active()}
        self.steps[-1] += f" -> {ident}"

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def upsert_existing(self, data: st.DataObject) -> None:
        """``upsert``: the [upsert] of a record's key updates that record (a soft-deleted one comes back)."""
        ident = self._pick(data, list(self.records))
        attrs = {**self.run.attrs("upsert", self.sequence, len(self.steps) + 1),
                 self.run.label: self.records[ident][self.run.label]}
        self._step(f"upsert {ident} {attrs}")
        self._upserted(attrs, ident)
        self.records[ident] = {**self.records[ident], **attrs, **self._active()}

    def _upserted(self, attrs: dict[str, Any], ident: Ident | None) -> Ident:
        """Send one item to the upsert; its answer names the record written (``ident``, if given)."""
        run, up = self.run, self.run.up
        clause = up["clauses"]["upsert"]
        ex = run.api.post(up["path"], {up["items"]: [attrs]})
        try:
            expect_status(ex, (200, 201), clause, f"bulk upsert of {attrs[run.label]!r}")
            data = body_data(ex, clause)
            items = (data.get(run.api.contract.lists["items"]) if isinstance(data, dict) else None) or [{}]
            got = items[0].get("id") if isinstance(items[0], dict) else None
            ok = got == ident if ident is not None else got is not None and got not in self.records
            expect(ok, clause, f"the upsert of {attrs[run.label]!r} answers {got}, not " + (
                       f"{run.res.name} {ident}" if ident is not None else "a new record"),
                   ex, expected=ident, actual=got)
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.written = True
        return got


RULES = {"revive": Revivals, "upsert": Upserts}  # [stateful] key -> the rules it adds


def sequences(api: Api) -> None:
    """Run the state machine of the contract's ``[stateful]`` table against the target."""
    run = Run(api)
    api.verifies(run.clause, api.contract.writes["create_clause"], api.contract.writes["update_clause"],
                 api.contract.writes["read_clause"])
    run.sweep()
    bases = tuple(rules for key, rules in RULES.items() if run.table.get(key)) or (Machine,)
    machine = type("StatefulMachine", bases, {"run": run})
    phases = (Phase.explicit, Phase.generate) if api.replaying else (Phase.explicit, Phase.generate, Phase.shrink)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=run.table["sequences"], stateful_step_count=run.table["steps"], derandomize=True,
        database=None, deadline=None, phases=phases, suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False, print_blob=False))
