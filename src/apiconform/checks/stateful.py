"""Stateful checks: random sequences of create, read, update, delete and list against a model.

Every other check is a fixed scenario. Here Hypothesis's ``RuleBasedStateMachine`` draws sequences of
operations on one resource (``[stateful] resource``) and keeps a model of the records the provider
should hold: the attributes each create and update sent, by id, and the ids deleted. After each step
the model is the oracle: a read returns the model's record for every field sent, a deleted record
reads as missing, and a full list walk (every page, in the provider's own pagination style) yields
exactly the model's live records, each once and with the fields the model holds. Only the records this
run made are compared: they carry ``marker`` at the start of their ``label`` field (and ``filter``, if
set, is the list parameter that narrows the list to them). A provider's own semantics are keys of the table:
``soft_delete`` (a deleted record stays, marked), ``revive`` and ``upsert`` (rules of their own classes,
``RULES``), ``narrow`` (a walk asks for the sequence's labels), ``counter`` and ``role``.

Bounded: ``sequences`` examples of at most ``steps`` steps, at most ``live`` records alive at a time,
every request paced by the rate budget like any other. Deterministic: the run is derandomised with a
fixed seed, and the values sent depend only on the step's number, so live, record and replay send
the same requests (replay answers with the recorded ids, so the machine takes the same branches); a
replay that sent anything else is a cassette error, as for every check. A failure is shrunk by
Hypothesis (not in replay: the cassette holds no shrinking, and shrinking stops after ``shrink_seconds``),
and the violation carries the sequence it ended with, as steps and their exchanges (the reports' repro
script). A finding one operation shows fails that operation's clause (``[stateful.clauses]``, by the
record's writes, and :func:`alone` for a write that breaks by itself); the rest fail ``clause``
(docs/architecture.md, "Stateful checks").
"""
from __future__ import annotations

import functools
import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any
from unittest import mock

from hypothesis import HealthCheck, Phase, settings
from hypothesis import strategies as st
from hypothesis.internal.conjecture import engine
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test

from apiconform.checks import consistency, cursor, offset, pages, pagination
from apiconform.checks.common import Ident, as_credential, create, discard, note_write, resource
from apiconform.checks.expect import body_data, expect, expect_error, expect_status
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.writes import uninterrupted
from apiconform.verdict import ContractViolation, HarnessError

