"""The pytest plugin: options, the fixtures suites use, and the verdict of every check.

Flow: a suite test asks for ``api``; the plugin resolves the provider's contract and target
(sandbox, URL or cassettes), wraps the test in a cassette when recording or replaying, and
after the test turns its outcome into a verdict record that travels (through xdist, if any)
to the controller, which writes the reports.
"""
from __future__ import annotations

import contextlib
import gc
import json
import os
import shutil
import sys
import tempfile
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from apiconform import selection, teardown
from apiconform.contract import deviations
from apiconform.contract.deviations import DeviationsError, load_deviations
from apiconform.contract.model import Contract, ContractError, suite_contract
from apiconform.http import rate, writes
from apiconform.http.client import Api, Target
from apiconform.http.targets import (
    RUN_DIR_ENV,
    SandboxReach,
    TargetError,
    replay_target,
    sandbox_target,
    scrubber_for,
    stop_shared_sandboxes,
    url_target,
)
from apiconform.paths import cassettes_dir
from apiconform.record import MODES, logscrub
from apiconform.record.cassettes import (
    REFUSED,
    CassetteError,
    age_problem,
    cassette,
    cassette_name,
    no_sockets,
    note_clauses,
    note_refusals,
    read_cassette,
    recorder,
    unplayed,
)
from apiconform.record.scrub import Scrubber
from apiconform.sandbox.runner import SandboxError
from apiconform.verdict import RED, ContractViolation, HarnessError, Unsupported, Verdict

RECORD_KEY = "apiconform"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("apiconform", "API contract suites")
    group.addoption("--mode", choices=MODES, default="live", help="live (default), record cassettes, or replay them")
    selection.add_options(group)
    group.addoption("--record-mode", choices=RECORD_MODES, default="all",
                    help="with --mode record: `all` (default) records every check that runs; `once` only the "
                    "checks that have no cassette yet (vcrpy's names; `none` is --mode replay)")
    group.addoption("--target", default=None, metavar="URL",
                    help="run against this base URL (or `live`: the contract's URL template filled from the "
                    "environment) with credentials from the environment (default: bundled sandbox)")
    group.addoption("--ca-bundle", default=None, metavar="PEM", help="CA bundle to verify the target's TLS")
    group.addoption("--sandbox-fault", action="append", default=[], metavar="NAME",
                    help="start the bundled sandbox with this fault (repeatable)")
    group.addoption("--isolate-checks", action="store_true",
                    help="live against the bundled sandbox: each check starts from its seeded data (the fault "
                    "tests' mode; docs/faults.md)")
    group.addoption("--sandbox-reach", default=None, metavar="FILE",
                    help="live against the bundled sandbox: log which fault gates each check reaches to FILE")
    group.addoption("--report-dir", default=None, metavar="DIR", help="write results.json, junit.xml, summary.md, "
                    "report.html here")
    group.addoption("--cassette-dir", default=None, metavar="DIR", help="cassettes root (default: ./cassettes)")
    group.addoption("--deviations", default=None, metavar="TOML",
                    help="known deviations of this target: failures on listed clauses are `expected`, and a "
                    "listed clause that no longer fails is reported")
    group.addoption("--rate-store", default=os.environ.get("APICONFORM_RATE_STORE", "auto"), metavar="STORE",
                    help="where the rate budget is shared: `auto` (default: a file store, per run for a sandbox, "
                    "per user otherwise), a directory, redis://host:port/db for several machines, or `off` "
                    "(no pacing and no retries, only counting: to measure what the budget saves)")
    group.addoption("--rate-scale", type=float, default=1.0, metavar="N",
                    help="run the sandbox's rate limit, and the budget, on a clock N times faster (default 1)")
    group.addoption("--spare-rate-limit", action="store_true", default=False,
                    help="provoke no 429: the checks that exceed the rate limit on purpose are skipped (for a key "
                    "shared with production, whose other users would be refused until the window resets)")
    group.addoption("--max-age", type=float, default=None, metavar="DAYS",
                    help="replay: warn about cassettes recorded more than DAYS ago (or of unknown age)")
    group.addoption("--strict-age", action="store_true", default=False,
                    help="replay: a cassette older than --max-age is an error naming it, not a warning")
    group.addoption("--allow-writes", action="store_true", default=False,
                    help="let checks create, change and delete data on a --target (a real account); without it "
                    "they are skipped. What a run creates is deleted again at its end")


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line("markers", "clauses(*ids): the contract clauses a check verifies")
    config.stash[_session_key] = _Session(config)  # first: it may refuse the options
    logscrub.install(lambda: config.stash[_session_key].scrubbers.values())  # no credential in a log line
    teardown.on_sigterm_interrupt()  # SIGTERM unwinds like Ctrl-C: cleanups in `finally` still run
    if config.getoption("mode") == "replay":
        no_sockets.install()
    if not hasattr(config, "workerinput"):  # the controller (or a run without xdist)
        _check_rate_options(config)
        run_dir = tempfile.mkdtemp(prefix="apiconform-run-")
        os.environ[RUN_DIR_ENV] = run_dir
        config.add_cleanup(lambda: shutil.rmtree(run_dir, ignore_errors=True))
        config.pluginmanager.register(_Collector(config, Path(run_dir)), "apiconform-collector")
        if config.getoption("report_dir"):
            from apiconform.report.files import remove_stale

            remove_stale(Path(config.getoption("report_dir")))
    run_dir = os.environ.get(RUN_DIR_ENV)
    rate.configure(config.getoption("rate_store"), config.getoption("rate_scale"), Path(run_dir) if run_dir else None,
                   say=lambda line: _say(config, line), spare=config.getoption("spare_rate_limit"))


