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

from apiconform.checks import consistency, cursor, offset, pages, pagination
from apiconform.checks.common import Ident, create, discard, note_write, read_item, resource
from apiconform.checks.expect import body_data, expect, expect_status
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.writes import uninterrupted
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
        self.event: str | None = None  # ``events``: the newest write's event id, which every read waits for
        self.walk: tuple[list[Any], list[Exchange]] = ([], [])  # every record and page of the last walk

    def walked(self, items: list[Any], answers: list[Exchange]) -> list[Any]:
        self.walk = (items, answers)
        return items

    def counted(self) -> None:
        """``counter = {header, clause}``: every page of the last walk counts, in ``header``, the records the
        whole walk listed (others' too: so the count is the model's live records plus the others listed)."""
        counter = self.table.get("counter")
        if not counter:
            return
        items, answers = self.walk
        for ex in answers:
            said = ex.headers.get(counter["header"])
            expect(said == str(len(items)), counter["clause"], f"a page of the walk says {counter['header']}: "
                   f"{said}, but the walk listed {len(items)} records", ex, expected=len(items), actual=said)

    def waiting(self) -> dict[str, str] | None:
        """With ``events``, the headers of a read that waits for the newest write's event (``[consistency]
        wait_header``): such a read must show every write before it."""
        return consistency.wait_headers(self.api, self.event) if self.event else None

    def get(self, path: str, **kw: Any) -> Exchange:
        return self.api.get(path, headers=self.waiting(), **kw)

    def wrote(self, ex: Exchange, what: str) -> None:
        """With ``events``: the write answered an event id (the etag clause); the reads after it wait for it."""
        if self.table.get("events"):
            self.event = consistency.mutation(self.api, ex, what)

    def create(self, attrs: dict[str, Any]) -> Ident:
        """POST ``attrs``; the new record's id, from the answer or (``ids = "listed"``) from the list."""
        if self.table.get("ids") != "listed":
            return create(self.api, self.res, attrs)[0]
        return self._create_listed(attrs)

    def _create_listed(self, attrs: dict[str, Any]) -> Ident:
        """A create that answers no id (mStudio): the record is the one whose label is the one sent (labels are
        unique to the sequence and step) in the list read after the create (waiting for its event)."""
        api, res, writes = self.api, self.res, self.api.contract.writes
        clause = writes.get("create_clause", self.clause)
        with uninterrupted():  # an interrupt before the record is found would leave it off the ledger
            ex = api.post(res.path, res.wrap(attrs))
            expect_status(ex, writes.get("create_status", 201), clause, f"create {res.name}")
            self.wrote(ex, f"create {res.name}")
            listed = self.get(res.path)
            expect_status(listed, 200, writes["read_clause"], f"GET {res.path} after the create")
            records = api.contract.list_records(res, body_data(listed, clause))
            found = [r for r in records or [] if isinstance(r, dict) and r.get(self.label) == attrs[self.label]]
            shown = consistency.clause(api, "read_your_write") if self.event else clause
            expect(len(found) == 1, shown, f"the {res.name} created with {attrs} is listed {len(found)} times after "
                   "its create", listed, expected=1, actual=len(found))
            ident = found[0][res.id_field]
            note_write(api, "created", res, ident)
        return ident

    def attrs(self, template: str, sequence: int, n: int) -> dict[str, Any]:
        return {k: v.format(sequence=sequence, n=n) if isinstance(v, str) else v
                for k, v in self.table[template].items()}

    def prefix(self, sequence: int) -> str:
        """What the label of every record of one sequence starts with: sequences never see each other's."""
        return self.table["create"][self.label].split("{n}")[0].format(sequence=sequence)

    def listed(self, prefix: str) -> list[dict[str, Any]]:
        """Every record whose label starts with ``prefix`` in a full walk of the list, in the contract's
        pagination style."""
        style = self.api.contract.pagination.get("style")
        if style not in WALKS:
            raise ContractError(f"{self.api.contract.path}: [stateful] cannot walk [pagination] style {style!r}")
        return [item for item in WALKS[style](self, prefix) if str(item.get(self.label, "")).startswith(prefix)]

    def sweep(self) -> None:
        """Remove the records a crashed earlier run left (a live account keeps them)."""
        for item in self.listed(self.marker):
            discard(self.api, self.res, item[self.res.id_field])