DEFAULTS = {"sequences": 3, "steps": 10, "live": 4, "shrink_seconds": 10}

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
        self.clauses: dict[str, str] = self.table.get("clauses", {})
        self.label: str = self.table["label"]
        self.marker: str = self.table["marker"]
        self.missing: int = api.contract.writes.get("missing_status", 404)
        # The credential of a role that may not write ([roles.<role>]), when the target has it: its writes are tried.
        role = self.table.get("role")
        self.role: str | None = role if role and api.target.credentials.get(role) else None
        raw = api.contract.raw
        self.soft: dict[str, Any] | None = raw["soft_delete"] if self.table.get("soft_delete") else None
        self.up: dict[str, Any] | None = raw["upsert"] if "upsert" in self.table else None
        self.event: str | None = None  # ``events``: the newest write's event id, which every read waits for

    def blamed(self) -> list[str]:
        """Every clause a finding of this check can fail."""
        writes = self.api.contract.writes
        semantics = [self.soft["clause"]] if self.soft else []
        semantics += [self.up["clauses"]["upsert"]] if self.up else []
        waits = [consistency.clause(self.api, c) for c in ("etag", "read_your_write") if self.table.get("events")]
        return list(dict.fromkeys([self.clause, *self.clauses.values(), *(writes[k] for k in (
            "create_clause", "update_clause") if k in writes), writes["read_clause"], self.api.contract.schema_clause,
            *semantics, *waits]))

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
        clause = writes.get("create_clause", self.clauses.get("create", self.clause))
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

    def walk(self, prefix: str, labels: list[str]) -> tuple[list[dict[str, Any]], list[Exchange]]:
        """Every item of a full walk of the list (narrowed to ``prefix`` where the style can; with ``narrow``, a
        list parameter taking labels, to ``labels``), in the contract's pagination style, and the pages'
        answers; the walk's own rules fail the ``walk`` and ``past_end`` clauses."""
        style = self.api.contract.pagination.get("style")
        if style not in WALKS:
            raise ContractError(f"{self.api.contract.path}: [stateful] cannot walk [pagination] style {style!r}")
        if "narrow" in self.table and not labels:
            return [], []
        params = {self.table["narrow"]: sorted(labels)} if "narrow" in self.table else {}
        start = len(self.api.exchanges)
        items = WALKS[style](self, prefix, params)
        return items, [ex for ex in self.api.exchanges[start:] if ex.method == "GET"]

    def mine(self, items: list[dict[str, Any]], prefix: str) -> list[dict[str, Any]]:
        """The items whose label starts with ``prefix``: the records one sequence made."""
        return [item for item in items if str(item.get(self.label, "")).startswith(prefix)]

    def labels(self, sequence: int) -> list[str]:
        """Every label one sequence can give (one per step; a walk counts as a step)."""
        return [self.table["create"][self.label].format(sequence=sequence, n=n)
                for n in range(1, 2 * self.table["steps"] + 2)]

    def alive(self, fields: dict[str, Any]) -> bool:
        """Whether a record (as listed, or as the model holds it) is not soft-deleted."""
        return self.soft is None or fields.get(self.soft["field"]) != self.soft["deleted"]

    def sweep(self, sequence: int | None = None) -> None:
        """Remove the records a crashed earlier run left (a live account keeps them): the marker's before the
        first sequence; with ``narrow`` (a list that cannot be asked for a prefix), each sequence's labels before
        its first step instead (Hypothesis numbers its sequences beyond ``sequences``)."""
        if ("narrow" in self.table) != (sequence is not None):
            return
        prefix, labels = (self.prefix(sequence), self.labels(sequence)) if sequence else (self.marker, [])
        for item in self.mine(self.walk(prefix, labels)[0], prefix):
            if self.alive(item):
                discard(self.api, self.res, item[self.res.id_field])


WALKS: dict[str, Callable[[Run, str, dict[str, Any]], list[dict[str, Any]]]] = {  # by [pagination] style; a walk
    # may narrow by prefix ([pagination] filter) or by labels ([stateful] narrow: params)
    "limit-page": lambda run, prefix, _: pagination.walk(
        run.api, run.res, prefix, run.clauses.get("walk", run.clause), run.table.get("page_size"),
        run.clauses.get("past_end", "")),
    "cursor": lambda run, prefix, _: cursor.walk(run.api, run.res, run.clauses.get("walk", run.clause),
                                                 run.table.get("page_size")),
    "page-number": lambda run, prefix, params: pages.all_items(run.api, run.res, params,
                                                               run.clauses.get("walk", run.clause)),
    "offset": lambda run, prefix, _: offset.walk_list(run.api, run.res, run.clauses.get("walk", run.clause),
                                                      run.table.get("page_size"), run.waiting()),
}


def expect_count(pages: list[Exchange], walked: int, counter: dict[str, str], clause: str,
                 uncounted: str | None = None) -> None:
    """Every page of one walk counts the ``walked`` items the walk yielded, in the response header
    ``counter["header"]`` or the body field ``counter["field"]`` (dotted: ``pagination.item_count``). Pages
    that count differently saw the list change under the walk (another writer on a shared list): no finding.
    A page without a count fails ``uncounted`` (default: ``clause``)."""
    counts = [_count(ex, counter, uncounted or clause) for ex in pages]
    if len(set(counts)) == 1:
        expect(counts[0] == walked, clause, f"the list counts {counts[0]} items ({_named(counter)}), but a walk of "
               f"every page yields {walked}", pages[-1], expected=walked, actual=counts[0])


def _named(counter: dict[str, str]) -> str:
    return f"header {counter['header']}" if "header" in counter else f"field {counter['field']}"