def _say(config: pytest.Config, line: str) -> None:
    """One line on the terminal now, also from inside a check, whose stderr pytest captures (the rate budget's
    waits and repairs)."""
    capman = config.pluginmanager.getplugin("capturemanager")
    with capman.global_and_fixture_disabled() if capman else contextlib.nullcontext():
        print(line, file=sys.stderr, flush=True)


def _check_rate_options(config: pytest.Config) -> None:
    """Refuse a bad --rate-scale, an unreachable --rate-store, --strict-age without --max-age, or a
    --record-mode without recording, up front."""
    scale, store = config.getoption("rate_scale"), config.getoption("rate_store")
    if config.getoption("record_mode") != "all" and config.getoption("mode") != "record":
        raise pytest.UsageError("--record-mode needs --mode record")
    if not 0 < scale < float("inf"):
        raise pytest.UsageError(f"--rate-scale must be a positive number, not {scale}")
    if config.getoption("strict_age") and config.getoption("max_age") is None:
        raise pytest.UsageError("--strict-age needs --max-age DAYS")
    if scale != 1 and config.getoption("target") == "live":
        raise pytest.UsageError("--rate-scale only speeds up a sandbox's clock; the live provider keeps its own")
    if store != "auto":
        try:
            rate.check_store(store)
        except rate.StoreError as exc:
            raise pytest.UsageError(str(exc)) from None


_session_key = pytest.StashKey["_Session"]()


class _Session:
    """Per-process cache of contracts, targets and scrubbers, by provider."""

    def __init__(self, config: pytest.Config) -> None:
        self.config = config
        self.mode: str = config.getoption("mode")
        self.targets: dict[str, Target] = {}
        self.scrubbers: dict[str, Scrubber] = {}
        self.failed: dict[str, str] = {}  # provider -> why its target could not be set up
        path = config.getoption("deviations")
        try:
            self.deviations = load_deviations(Path(path)) if path else {}
        except DeviationsError as exc:
            raise pytest.UsageError(str(exc)) from None

    def contract_for(self, test_path: Path) -> Contract:
        return suite_contract(str(test_path))

    def target_for(self, contract: Contract) -> Target:
        if contract.provider in self.failed:  # do not start a broken sandbox once per check
            raise HarnessError(self.failed[contract.provider])
        if contract.provider not in self.targets:
            opt = self.config.getoption
            if self.mode == "replay":
                target = replay_target(contract)
            elif opt("target"):
                target = url_target(contract, opt("target"), opt("ca_bundle"))
                target.allow_writes = opt("allow_writes")
            else:
                try:
                    reach = SandboxReach(opt("isolate_checks"), Path(opt("sandbox_reach")) if opt("sandbox_reach")
                                         else None)
                    target = sandbox_target(contract, tuple(opt("sandbox_fault")), opt("rate_scale"), reach)
                except SandboxError as exc:
                    self.failed[contract.provider] = f"{type(exc).__name__}: {exc}"
                    raise HarnessError(self.failed[contract.provider]) from None
            self.targets[contract.provider] = target
            self.scrubbers[contract.provider] = scrubber_for(contract, target)
        return self.targets[contract.provider]

    def cassette_path(self, contract: Contract, nodeid: str) -> Path:
        root = self.config.getoption("cassette_dir")
        base = Path(root) / contract.provider if root else cassettes_dir(contract.provider)
        return base / cassette_name(nodeid)