WALKS: dict[str, Callable[[Run, str], list[dict[str, Any]]]] = {  # by [pagination] style; a walk may narrow by prefix
    "limit-page": lambda run, prefix: pagination.walk(run.api, run.res, prefix, run.clause,
                                                         run.table.get("page_size")),
    "cursor": lambda run, prefix: cursor.walk(run.api, run.res, run.clause, run.table.get("page_size")),
    "page-number": lambda run, prefix: pages.all_items(run.api, run.res, {}, run.clause),
    "offset": lambda run, prefix: run.walked(*offset.walk_list(run.api, run.res, run.clause,
                                                               run.table.get("page_size"), run.waiting())),
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
        self.steps.append(text)

    def _violated(self, exc: ContractViolation) -> ContractViolation:
        """The violation, its message led by the sequence that showed it."""
        steps = "; ".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))
        out = ContractViolation(exc.clause, f"after the steps {steps}: {exc.message}", expected=exc.expected,
                                actual=exc.actual, exchange=exc.exchange)
        out.at = exc.at
        return out

    def _pick(self, data: st.DataObject, ids: list[Ident]) -> Ident:
        """One of ``ids`` by its place in the model (creation or deletion order), never by its value: ids a
        target draws at random (uuids) would otherwise send a rerun of the same choices to another record."""
        return data.draw(st.sampled_from(ids))

    @precondition(lambda self: len(self.records) < self.run.table["live"])
    @rule()
    def create(self) -> None:
        run = self.run
        attrs = run.attrs("create", self.sequence, len(self.steps) + 1)
        self._step(f"create {attrs}")
        try:
            ident = run.create(attrs)
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.records[ident] = attrs
        self.steps[-1] += f" -> {ident}"
        self.written = True

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def read(self, data: st.DataObject) -> None:
        ident = self._pick(data, list(self.records))
        self._step(f"read {ident}")
        try:
            item = read_item(self.run.api, self.run.res, ident, self.run.clause, headers=self.run.waiting())
            for key, value in self.records[ident].items():
                expect(item.get(key) == value, self.run.clause, f"{self.run.res.name} {ident} reads {key} "
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
                          run.api.contract.writes.get("update_clause", run.clause), f"update {run.res.name} {ident}")
            run.wrote(ex, f"update {run.res.name} {ident}")
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        self.records[ident] = {**self.records[ident], **attrs}
        self.written = True

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    def delete(self, data: st.DataObject) -> None:
        run = self.run
        ident = self._pick(data, list(self.records))
        self._step(f"delete {ident}")
        ex = run.api.delete(f"{run.res.path}/{ident}")
        try:
            expect_status(ex, run.api.contract.writes.get("delete_status", 200), self.run.clause,
                          f"delete {run.res.name} {ident}")
            run.wrote(ex, f"delete {run.res.name} {ident}")
        except ContractViolation as exc:
            raise self._violated(exc) from exc
        del self.records[ident]
        self.gone.append(ident)
        self.written = True

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    def read_deleted(self, data: st.DataObject) -> None:
        run = self.run
        ident = self._pick(data, self.gone)
        self._step(f"read deleted {ident}")
        ex = run.get(f"{run.res.path}/{ident}")
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
            listed = run.listed(run.prefix(self.sequence))
            ids = [item[run.res.id_field] for item in listed]
            twice = sorted({i for i in ids if ids.count(i) > 1})
            expect(not twice, run.clause, f"the walk lists {twice} more than once", run.api.exchanges[-1], actual=ids)
            expect(sorted(ids) == sorted(self.records), run.clause,
                   f"the walk lists {sorted(ids)}, not the live records {sorted(self.records)}",
                   run.api.exchanges[-1], expected=sorted(self.records), actual=sorted(ids))
            for item in listed:
                ident = item[run.res.id_field]
                wrong = {k: item.get(k) for k, v in self.records[ident].items() if item.get(k) != v}
                expect(not wrong, run.clause, f"the walk lists {run.res.name} {ident} with {wrong}, not the "
                       "values last sent", run.api.exchanges[-1], expected=self.records[ident], actual=wrong)
            run.counted()
        except ContractViolation as exc:
            raise self._violated(exc) from exc

    def teardown(self) -> None:
        for ident in self.records:
            discard(self.run.api, self.run.res, ident)


def sequences(api: Api) -> None:
    """Run the state machine of the contract's ``[stateful]`` table against the target."""
    run = Run(api)
    writes = api.contract.writes
    api.verifies(run.clause, *(writes[k] for k in ("create_clause", "update_clause", "read_clause") if k in writes))
    run.sweep()
    machine = type("StatefulMachine", (Machine,), {"run": run})
    phases = (Phase.explicit, Phase.generate) if api.replaying else (Phase.explicit, Phase.generate, Phase.shrink)
    run_state_machine_as_test(machine, settings=settings(
        max_examples=run.table["sequences"], stateful_step_count=run.table["steps"], derandomize=True,
        database=None, deadline=None, phases=phases, suppress_health_check=list(HealthCheck),
        report_multiple_bugs=False, print_blob=False))