def _count(ex: Exchange, counter: dict[str, str], clause: str) -> int:
    """The count one page answered; a page without a whole number there fails ``clause``."""
    if "header" in counter:
        value: Any = ex.headers.get(counter["header"])
        value = int(value) if value is not None and value.strip().isdigit() else value
    else:
        value = body_data(ex, clause)
        for key in counter["field"].split("."):
            value = value.get(key) if isinstance(value, dict) else None
    expect(isinstance(value, int) and not isinstance(value, bool), clause, f"{ex.method} {ex.url.split('?')[0]} "
           f"carries no count in {_named(counter)}", ex, actual=value)
    return value


def judged(step: Callable[..., None]) -> Callable[..., None]:
    """A step whose violation leaves it from this one place, led by the sequence. Hypothesis tells failures
    apart by where they were raised: from one place, every finding is one failure, shrunk to the shortest
    sequence that shows any, and the clause is the one that shortest sequence decides."""
    @functools.wraps(step)
    def run(self: Machine, **kwargs: Any) -> None:
        try:
            step(self, **kwargs)
        except ContractViolation as exc:
            found = exc
        else:
            return
        raise self._violated(found)  # outside the except: no context, the same origin for every finding
    return run


class Machine(RuleBasedStateMachine):
    """The rules; the model is ``records`` (id -> the fields sent), ``gone`` (ids deleted) and ``writes`` (id ->
    the writes sent to it, in order), which decides whose clause a finding fails."""

    run: Run

    def __init__(self) -> None:
        super().__init__()
        self.sequence = next(self.run.sequences)
        self.records: dict[Ident, dict[str, Any]] = {}
        self.gone: list[Ident] = []
        self.writes: dict[Ident, list[str]] = {}
        self.steps: list[str] = []
        self.starts: list[int] = []  # where each step's exchanges start in api.exchanges
        self.written = False  # a write since the last walk
        self.retry = ""  # the last write of the record a model's finding is about (_about)

    def _step(self, text: str) -> None:
        first = not self.steps
        self.steps.append(text)
        self.starts.append(len(self.run.api.exchanges))
        if first:  # with ``narrow``, the sequence's sweep: its requests are the first step's
            self.run.sweep(self.sequence)

    def _violated(self, exc: ContractViolation) -> ContractViolation:
        """The violation, its message led by the sequence that showed it, carrying each step's exchanges (the
        report's repro script of the whole sequence)."""
        steps = "; ".join(f"{i}. {s}" for i, s in enumerate(self.steps, 1))
        exchanges = self.run.api.exchanges
        sent = [[e for e in exchanges[start:end] if e.at <= exc.at]
                for start, end in zip(self.starts, [*self.starts[1:], len(exchanges)], strict=True)]
        out = ContractViolation(exc.clause, f"after the steps {steps}: {exc.message}", expected=exc.expected,
                                actual=exc.actual, exchange=exc.exchange, sequence=list(zip(self.steps, sent,
                                                                                          strict=True)))
        out.at = exc.at
        out.retry = self.retry  # type: ignore[attr-defined]
        return out

    def _blame(self, kind: str, ident: Ident) -> str:
        """The clause of a finding on one record: its kind's, when the record's writes are its create and at
        most the one write the finding is about (what a fixed check of that operation sends); else the
        model's."""
        return self.run.clauses.get(kind, self.run.clause) if len(self.writes[ident]) <= 2 else self.run.clause

    @contextmanager
    def _about(self, ident: Ident) -> Iterator[None]:
        """A model's finding on this record (more writes than one operation) notes the record's last write
        (``retry``): :func:`alone` tries it on a fresh record, so a partly shrunk sequence still blames a write
        that breaks by itself."""
        try:
            yield
        except ContractViolation as exc:
            if exc.clause == self.run.clause:
                self.retry = self.writes[ident][-1]
            raise

    def _blame_list(self, kind: str) -> str:
        """The clause of a finding on a walk as a whole (its count): its kind's while the sequence has written
        at most once (what a fixed check of a list sends after a create, or of a list nobody writes to); a count
        that only several writes put wrong is the model's."""
        single = sum(len(writes) for writes in self.writes.values()) <= 1
        return self.run.clauses.get(kind, self.run.clause) if single else self.run.clause

    def _pick(self, data: st.DataObject, ids: list[Ident]) -> Ident:
        """One of ``ids`` by its place in the model (creation or deletion order), never by its value: ids a
        target draws at random (uuids) would otherwise send a rerun of the same choices to another record."""
        return data.draw(st.sampled_from(ids))

    def _live(self) -> list[Ident]:
        return [i for i, fields in self.records.items() if self.run.alive(fields)]

    def _deleted(self) -> list[Ident]:
        return [i for i, fields in self.records.items() if not self.run.alive(fields)]

    def _active(self) -> dict[str, Any]:
        """What a write makes of a soft-deleted record's status field: active again (nothing without soft delete)."""
        soft = self.run.soft
        return {soft["field"]: soft["active"]} if soft else {}

    def _wrong(self, wrong: dict[str, Any], ident: Ident, last: str) -> str:
        """The clause of fields that read otherwise than the model holds: a soft-delete status alone is the
        [soft_delete] clause's promise, anything else the last write's (``_blame``)."""
        soft = self.run.soft
        return soft["clause"] if soft and set(wrong) == {soft["field"]} else self._blame(last, ident)

    def _compare(self, ident: Ident, listed: bool = True) -> None:
        """Read a live record: 200, with every field the model holds; other fields lost a write, the last one
        sent to it. A record missing from the list and the read is gone, lost by that write too; one the list
        shows (the walk after every write showed it) that reads otherwise than 200 fails the read's clause."""
        run, api = self.run, self.run.api
        path = f"{run.res.path}/{ident}"
        ex = run.get(path)
        last = self.writes[ident][-1]
        kind = last.split()[0]
        with self._about(ident):
            expect(listed or ex.status != run.missing, self._blame(kind, ident), f"{run.res.name} {ident} is "
                   f"gone from the list and reads {ex.status} after its last write ({last})", ex, expected=200,
                   actual=ex.status)
        expect_status(ex, 200, api.contract.writes["read_clause"], f"GET {path}")
        item = run.res.unwrap(body_data(ex, api.contract.writes["read_clause"]))
        wrong = {k: item.get(k) for k, v in self.records[ident].items() if not isinstance(item, dict)
                 or item.get(k) != v}
        with self._about(ident):
            expect(not wrong, self._wrong(wrong, ident, kind), f"{run.res.name} {ident} reads {wrong}, not the values "
                   f"the model holds (its last write: {last})", ex, expected=self.records[ident], actual=wrong)

    def _compare_gone(self, ident: Ident) -> None:
        """Read a deleted record: it must read as missing. One that still reads kept its delete's record."""
        run = self.run
        ex = run.get(f"{run.res.path}/{ident}")
        with self._about(ident):
            expect(not 200 <= ex.status < 300, self._blame("delete", ident), f"{run.res.name} {ident} reads "
                   f"{ex.status} after its delete", ex, expected=run.missing, actual=ex.status)
            expect_status(ex, run.missing, self._blame("missing", ident),
                          f"GET {run.res.name} {ident} after its delete")

    def _confirm(self, ident: Ident, listed: bool = True) -> None:
        """Read a record as the model says it is: live with its fields, or deleted."""
        if ident in self.records:
            self._compare(ident, listed)
        elif ident in self.gone:
            self._compare_gone(ident)

    # The operations; the rules below pick what they act on, :func:`alone` calls them on a fresh record.

    def _create(self) -> Ident:
        run = self.run
        attrs = run.attrs("create", self.sequence, len(self.steps) + 1)
        self._step(f"create {attrs}")
        ident = run.create(attrs)
        self.records[ident] = {**attrs, **self._active()}
        self.writes[ident] = ["create"]
        self.steps[-1] += f" -> {ident}"
        self.written = True
        return ident

    def _update(self, ident: Ident) -> None:
        run = self.run
        attrs = run.attrs("update", self.sequence, len(self.steps) + 1)
        self._step(f"update {ident} {attrs}")
        self.writes[ident].append("update")
        ex = run.api.request(run.res.update_method, f"{run.res.path}/{ident}", body=run.res.wrap(attrs))
        expect_status(ex, run.api.contract.writes.get("update_status", 200),
                      run.api.contract.writes.get("update_clause", self._blame("update", ident)),
                      f"update {run.res.name} {ident}")
        run.wrote(ex, f"update {run.res.name} {ident}")
        self.records[ident] = {**self.records[ident], **attrs, **self._active()}
        self.written = True

    def _delete(self, ident: Ident) -> None:
        run = self.run
        self._step(f"delete {ident}")
        self.writes[ident].append("delete")
        ex = run.api.delete(f"{run.res.path}/{ident}")
        with self._about(ident):
            expect_status(ex, run.api.contract.writes.get("delete_status", 200), self._blame("delete", ident),
                          f"delete {run.res.name} {ident}")
        run.wrote(ex, f"delete {run.res.name} {ident}")
        if run.soft:  # the record stays, marked deleted
            self.records[ident][run.soft["field"]] = run.soft["deleted"]
        else:
            del self.records[ident]
            self.gone.append(ident)
        self.written = True

    def _refused(self, ident: Ident, method: str) -> None:
        """An update or delete as the role that may not write: refused as [roles.<role>] says, and the record
        unchanged (the walk after it, and a read of the record where the walk disagrees)."""
        run = self.run
        role = run.api.contract.role(run.role)
        attrs = run.attrs("update", self.sequence, len(self.steps) + 1) if method != "DELETE" else None
        self._step(f"{method} {ident} as {run.role}" + (f" {attrs}" if attrs else ""))
        self.writes[ident].append(f"role {method}")
        ex = run.api.request(method, f"{run.res.path}/{ident}", body=run.res.wrap(attrs) if attrs else None,
                             **as_credential(run.api, run.role))
        with self._about(ident):
            expect_error(run.api.contract, ex, role["status"], role.get("error", ""), self._blame("role", ident),
                         f"{method} {run.res.name} {ident} as {run.role}")
        self.written = True

    @precondition(lambda self: len(self.records) < self.run.table["live"])
    @rule()
    @judged
    def create(self) -> None:
        self._create()

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    @judged
    def read(self, data: st.DataObject) -> None:
        ident = self._pick(data, list(self.records))
        self._step(f"read {ident}")
        self._compare(ident)

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    @judged
    def update(self, data: st.DataObject) -> None:
        self._update(self._pick(data, list(self.records)))

    @precondition(lambda self: self._live())
    @rule(data=st.data())
    @judged
    def delete(self, data: st.DataObject) -> None:
        self._delete(self._pick(data, self._live()))

    @precondition(lambda self: self.gone)
    @rule(data=st.data())
    @judged
    def read_deleted(self, data: st.DataObject) -> None:
        ident = self._pick(data, self.gone)
        self._step(f"read deleted {ident}")
        self._compare_gone(ident)

    @invariant()
    @judged
    def list_all(self) -> None:
        """After every write, the full walk: the invariant that needs the most requests, so only then. A
        record the walk shows otherwise than the model is read: a read that disagrees too is the write's
        finding; a list that disagrees with reads that agree is the model's."""
        if not self.written:
            return
        self.written = False
        run = self.run
        self._step("list every page")
        everything, pages = self._steady_walk()
        listed, walked = run.mine(everything, run.prefix(self.sequence)), pages[-1]
        ids, twice, by_id, odd = self._differences(listed)
        expect(not twice, run.clauses.get("walk", run.clause), f"the walk lists {twice} more than once", walked,
               actual=ids)
        for ident in odd:
            self._confirm(ident, ident in by_id)
        shown = {i: {k: by_id[i].get(k) for k in self.records.get(i, {})} if i in by_id else None for i in odd}
        expect(not odd, run.clause, f"the walk lists {sorted(ids)}, where the live records are "
               f"{sorted(self.records)}; it shows {shown}, though reads of them hold what the model holds",
               walked, expected={i: self.records.get(i) for i in odd}, actual=shown)
        if "counter" in run.table:
            expect_count(pages, len(everything), run.table["counter"], self._blame_list("counter"),
                         self._blame_list("uncounted" if "uncounted" in run.clauses else "counter"))

    def _differences(self, listed: list[dict[str, Any]]
                     ) -> tuple[list[Ident], list[Ident], dict[Ident, dict[str, Any]], list[Ident]]:
        """A walk's items against the model: their ids, the ids listed twice, the items by id, and the ids
        listed but not live, live but not listed, or listed with other values than the model holds."""
        run = self.run
        ids = [item[run.res.id_field] for item in listed]
        by_id = {item[run.res.id_field]: item for item in listed}
        odd = sorted(({*by_id} ^ {*self.records}) | {i for i, item in by_id.items() if i in self.records and any(
            item.get(k) != v for k, v in self.records[i].items())})
        return ids, sorted({i for i in ids if ids.count(i) > 1}), by_id, odd

    def _steady_walk(self) -> tuple[list[dict[str, Any]], list[Exchange]]:
        """A walk to judge: one that agrees with the model, or one that the next walk repeats. A list others
        write to (mStudio's whole token list, a live account's) can move under a walk by offsets and skip or
        repeat an item; a target that keeps doing so gives the same walk twice, so its finding stands."""
        run = self.run
        prefix, labels = run.prefix(self.sequence), [f[run.label] for f in self.records.values()]
        before: list[Ident] | None = None
        for _ in range(3):
            everything, pages = run.walk(prefix, labels)
            ids, twice, _, odd = self._differences(run.mine(everything, prefix))
            if (not twice and not odd) or ids == before:
                return everything, pages
            before = ids
        raise HarnessError(f"the list of {run.res.name} changed under each of three walks (others write to it): "
                           "no walk to judge")

    def teardown(self) -> None:
        for ident in self._live():
            discard(self.run.api, self.run.res, ident)