@pytest.fixture
def contract(request: pytest.FixtureRequest) -> Contract:
    try:
        return request.config.stash[_session_key].contract_for(Path(str(request.node.path)))
    except ContractError as exc:
        raise HarnessError(str(exc)) from None


@pytest.fixture
def api(request: pytest.FixtureRequest, contract: Contract) -> Iterator[Api]:
    """The test's client, inside its cassette when recording or replaying."""
    session = request.config.stash[_session_key]
    try:
        target = session.target_for(contract)
    except TargetError as exc:
        raise HarnessError(str(exc)) from None
    scrubber = session.scrubbers[contract.provider]
    path = session.cassette_path(contract, request.node.nodeid)
    if session.mode == "live":
        client = Api(contract, target, scrubber=scrubber, check_id=request.node.nodeid)
        request.node.stash[_api_key] = client
        yield client
        client.close()
        return
    if session.mode == "record" and request.config.getoption("record_mode") == "once" and path.exists():
        pytest.skip("recorded already; --record-mode once records only the checks without a cassette")
    meta: dict[str, Any] = {}
    checked = None  # replay: the cassette parsed and checked once, then handed to vcrpy
    if session.mode == "replay":
        checked = read_cassette(path)
        meta = checked.get("metadata", {})
        # What the cassette was recorded from decides whether a broken assumption is `differs`.
        request.node.stash[_recorded_from_key] = str(meta.get("target") or "")
        _check_age(request.config, meta, path, request.node)
    request.node.stash[_cassette_key] = path
    vcr_ = recorder(scrubber, [target.base_url, target.http_url or ""], session.mode,
                    [a.header for a in contract.auth if a.header], [a.param for a in contract.auth if a.param])
    with cassette(vcr_, path, scrubber, target.kind, contract.provider, checked) as cas:
        client = Api(contract, target, cassette_path=path, cassette=cas, replaying=session.mode == "replay",
                     recorded_refusals=tuple(meta.get(REFUSED, ())), scrubber=scrubber)
        request.node.stash[_api_key] = client
        yield client
        client.close()
        if session.mode == "record":
            note_refusals(cas, client.refused)
            marked = [c for m in request.node.iter_markers("clauses") for c in m.args]
            note_clauses(cas, request.node.nodeid, list(dict.fromkeys([*marked, *client.declared])))
            if not request.node.stash.get(_call_recorded_key, False):
                cas.dirty = False  # a skipped or broken check keeps the cassette it had (vcrpy saves when dirty)
    if session.mode == "replay" and request.node.stash.get(_call_passed_key, False):
        # Replay must prove it replayed: a pass that left recorded requests unplayed skipped some.
        # A failed check stops where its recording stopped and keeps its verdict.
        left = unplayed(cas, client.recorded_refusals, client.refused)
        if left:
            raise CassetteError(f"{path}: {len(left)} recorded request(s) were not replayed, first "
                                f"{', '.join(left[:3])}; the check no longer sends them: re-record it")


def _check_age(config: pytest.Config, meta: dict[str, Any], path: Path, node: pytest.Item) -> None:
    """--max-age: an old cassette is noted on the check's record, or with --strict-age is an error."""
    max_age = config.getoption("max_age")
    found = age_problem(meta, path, max_age) if max_age is not None else None
    if found is None:
        return
    problem, known = found
    if known and config.getoption("strict_age"):
        raise CassetteError(problem)
    node.stash[_age_key] = problem


