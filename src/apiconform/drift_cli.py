"""``apiconform drift``: compare two cassette sets, or a cassette set with a fresh recording of a target.

A target is recorded by ``apiconform run --mode record`` into a temporary cassette folder (the
committed cassettes are never touched: nothing is re-recorded in place), then both sets are compared
by :mod:`apiconform.record.drift` and written by :mod:`apiconform.report.drift`.
"""
from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

from apiconform.paths import cassettes_dir, contract_path, providers, schemas_dir

RUN_REPORTS = "drift-run"  # under --report-dir: the reports of the run that recorded the target


def add_parser(sub: argparse._SubParsersAction) -> None:
    drift = sub.add_parser("drift", help="what changed between two recordings of a provider (exit 0 none, "
                           "1 a change breaks a clause, 3 additive only)",
                           epilog="exit status: 0 no drift, 1 a change breaks a clause, 3 additive changes only, "
                           "2 usage error")
    drift.add_argument("old", nargs="?", help="cassette folder of the reference recording (default: cassettes/P)")
    drift.add_argument("new", nargs="?", help="cassette folder of the new recording (or use --target)")
    drift.add_argument("--provider", help="the provider (default: from the cassettes' metadata)")
    drift.add_argument("--target", help="record this base URL (or `live`) into a temporary folder and compare")
    drift.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the target's TLS certificate")
    drift.add_argument("--allow-writes", action="store_true",
                       help="with --target: let the recording's checks create, change and delete data there")
    drift.add_argument("--sandbox", action="store_true", help="record the bundled sandbox (instead of --target)")
    drift.add_argument("--fault", action="append", default=[],
                       help="record the bundled sandbox started with this fault (repeatable; implies --sandbox)")
    drift.add_argument("--report-dir", default="reports", help="where drift.md/.html/.json go (default: reports/)")
    drift.add_argument("--results", help="results.json of the run that recorded NEW: ties changes to the clauses "
                       "its checks violated (with --target, the recording run's own)")
    drift.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers for the recording")


def run(args: argparse.Namespace) -> int:
    from apiconform.contract.model import ContractError, load_contract
    from apiconform.record.drift import DriftError, compare, load_recording, violations
    from apiconform.report import drift as render
    from apiconform.report.files import rerender

    live = args.target or args.sandbox or args.fault
    if args.new and live:
        return _usage("give a NEW cassette folder or --target/--sandbox/--fault, not both")
    if args.target and (args.sandbox or args.fault):
        return _usage("--target records a URL, --sandbox/--fault the bundled sandbox: not both")
    if not args.new and not live:
        return _usage("give a NEW cassette folder, or --target URL (or --sandbox) to record one now")
    provider = args.provider
    if provider is None and args.old is None:
        return _usage("give the OLD cassette folder or --provider")
    if provider is not None and provider not in providers():
        return _usage(f"no suite for {provider} (have: {', '.join(providers())})")
    report_dir = Path(args.report_dir).resolve()
    try:
        old = load_recording(Path(args.old) if args.old else _shown(cassettes_dir(provider)), provider)
        provider = old.provider
        contract = load_contract(contract_path(provider))
        with tempfile.TemporaryDirectory(prefix="apiconform-drift-") as tmp:
            results = Path(args.results) if args.results else None
            if args.new:
                new_folder = Path(args.new)
            else:
                new_folder = Path(tmp) / "cassettes" / provider
                results = report_dir / RUN_REPORTS / "results.json"
                code = _record(provider, args, Path(tmp), results.parent)
                print(f"apiconform drift: recorded {provider} into a temporary folder (run exit {code}; its "
                      f"reports: {results.parent})", file=sys.stderr)
            new = load_recording(new_folder, provider)
            broke = violations(results) if results and (args.results or results.exists()) else {}
            drift = compare(old, new, contract, schemas_dir(provider), broke).as_dict()
            if not args.new:
                source = args.target or "the sandbox" + (" with " + ", ".join(args.fault) if args.fault else "")
                drift["new"]["folder"] = f"recorded now from {source}"
                _not_compared(drift, results)
    except (DriftError, ContractError) as exc:
        return _usage(str(exc))
    written = render.write(drift, report_dir)
    rerender(report_dir)  # report.html and summary.md of a run in the same folder gain the drift section
    print(render.terminal(drift))
    print(f"drift reports: {written['markdown']}, {written['html'].name}, {written['json'].name}")
    return int(drift["exit_status"])


def _not_compared(drift: dict, results: Path) -> None:
    """The checks the recording run did not run (skipped without --allow-writes, say): their exchanges were not
    compared, and "no drift" must say it covered only the rest."""
    from apiconform.report.files import skip_reasons

    try:
        records = json.loads(results.read_text(encoding="utf-8"))["records"]
    except (OSError, ValueError, KeyError, TypeError):
        return
    left = [r for r in records if r.get("verdict") in ("skip", "unsupported", "error")]
    drift["not_compared"] = sorted(str(r.get("test")) for r in left)
    reasons = skip_reasons(left)
    errored = sum(1 for r in left if r.get("verdict") == "error")
    why = [f"{n} skipped: {reason}" for reason, n in reasons.most_common()]
    why += [f"{errored} errored"] if errored else []
    if left:
        reads = "compared reads only; " if any("--allow-writes" in reason for reason in reasons) else ""
        drift["notes"].insert(0, f"{reads}{len(left)} check(s) of the recording run did not run, so their "
                                 f"exchanges were not compared ({'; '.join(why)})")


def _record(provider: str, args: argparse.Namespace, tmp: Path, reports: Path) -> int:
    """``apiconform run --mode record`` with its cassettes in ``tmp`` and its reports in ``reports``."""
    cmd = [sys.executable, "-m", "apiconform.cli", "run", "--provider", provider, "--mode", "record",
           f"--report-dir={reports}", "-n", str(args.workers)]
    if args.target:
        cmd += ["--target", args.target]
    if args.ca_bundle:
        cmd += ["--ca-bundle", args.ca_bundle]
    if args.allow_writes:
        cmd += ["--allow-writes"]
    for fault in args.fault:
        cmd += ["--fault", fault]
    cmd += ["--", f"--cassette-dir={tmp / 'cassettes'}"]
    return subprocess.call(cmd, stdout=sys.stderr)


def _shown(path: Path) -> Path:
    """A folder as the reader would type it: relative to where they are, when it is below."""
    return path.relative_to(Path.cwd()) if path.is_relative_to(Path.cwd()) else path


def _usage(message: str) -> int:
    print(f"apiconform drift: {message}", file=sys.stderr)
    return 2
