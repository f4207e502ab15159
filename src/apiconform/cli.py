"""``apiconform``: run suites, serve a sandbox, list a sandbox's faults."""
from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import sys
from pathlib import Path
from typing import NoReturn

from apiconform.paths import project_root, providers, suites_dir
from apiconform.record import MODES


class _Parser(argparse.ArgumentParser):
    """An unknown option or a bad value is one line, naming it, and exit 2 (not the usage block)."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: {message} (see {self.prog} --help)\n")


def main(argv: list[str] | None = None) -> int:
    """The command line; its output may be piped into a reader that stops early (``| head``)."""
    try:
        return _main(argv)
    except BrokenPipeError:
        # The reader is gone: say nothing more, and let the interpreter's final flush go nowhere.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0


def _main(argv: list[str] | None) -> int:
    import apiconform

    parser = _Parser(prog="apiconform", description="Contract tests and conformance suites for REST APIs.")
    parser.add_argument("--version", action="version", version=f"apiconform {apiconform.__version__}")
    sub = parser.add_subparsers(dest="command")
    known = ", ".join(providers())

    run = sub.add_parser("run", help="run provider suites (default: all, against their bundled sandboxes)",
                         formatter_class=argparse.RawDescriptionHelpFormatter,
                         epilog="exit status:\n" + "\n".join(f"  {code:>3}  {what}" for code, what in EXIT_STATUSES))
    run.add_argument("--provider", action="append", default=[], help=f"only this provider (repeatable): {known}")
    run.add_argument("--target", help="base URL of a live target, or `live` for the provider's own URL "
                     "(e.g. https://$MITE_ACCOUNT.mite.de); credentials come from the environment")
    run.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the target's TLS certificate")
    run.add_argument("--mode", choices=MODES, default="live", help="live (default), record, or replay cassettes")
    run.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers (default: auto: one per core, "
                     "and at least one per provider for a live run of several; 0 = none)")
    run.add_argument("--report-dir", default="reports", help="where reports go (default: reports/)")
    run.add_argument("--fault", action="append", default=[], help="start the bundled sandbox with this fault")
    run.add_argument("--deviations", help="TOML file of this target's known deviations (see README)")
    run.add_argument("--record-mode", choices=("all", "once"), default="all",
                     help="with --mode record: all (default) re-records every check that runs; once records only "
                     "the checks without a cassette")
    run.add_argument("--cassette-dir", metavar="DIR", help="record into / replay from DIR/<provider>/ "
                     "(default: cassettes/)")
    run.add_argument("--rate-store", default=os.environ.get("APICONFORM_RATE_STORE", "auto"),
                     help="where the rate budget is shared: auto (default: a file store), a directory, or "
                     "redis://host:port/db to share it with other machines, or off (count only: no pacing, no retries)")
    run.add_argument("--rate-scale", type=float, default=1.0, metavar="N",
                     help="run the sandbox's rate limit and the budget N times faster (default 1)")
    run.add_argument("--spare-rate-limit", action="store_true",
                     help="provoke no 429: skip the checks that exceed the rate limit on purpose (a key shared "
                     "with production)")
    run.add_argument("--check", action="append", default=[], metavar="NODEID",
                     help="only this check (repeatable), e.g. 'suites/mite/test_auth.py::test_revoked_key_401'")
    run.add_argument("--clause", action="append", default=[], metavar="GLOB",
                     help="only checks that verify a clause matching GLOB (repeatable), e.g. 'mite.cond.*'")
    run.add_argument("--area", action="append", default=[], metavar="AREA",
                     help="only checks that verify a clause of this contract area (repeatable), e.g. ratelimit")
    run.add_argument("--provenance", choices=("documented", "assumed"),
                     help="only checks that verify a clause of this provenance")
    run.add_argument("--rerun-failed", metavar="RESULTS", help="only the checks that failed or errored in this "
                     "results.json (e.g. reports/results.json)")
    run.add_argument("--max-age", type=float, metavar="DAYS", help="replay: warn about cassettes older than DAYS")
    run.add_argument("--strict-age", action="store_true", help="replay: an older cassette is an error")
    run.add_argument("--allow-writes", action="store_true",
                     help="with --target: let checks create, change and delete data there (else they are skipped)")
    run.add_argument("--tb", default="no", metavar="STYLE", help="pytest's traceback style for failures "
                     "(default: no; each failure is a short block at the end: clause, expected, actual, repro)")
    run.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")

    serve = sub.add_parser("serve", help="start a bundled sandbox and print the environment to use it")
    serve.add_argument("provider", help=f"whose sandbox: {known}")
    serve.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    serve.add_argument("--fault", action="append", default=[], help="break one clause (see `apiconform faults`)")
    serve.add_argument("--rate-scale", type=float, default=1.0, metavar="N",
                       help="run the rate limit's clock N times faster (default 1: the documented rate)")

    faults = sub.add_parser("faults", help="list a sandbox's faults and the clause each one breaks")
    faults.add_argument("provider", help=f"whose sandbox: {known}")
    faults.add_argument("--json", action="store_true", help="one JSON array of {name, clause, description}")

    from apiconform import drift_cli

    drift_cli.add_parser(sub)
    cleanup = sub.add_parser("cleanup", help="delete what an earlier run against a target could not (leftovers.json)")
    cleanup.add_argument("--leftovers", default="reports/leftovers.json", help="default: reports/leftovers.json")
    cleanup.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the target's TLS certificate")
    spec = sub.add_parser("spec", help="OpenAPI documents: `spec extract PROVIDER [DOCUMENT]` writes schemas/<p>/")
    spec.add_argument("action", choices=["extract"], help="extract: write the covered operations' schemas")
    spec.add_argument("provider", help=f"whose contract names the document and operations: {known}")
    spec.add_argument("document", nargs="?", help="the OpenAPI document (default: the contract's [spec] document)")

    spec_diff = sub.add_parser("spec-diff", help="what changed between two OpenAPI documents, for the covered "
                               "operations; exit 1 on a breaking change (see docs/spec.md)")
    spec_diff.add_argument("old", help="the OpenAPI document the contract was written against (JSON or YAML)")
    spec_diff.add_argument("new", help="the OpenAPI document to compare with it (JSON or YAML)")
    spec_diff.add_argument("--provider", help="whose covered operations (default: the one provider whose contract "
                           "has a [spec] table)")
    spec_diff.add_argument("--markdown", metavar="FILE", help="also write the report as Markdown")
    spec_diff.add_argument("--fail-on", choices=["breaking", "any", "never"], default="breaking",
                           help="exit 1 on a breaking change (default), on any change, or never")

    args = parser.parse_args(argv)
    if args.command in ("spec", "spec-diff"):
        from apiconform.spec import commands

        if args.command == "spec":
            return commands.run_extract(args.provider, args.document)
        return commands.run_diff(args.old, args.new, args.provider, args.markdown, args.fail_on)
    if args.command == "run":
        return _run(args)
    if args.command == "serve":
        return _serve(args)
    if args.command == "faults":
        return _faults(args)
    if args.command == "drift":
        return drift_cli.run(args)
    if args.command == "cleanup":
        from apiconform.teardown import cleanup_command

        return cleanup_command(Path(args.leftovers), args.ca_bundle)
    parser.print_help()
    return 2


def _run(args: argparse.Namespace) -> int:
    known = providers()
    previous: list[dict] = []  # --rerun-failed: the records the rerun's update, the others kept
    if args.rerun_failed:
        from apiconform.report.repro import RerunError, failed_checks, read_results

        try:
            previous = read_results(Path(args.rerun_failed))
        except RerunError as exc:
            print(f"apiconform: --rerun-failed {exc}", file=sys.stderr)
            return 2
        failed = failed_checks(previous)
        if not failed:
            print(f"apiconform: nothing failed or errored in {args.rerun_failed}; nothing to rerun")
            return 0
        args.check += [f["test"] for f in failed]
        args.provider = args.provider or sorted({f["provider"] for f in failed})
    unknown = [p for p in args.provider if p not in known]
    if unknown:
        print(f"apiconform: no suite for {', '.join(unknown)} (have: {', '.join(known)})", file=sys.stderr)
        return 2
    if args.fault:
        from apiconform.sandbox import fault_catalogue

        # A fault names its provider: without --provider, run the providers whose sandboxes have the faults.
        catalogues = {p: {f.name for f in fault_catalogue(p)} for p in (args.provider or known)}
        unknown = sorted(set(args.fault) - set().union(*catalogues.values()))
        if unknown:
            where = ", ".join(args.provider) if args.provider else "any provider"
            print(f"apiconform: unknown fault(s) {', '.join(unknown)} for {where}; see `apiconform faults "
                  "<provider>`", file=sys.stderr)
            return 2
        owners = [p for p, names in catalogues.items() if set(args.fault) <= names]
        if not owners or (args.provider and len(owners) < len(args.provider)):
            print(f"apiconform: no one provider's sandbox has all of {', '.join(args.fault)}; run them one "
                  "--provider at a time", file=sys.stderr)
            return 2
        args.provider = owners
    chosen = args.provider or known
    if args.target and len(chosen) != 1:
        print("apiconform: --target needs exactly one --provider", file=sys.stderr)
        return 2
    problem = _preflight(args, chosen)
    if problem:
        print(f"apiconform: {problem}", file=sys.stderr)
        return 2
    report_dir = Path(args.report_dir).resolve()
    # Plugin options as --name=value: pytest finds its rootdir and ini file before it knows them, and
    # would take a separate value that is an existing path (a report dir, a CA bundle) for a test path.
    pytest_args = [str(project_root() / c) for c in args.check] or [str(suites_dir() / p) for p in chosen]
    # The suites' test files share names across providers (test_auth.py): importlib mode, as pyproject.toml
    # says, also where the root is a wheel's bundled data with no pyproject.toml; pytest's cache then lives
    # where the command runs, not inside the installed package.
    pytest_args += ["--import-mode=importlib"] + ([] if (project_root() / "pyproject.toml").is_file() else
                                                  ["-o", f"cache_dir={Path.cwd() / '.pytest_cache'}"])
    pytest_args += ["-q", f"--mode={args.mode}", f"--report-dir={report_dir}", f"--rootdir={project_root()}",
                    f"--tb={args.tb}"] + (["-rN"] if args.tb == "no" else [])  # the blocks below say it all
    if args.workers not in ("0", 0):
        pytest_args += ["-n", _workers(args.workers, args.mode, chosen)]
    else:
        pytest_args += ["-p", "no:xdist"]
    if args.target:
        pytest_args += [f"--target={args.target}"]
    if args.ca_bundle:
        pytest_args += [f"--ca-bundle={args.ca_bundle}"]
    for fault in args.fault:
        pytest_args += [f"--sandbox-fault={fault}"]
    if args.deviations:
        pytest_args += [f"--deviations={args.deviations}"]
    if args.record_mode != "all":
        pytest_args += [f"--record-mode={args.record_mode}"]
    pytest_args += [f"--clause={g}" for g in args.clause] + [f"--area={a}" for a in args.area]
    if args.provenance:
        pytest_args += [f"--provenance={args.provenance}"]
    if args.cassette_dir:
        pytest_args += [f"--cassette-dir={Path(args.cassette_dir).resolve()}"]
    if args.allow_writes:
        pytest_args += ["--allow-writes"]
    pytest_args += [f"--rate-store={args.rate_store}", f"--rate-scale={args.rate_scale}"]
    if args.spare_rate_limit:
        pytest_args += ["--spare-rate-limit"]
    if args.max_age is not None:
        pytest_args += [f"--max-age={args.max_age}"] + (["--strict-age"] if args.strict_age else [])
    pytest_args += args.pytest_args
    results = report_dir / "results.json"
    from apiconform.report.files import remove_stale

    remove_stale(report_dir)  # an older run's reports (and drift) must not pass for this one's
    # A child pytest, so the plugin is imported (and assertion-rewritten) by pytest itself.
    from apiconform.teardown import call_forwarding_signals

    code = call_forwarding_signals([sys.executable, "-m", "pytest", *pytest_args])
    if results.exists():
        from apiconform.report.files import coverage_lines, render_summary_line
        from apiconform.report.terminal import failure_blocks

        results_doc = json.loads(results.read_text())
        records = results_doc["records"]
        if previous:
            from apiconform.report.files import write_reports
            from apiconform.report.repro import merged

            records = merged(previous, records)
            write_reports(records, report_dir, mode=args.mode, rate=results_doc.get("rate"),
                          run=results_doc.get("run"))
            print(f"apiconform: {len(results_doc['records'])} rerun record(s) updated, the other "
                  f"{len(records) - len(results_doc['records'])} kept from {args.rerun_failed}")
        for line in failure_blocks(records, results_doc.get("run")):
            print(line)
        print(f"\napiconform {args.mode}: {render_summary_line(records)}")
        for line in coverage_lines(records, args.mode, results_doc.get("run")):
            print(line)
        for provider, spent in results_doc.get("rate", {}).items():
            print(f"rate {provider}: {spent['requests']} requests, {spent.get('planned_bursts', 0)} planned burst(s) "
                  f"({spent['planned_429']} planned 429), {spent['unplanned_429']} unplanned 429, "
                  f"{spent['wall_s']:.1f} s (floor {spent['min_wall_s']:.1f} s"
                  + (f"; {spent['floor_s']:.1f} s at the documented rate)" if spent.get("scale", 1) != 1 else ")"))
        print(f"reports: {report_dir}/report.html, summary.md, results.json, junit.xml")
    return _exit_status(code)


def _workers(workers: str, mode: str, chosen: list[str]) -> str:
    """``-n``: ``auto`` is one worker per core, and for a live run of several providers at least one per provider.
    A rate-limited provider's checks have a worker to themselves then (schedule.py) and mostly wait on it for their
    rate; with fewer workers than providers the others queue behind those waits."""
    if workers != "auto" or mode == "replay" or len(chosen) < 2:
        return str(workers)
    return str(max(os.cpu_count() or 1, len(chosen)))


#: ``apiconform run``'s exit statuses (``run --help`` and the README show this table).
EXIT_STATUSES = (
    (0, "every check that ran passed (differs, skip and unsupported do not make a run red)"),
    (1, "a check failed or errored, or the bundled sandbox answered an unplanned 429"),
    (2, "bad input or usage: nothing ran (one line on stderr says what)"),
    (3, "apiconform or pytest broke (an internal error): the reports, if any, are not a verdict"),
    (130, "interrupted (Ctrl-C or SIGTERM): the reports are partial and say so"),
)


def _exit_status(pytest_code: int) -> int:
    """pytest's exit code as ``apiconform run``'s own (:data:`EXIT_STATUSES`): an interrupt is not a usage error."""
    if pytest_code in (2, -signal.SIGINT, -signal.SIGTERM):
        return 130
    if pytest_code == 4:
        return 2  # pytest said why on stderr
    if pytest_code == 5:
        print("apiconform: no check matched the selection; nothing ran", file=sys.stderr)
        return 2
    return pytest_code if pytest_code in (0, 1) else 3


def _preflight(args: argparse.Namespace, chosen: list[str]) -> str | None:
    """Bad input, a --rate-scale or --rate-store that cannot work, or a --target that cannot be reached,
    as one line; checked before pytest writes anything."""
    from apiconform import inputs  # the rest when needed: a replay's preflight loads no HTTP stack

    if args.workers != "auto" and not (str(args.workers).isdigit()):
        return f"--workers must be a number of workers or auto, not {args.workers!r}"
    if args.max_age is not None and not 0 <= args.max_age < float("inf"):
        return f"--max-age must be a number of days, 0 or more, not {args.max_age:g}"
    if args.target and args.mode == "replay":
        return "--target has no effect with --mode replay (the cassettes are the target); drop one of them"
    if args.target and args.target != "live" and "://" not in args.target:
        return f"--target {args.target} is not a URL: give https://HOST[:PORT][/PATH], or live"
    bad = inputs.problem(args, chosen)  # contracts, schemas, deviations, cassettes (docs/bad-input.md)
    if bad:
        return bad
    if not 0 < args.rate_scale < float("inf"):
        return f"--rate-scale must be a positive number, not {args.rate_scale}"
    if args.record_mode != "all" and args.mode != "record":
        return "--record-mode needs --mode record"
    if args.strict_age and args.max_age is None:
        return "--strict-age needs --max-age DAYS"
    if args.rate_scale != 1 and args.target == "live":
        return "--rate-scale only speeds up a sandbox's clock; the live provider keeps its own"
    if args.rate_store != "auto":
        from apiconform.http.rate import StoreError, check_store

        try:
            check_store(args.rate_store)
        except StoreError as exc:
            return str(exc)
    bad = inputs.unwritable(Path(args.report_dir))
    if bad:
        return bad
    if args.target and args.mode != "replay":  # one probe of the target: reachable, TLS, credentials
        from apiconform import preflight
        from apiconform.contract.model import load_contract
        from apiconform.http.rate import configure
        from apiconform.paths import contract_path

        configure(args.rate_store, args.rate_scale)  # the probe waits for the budget the run will share

        return preflight.problem(load_contract(contract_path(chosen[0])), args.target, args.ca_bundle)
    return None


def _serve(args: argparse.Namespace) -> int:
    from apiconform.sandbox import PROVIDERS, fault_catalogue
    from apiconform.sandbox.runner import SandboxError, start_sandbox

    if args.provider not in PROVIDERS:
        print(f"apiconform: no sandbox for {args.provider} (have: {', '.join(sorted(PROVIDERS))})", file=sys.stderr)
        return 2
    unknown = sorted(set(args.fault) - {f.name for f in fault_catalogue(args.provider)})
    if unknown:
        print(f"apiconform: unknown fault(s) {', '.join(unknown)} for {args.provider}; see `apiconform faults "
              f"{args.provider}`", file=sys.stderr)
        return 2

    # SIGTERM stops the sandbox like Ctrl-C, from the first moment: also while it starts.
    signal.signal(signal.SIGTERM, _interrupt)
    try:
        if not 0 < args.rate_scale < float("inf"):
            raise SandboxError(f"--rate-scale must be a positive number, not {args.rate_scale}")
        handle = start_sandbox(args.provider, args.fault, port=args.port, rate_scale=args.rate_scale)
    except (SandboxError, KeyError) as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 0
    try:  # from here on an interrupt (the reader may stop us as soon as it has the exports) stops the sandbox
        for name, value in handle.env.items():
            print(f"export {name}={shlex.quote(value)}")
        prefix = args.provider.upper().replace("-", "_")
        scale = f" --rate-scale {args.rate_scale:g}" if args.rate_scale != 1 else ""
        print(f"# {args.provider} sandbox running (pid {handle.pid}); Ctrl-C stops it. With these exported:\n"
              f"#   apiconform run --provider {args.provider} --target \"${prefix}_BASE_URL\" "
              f"--ca-bundle \"${prefix}_CA_BUNDLE\"{scale}", file=sys.stderr)
        sys.stdout.flush()
        handle.process.wait()
    except KeyboardInterrupt:
        pass
    finally:
        handle.stop()
    return 0


def _interrupt(*_: object) -> None:
    raise KeyboardInterrupt


def _faults(args: argparse.Namespace) -> int:
    from apiconform.sandbox import fault_catalogue

    try:
        catalogue = fault_catalogue(args.provider)
    except KeyError as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps([{"name": f.name, "clause": f.clause, "description": f.description} for f in catalogue],
                         indent=2))
        return 0
    width = max(len(f.name) for f in catalogue)
    for fault in catalogue:
        print(f"{fault.name:<{width}}  {fault.clause:<34}  {fault.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