_api_key = pytest.StashKey[Api]()
_age_key = pytest.StashKey[str]()
_recorded_from_key = pytest.StashKey[str]()
_call_passed_key = pytest.StashKey[bool]()
_call_recorded_key = pytest.StashKey[bool]()  # record mode: the call's exchanges are worth a cassette
#: vcrpy's record modes that fit a recording that replay must play whole: `new_episodes` would keep
#: interactions a check no longer sends (replay then calls them unplayed), and `none` is --mode replay.
RECORD_MODES = ("all", "once")
_cassette_key = pytest.StashKey[Path]()


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    session = config.stash[_session_key]

    def suite_of(item: pytest.Item) -> tuple[Contract, Path] | None:
        try:
            contract = session.contract_for(Path(str(item.path)))
        except ContractError:
            return None  # not a suite's check (an engine test), or a contract that collection reports
        return contract, session.cassette_path(contract, item.nodeid)

    selection.select(config, items, suite_of)


def pytest_collection_finish(session: pytest.Session) -> None:
    # What exists now (modules, contracts, the collected items) lives for the whole run: moved out of
    # the collector's generations, it is no longer rescanned by every full collection while the checks
    # allocate (about 0.1 s of a 2 s replay of all four suites, benchmarks/replay_floor.py).
    gc.freeze()


def pytest_runtest_setup(item: pytest.Item) -> None:
    writes.raise_if_swallowed()  # a SIGINT/SIGTERM lost in a gc callback still stops the run


@pytest.hookimpl(tryfirst=True)
def pytest_keyboard_interrupt(excinfo: Any) -> None:
    writes.delivered()
    # Python 3.11 can leave a traceback entry without a line number when the signal lands between two
    # bytecodes; pytest's own report of the interrupt then crashes (exit 1, and the run no longer reads as
    # interrupted). Such entries show nothing anyway. (``_rawentry``: pytest exposes no other way to ask.)
    excinfo.traceback = excinfo.traceback.filter(lambda entry: entry._rawentry.tb_lineno is not None)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Iterator[None]:
    outcome = yield
    report: pytest.TestReport = outcome.get_result()
    if report.when == "call":  # read by the `api` fixture's teardown
        item.stash[_call_passed_key] = report.passed
        # Recording keeps what shows a verdict: a pass or a contract failure. A skipped check (writes not
        # allowed) or a broken one recorded less than its cassette holds, and must not replace it.
        item.stash[_call_recorded_key] = report.passed or (
            call.excinfo is not None and isinstance(call.excinfo.value, ContractViolation))
    if report.when == "call" or (report.when != "call" and not report.passed):
        record = _record(item, call, report, item.stash.get(_api_key, None))
        if record is not None and report.when == "call" and _cassette_key in item.stash \
                and item.config.stash[_session_key].mode == "record":
            path = item.stash[_cassette_key]
            record["cassette"] = ("replaced" if path.exists() else "new") if item.stash[_call_recorded_key] \
                else ("kept" if path.exists() else "not written")
        if record is not None:
            deviations.apply(record, item.config.stash[_session_key].deviations)
            report.user_properties.append((RECORD_KEY, json.dumps(record)))
            if record["verdict"] == Verdict.FAIL and item.config.getoption("tbstyle") == "auto":
                # A contract failure is its clause, expected, actual and repro; the traceback only with --tb.
                from apiconform.report.terminal import block

                report.longrepr = "\n".join(block(record, _run_options(item.config)))
            if record["verdict"] in (Verdict.DIFFERS, Verdict.EXPECTED):  # not a violation: pytest shows an x
                report.outcome = "skipped"
                report.wasxfail = record["message"][:500]
    if report.when == "teardown" and _api_key in item.stash:  # the last reader: the test's client, cassette
        del item.stash[_api_key]  # and exchanges go (kept on every item, they made each garbage collection slower)