class Refusals(Machine):
    """The rule a machine has when ``[stateful] role`` is set and the target has its credential. A rule of its
    own class, so that a machine without it draws the same sequences as before it existed (and its cassette
    stays valid)."""

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    @judged
    def refused_write(self, data: st.DataObject) -> None:
        ident = self._pick(data, list(self.records))
        writes = self.run.api.contract.role(self.run.role)["writes"]
        self._refused(ident, data.draw(st.sampled_from([m for m in (self.run.res.update_method, "DELETE")
                                                        if m in writes])))


class Revivals(Machine):
    """``revive``: a rule of its own class, so a machine without it draws its sequences as before."""

    @precondition(lambda self: self._deleted())
    @rule(data=st.data())
    @judged
    def revive(self, data: st.DataObject) -> None:
        """``revive``: a create with a soft-deleted record's label (Hive: its merchant_sku_id) is that record
        again, active, holding what the create sent. Its answer (status, id) is the [soft_delete] clause's."""
        run = self.run
        ident = self._pick(data, self._deleted())
        attrs = {**run.attrs("create", self.sequence, len(self.steps) + 1), run.label: self.records[ident][run.label]}
        self._step(f"revive {ident} by create {attrs}")
        soft = run.soft["clause"]
        self.writes[ident].append("revive")
        ex = run.api.post(run.res.path, run.res.wrap(attrs))
        expect_status(ex, (200, run.api.contract.writes.get("create_status", 201)), soft,
                      f"create of the deleted {run.res.name} {ident}")
        got = run.res.unwrap(body_data(ex, soft))
        got = got.get("id") if isinstance(got, dict) else None
        expect(got == ident, soft, f"the create of the deleted {run.res.name} {ident} answers another record", ex,
               expected=ident, actual=got)
        self.records[ident] = {**attrs, **self._active()}  # what it held before the delete is not compared
        self.written = True