def _record(item: pytest.Item, call: pytest.CallInfo[Any], report: pytest.TestReport, client: Api | None
            ) -> dict[str, Any] | None:
    session: _Session = item.config.stash[_session_key]
    if not (Path(str(item.path)).parent / "contract.toml").exists():
        return None  # not a suite test (e.g. the engine's own tests)
    try:
        contract = session.contract_for(Path(str(item.path)))
    except ContractError:
        return None  # the suite's collection already failed, naming the file
    declared = [c for m in item.iter_markers("clauses") for c in m.args]
    if client is not None:
        declared += [c for c in client.declared if c not in declared]
    observed = sorted(client.observed - set(declared)) if client else []
    clauses = declared + observed
    verdict, message, violated, evidence = Verdict.PASS, "", None, None
    exc = call.excinfo.value if call.excinfo is not None else None
    if report.skipped:
        verdict = Verdict.SKIP
        if isinstance(exc, Unsupported):
            verdict = Verdict.UNSUPPORTED
        message = str(report.longrepr[2]) if isinstance(report.longrepr, tuple) else str(exc or "")
    elif report.failed:
        if isinstance(exc, ContractViolation) and client is not None and client.network_retries:
            # A request resent after a network fault may have arrived twice (a rate count, a create):
            # such a failure cannot be told from the fault, so it is not evidence (http/resilience.py).
            verdict = Verdict.ERROR
            message = (f"HarnessError: network faults made the check resend {len(client.network_retries)} "
                       f"request(s) ({client.network_retries[0]}); its failure cannot be told from them: {exc}")
        elif isinstance(exc, ContractViolation):
            violated = exc.clause
            message = str(exc)
            verdict = Verdict.FAIL
            clause = contract.clauses.get(exc.clause)
            if clause and clause.provenance == "assumed" and _answered_by(item, session, contract) == "url":
                verdict = Verdict.DIFFERS
                message = f"observed behaviour differs from the sandbox's assumption: {exc}"
            scrubber = session.scrubbers.get(contract.provider)
            # A check that compares across requests names no exchange; the last one sent before the
            # violation was raised is the evidence, not the cleanup that ran while the check unwound.
            before = [e for e in client.exchanges if e.at <= exc.at] if client else []
            exchange = exc.exchange or (before[-1] if before else None)
            if scrubber is not None:
                evidence = {**(exchange.evidence(scrubber) if exchange else {}),
                            "expected": _plain(exc.expected, scrubber), "actual": _plain(exc.actual, scrubber)}
                if exc.sequence:
                    evidence["sequence"] = [{"step": scrubber.text(step), "requests": [
                        {**e.evidence(scrubber)["request"], "status": e.status} for e in sent]}
                        for step, sent in exc.sequence]
            if violated not in clauses:
                clauses.append(violated)
        else:
            verdict = Verdict.ERROR
            message = f"{type(exc).__name__}: {exc}" if exc is not None else str(report.longrepr)[-500:]
        scrubber = session.scrubbers.get(contract.provider)
        if scrubber is not None:
            message = scrubber.text(message)
    areas = [contract.clauses[c].area for c in clauses if c in contract.clauses]
    return {
        "provider": contract.provider,
        "test": item.nodeid,
        "name": item.name,
        "clauses": clauses,
        "observed": observed,  # invariant clauses every answer of the check passed
        "area": areas[0] if areas else "other",
        "verdict": str(verdict),
        "violated": violated,
        "provenance": contract.clauses[violated].provenance if violated in contract.clauses else None,
        "message": message[:2000],
        "evidence": evidence,
        "target": session.targets[contract.provider].kind if contract.provider in session.targets else None,
        "recorded_from": item.stash.get(_recorded_from_key, None),
        "cassette_age": item.stash.get(_age_key, None),
        "mode": session.mode,
        "duration": round(getattr(report, "duration", 0.0), 3),
    }


def _answered_by(item: pytest.Item, session: _Session, contract: Contract) -> str | None:
    """The kind of target whose answers the test saw: in replay, the one the cassette was recorded from."""
    recorded_from = item.stash.get(_recorded_from_key, None)
    if recorded_from:
        return recorded_from
    target = session.targets.get(contract.provider)
    return target.kind if target is not None else None


def _plain(value: Any, scrubber: Scrubber) -> Any:
    """``value`` as JSON data, scrubbed: a check may quote headers or a body that echo a credential."""
    try:
        text = json.dumps(value)
    except TypeError:
        text = json.dumps(repr(value))
    return json.loads(scrubber.text(text))


class _Collector:
    """Lives in the controller: gathers every record and writes the reports at the end."""

    def __init__(self, config: pytest.Config, run_dir: Path) -> None:
        self.config = config
        self.run_dir = run_dir
        self.records: list[dict[str, Any]] = []
        self.red: list[dict[str, Any]] = []
        self.rate_problems: list[str] = []

    @pytest.hookimpl(tryfirst=True)  # before the terminal prints the outcome: a shown verdict is a recorded one
    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        for key, value in report.user_properties:
            if key == RECORD_KEY:
                self.records.append(json.loads(value))

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        spent = rate.collect(self.run_dir)  # before the run directory goes
        report_dir = self.config.getoption("report_dir")
        left = teardown.clean_up(self.run_dir, Path(report_dir or "reports"), self.config.stash[_session_key])
        stop_shared_sandboxes(self.run_dir)
        records = _dedupe(self.records) + left
        listed = self.config.stash[_session_key].deviations
        if listed:
            records += deviations.stale(records, listed, self.config.getoption("deviations"))
        interrupted = session.exitstatus == pytest.ExitCode.INTERRUPTED
        if report_dir and (records or interrupted):  # an interrupt before the first verdict says so too
            from apiconform.report.files import write_reports

            run = {**_run_options(self.config), "interrupted": interrupted, "collected": session.testscollected}
            write_reports(records, Path(report_dir), mode=self.config.getoption("mode"), rate=spent, run=run)
        self.red = [r for r in records if r["verdict"] in RED]
        self.rate_problems = rate.problems(spent)
        if (self.red or self.rate_problems) and session.exitstatus == 0:
            session.exitstatus = 1

    def pytest_terminal_summary(self, terminalreporter: Any) -> None:
        stale = [r for r in self.red if r["test"].split("::")[0] == self.config.getoption("deviations")]
        for record in stale:
            terminalreporter.write_line(f"apiconform: FAIL {record['message']}", red=True)
        for problem in self.rate_problems:
            terminalreporter.write_line(f"apiconform: {problem}", red=True)
        aged = [r["cassette_age"] for r in self.records if r.get("cassette_age")]
        for problem in dict.fromkeys(aged):
            terminalreporter.write_line(f"apiconform: old cassette: {problem}", yellow=True)
        fates = Counter(r["cassette"] for r in self.records if r.get("cassette"))
        if fates:
            terminalreporter.write_line(
                f"apiconform record: {fates['new'] + fates['replaced']} cassette(s) written ({fates['replaced']} "
                f"replaced, {fates['new']} new); {fates['kept']} kept as they were and {fates['not written']} not "
                "written, because their check was skipped or errored",
                yellow=bool(fates["kept"] + fates["not written"]))
            for r in self.records:
                if r.get("cassette") in ("kept", "not written"):
                    terminalreporter.write_line(f"  {r['cassette']}: {r['test']} ({r['verdict']})")


def _run_options(config: pytest.Config) -> dict[str, Any]:
    """What the run was asked to cover, as the reports and the rerun commands show it."""
    from apiconform.report.repro import shown_target

    opt = config.getoption
    return {"target": shown_target(opt("target")), "faults": opt("sandbox_fault"), "deviations": opt("deviations"),
            "allow_writes": bool(opt("allow_writes"))}


def _dedupe(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """One record per check: a teardown error overrides the call's verdict."""
    by_test: dict[str, dict[str, Any]] = {}
    for record in records:
        prev = by_test.get(record["test"])
        if prev is None or record["verdict"] in RED:
            by_test[record["test"]] = record
    return list(by_test.values())


def pytest_sessionfinish(session: pytest.Session) -> None:
    if hasattr(session.config, "workerinput"):  # an xdist worker: its last rate counters, for the controller
        rate.flush()


def pytest_unconfigure(config: pytest.Config) -> None:
    no_sockets.uninstall()
    logscrub.uninstall()