class Upserts(Machine):
    """``upsert``: the rules of an [upsert] of the resource (Hive's bulk upsert), keyed by ``label``."""

    @precondition(lambda self: len(self.records) < self.run.table["live"])
    @rule()
    @judged
    def upsert_new(self) -> None:
        """``upsert``: the [upsert] of a new key creates a record holding what it sent."""
        n = len(self.steps) + 1
        attrs = {**self.run.attrs("upsert", self.sequence, n),
                 self.run.label: self.run.attrs("create", self.sequence, n)[self.run.label]}
        self._step(f"upsert new {attrs}")
        ident = self._upserted(attrs, None)
        self.records[ident] = {**attrs, **self._active()}
        self.writes[ident] = ["upsert"]
        self.steps[-1] += f" -> {ident}"

    @precondition(lambda self: self.records)
    @rule(data=st.data())
    @judged
    def upsert_existing(self, data: st.DataObject) -> None:
        """``upsert``: the [upsert] of a record's key updates that record (a soft-deleted one comes back)."""
        ident = self._pick(data, list(self.records))
        attrs = {**self.run.attrs("upsert", self.sequence, len(self.steps) + 1),
                 self.run.label: self.records[ident][self.run.label]}
        self._step(f"upsert {ident} {attrs}")
        self.writes[ident].append("upsert")
        self._upserted(attrs, ident)
        self.records[ident] = {**self.records[ident], **attrs, **self._active()}

    def _upserted(self, attrs: dict[str, Any], ident: Ident | None) -> Ident:
        """Send one item to the upsert; its answer names the record written (``ident``, if given)."""
        run, up = self.run, self.run.up
        clause = up["clauses"]["upsert"]
        ex = run.api.post(up["path"], {up["items"]: [attrs]})
        expect_status(ex, (200, 201), clause, f"bulk upsert of {attrs[run.label]!r}")
        data = body_data(ex, clause)
        items = (data.get(run.api.contract.lists["items"]) if isinstance(data, dict) else None) or [{}]
        got = items[0].get("id") if isinstance(items[0], dict) else None
        ok = got == ident if ident is not None else got is not None and got not in self.records
        expect(ok, clause, f"the upsert of {attrs[run.label]!r} answers {got}, not " + (
            f"{run.res.name} {ident}" if ident is not None else "a new record"), ex, expected=ident, actual=got)
        self.written = True
        return got


RULES = {"revive": Revivals, "upsert": Upserts}  # [stateful] key -> the rules it adds


def alone(machine: type[Machine], found: ContractViolation) -> ContractViolation:
    """A model's finding on one record whose last write (``found.retry``) came after others: that write
    alone, on a fresh record (its create, a read, the write, a read), as a fixed check of it would send it. If it
    breaks by itself, that is the write's finding on its own clause (the shrinker stopped before it had
    removed the others); otherwise the sequence is what broke it, and ``found`` stands."""
    retry = getattr(found, "retry", "")
    kind, _, method = retry.partition(" ")
    if kind not in ("update", "delete", "role"):  # none, or a revival or an upsert: no single-write repeat of it
        return found
    m = machine()
    try:
        ident = m._create()
        m._confirm(ident)  # the fresh record reads: a record missing after the write below is the write's finding
        {"update": lambda: m._update(ident), "delete": lambda: m._delete(ident),
         "role": lambda: m._refused(ident, method)}[kind]()
        m._confirm(ident, listed=False)
    except ContractViolation as exc:
        if exc.clause != m.run.clause:
            out = m._violated(exc)
            out.message = f"{out.message} (a sequence showed it first: {found.message})"
            out.args = (f"[{out.clause}] {out.message}",)
            return out
    finally:
        m.teardown()
    return found


def sequences(api: Api) -> None:
    """Run the state machine of the contract's ``[stateful]`` table against the target."""
    run = Run(api)
    api.verifies(*run.blamed())
    run.sweep()
    bases = tuple(rules for key, rules in RULES.items() if run.table.get(key))
    bases += (Refusals,) if run.role else ()
    machine = type("StatefulMachine", bases or (Machine,), {"run": run})
    phases = (Phase.explicit, Phase.generate) if api.replaying else (Phase.explicit, Phase.generate, Phase.shrink)
    try:
        # Hypothesis's own bound on shrinking, which it leaves to be patched: a rate-limited target shrinks slowly.
        with mock.patch.object(engine, "MAX_SHRINKING_SECONDS", run.table["shrink_seconds"]):
            run_state_machine_as_test(machine, settings=settings(
                max_examples=run.table["sequences"], stateful_step_count=run.table["steps"], derandomize=True,
                database=None, deadline=None, phases=phases, suppress_health_check=list(HealthCheck),
                report_multiple_bugs=False, print_blob=False))
    except ContractViolation as found:
        shown = alone(machine, found)
        if shown is found:
            raise
        raise shown from None
