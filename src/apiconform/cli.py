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
    parser = _Parser(prog="apiconform", description="Contract tests and conformance suites for REST APIs.")
    sub = parser.add_subparsers(dest="command")

    run = sub.add_parser("run", help="run provider suites (default: all, against their bundled sandboxes)")
    run.add_argument("--provider", action="append", default=[], help="only this provider (repeatable)")
    run.add_argument("--target", help="base URL of a live target, or `live` for the provider's own URL "
                     "(e.g. https://$MITE_ACCOUNT.mite.de); credentials come from the environment")
    run.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the target's TLS certificate")
    run.add_argument("--mode", choices=MODES, default="live", help="live (default), record, or replay cassettes")
    run.add_argument("-n", "--workers", default="auto", help="pytest-xdist workers (default: auto; 0 = none)")
    run.add_argument("--report-dir", default="reports", help="where reports go (default: reports/)")
    run.add_argument("--fault", action="append", default=[], help="start the bundled sandbox with this fault")
    run.add_argument("--deviations", help="TOML file of this target's known deviations (see README)")
    run.add_argument("--rate-store", default=os.environ.get("APICONFORM_RATE_STORE", "auto"),
                     help="where the rate budget is shared: auto (default: a file store), a directory, or "
                     "redis://host:port/db to share it with other machines, or off (count only: no pacing, no retries)")
    run.add_argument("--rate-scale", type=float, default=1.0, metavar="N",
                     help="run the sandbox's rate limit and the budget N times faster (default 1)")
    run.add_argument("--check", action="append", default=[], metavar="NODEID",
                     help="only this check (repeatable), e.g. 'suites/mite/test_auth.py::test_revoked_key_401'")
    run.add_argument("--rerun-failed", metavar="RESULTS", help="only the checks that failed or errored in this "
                     "results.json (e.g. reports/results.json)")
    run.add_argument("--max-age", type=float, metavar="DAYS", help="replay: warn about cassettes older than DAYS")
    run.add_argument("--strict-age", action="store_true", help="replay: an older cassette is an error")
    run.add_argument("--allow-writes", action="store_true",
                     help="with --target: let checks create, change and delete data there (else they are skipped)")
    run.add_argument("pytest_args", nargs="*", help="extra arguments for pytest (after --)")

    serve = sub.add_parser("serve", help="start a bundled sandbox and print the environment to use it")
    serve.add_argument("provider")
    serve.add_argument("--port", type=int, default=0, help="HTTPS port (default: a free one)")
    serve.add_argument("--fault", action="append", default=[], help="break one clause (see `apiconform faults`)")
    serve.add_argument("--rate-scale", type=float, default=1.0, metavar="N",
                       help="run the rate limit's clock N times faster (default 1: the documented rate)")

    faults = sub.add_parser("faults", help="list a sandbox's faults and the clause each one breaks")
    faults.add_argument("provider")

    from apiconform import drift_cli

    drift_cli.add_parser(sub)
    cleanup = sub.add_parser("cleanup", help="delete what an earlier run against a target could not (leftovers.json)")
    cleanup.add_argument("--leftovers", default="reports/leftovers.json", help="default: reports/leftovers.json")
    cleanup.add_argument("--ca-bundle", help="CA bundle (PEM) to verify the target's TLS certificate")
    spec = sub.add_parser("spec", help="OpenAPI documents: `spec extract PROVIDER [DOCUMENT]` writes schemas/<p>/")
    spec.add_argument("action", choices=["extract"])
    spec.add_argument("provider")
    spec.add_argument("document", nargs="?", help="the OpenAPI document (default: the contract's [spec] document)")

    spec_diff = sub.add_parser("spec-diff", help="what changed between two OpenAPI documents, for the covered "
                               "operations; exit 1 on a breaking change (see docs/spec.md)")
    spec_diff.add_argument("old")
    spec_diff.add_argument("new")
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
    if args.rerun_failed:
        from apiconform.report.repro import RerunError, failed_checks

        try:
            failed = failed_checks(Path(args.rerun_failed))
        except RerunError as exc:
            print(f"apiconform: --rerun-failed {exc}", file=sys.stderr)
            return 2
        if not failed:
            print(f"apiconform: nothing failed or errored in {args.rerun_failed}; nothing to rerun")
            return 0
        args.check += [f["test"] for f in failed]
        args.provider = args.provider or sorted({f["provider"] for f in failed})
    chosen = args.provider or known
    unknown = [p for p in chosen if p not in known]
    if unknown:
        print(f"apiconform: no suite for {', '.join(unknown)} (have: {', '.join(known)})", file=sys.stderr)
        return 2
    if args.target and len(chosen) != 1:
        print("apiconform: --target needs exactly one --provider", file=sys.stderr)
        return 2
    if args.fault:
        from apiconform.sandbox import fault_catalogue

        known_faults = {f.name for p in chosen for f in fault_catalogue(p)}
        unknown = sorted(set(args.fault) - known_faults)
        if unknown:
            print(f"apiconform: unknown fault(s) {', '.join(unknown)}; see `apiconform faults <provider>`",
                  file=sys.stderr)
            return 2
    problem = _preflight(args, chosen)
    if problem:
        print(f"apiconform: {problem}", file=sys.stderr)
        return 2
    report_dir = Path(args.report_dir).resolve()
    # Plugin options as --name=value: pytest finds its rootdir and ini file before it knows them, and
    # would take a separate value that is an existing path (a report dir, a CA bundle) for a test path.
    pytest_args = [str(project_root() / c) for c in args.check] or [str(suites_dir() / p) for p in chosen]
    pytest_args += ["-q", f"--mode={args.mode}", f"--report-dir={report_dir}", f"--rootdir={project_root()}"]
    if args.workers not in ("0", 0):
        pytest_args += ["-n", str(args.workers)]
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
    if args.allow_writes:
        pytest_args += ["--allow-writes"]
    pytest_args += [f"--rate-store={args.rate_store}", f"--rate-scale={args.rate_scale}"]
    if args.max_age is not None:
        pytest_args += [f"--max-age={args.max_age}"] + (["--strict-age"] if args.strict_age else [])
    pytest_args += args.pytest_args
    results = report_dir / "results.json"
    for stale in (results, report_dir / "drift.json", report_dir / "drift.md", report_dir / "drift.html"):
        stale.unlink(missing_ok=True)  # a drift from before this run must not show in its report
    # A child pytest, so the plugin is imported (and assertion-rewritten) by pytest itself.
    from apiconform.teardown import call_forwarding_signals

    code = call_forwarding_signals([sys.executable, "-m", "pytest", *pytest_args])
    if results.exists():
        from apiconform.report.files import render_summary_line

        results_doc = json.loads(results.read_text())
        records = results_doc["records"]
        print(f"\napiconform {args.mode}: {render_summary_line(records)}")
        for provider, spent in results_doc.get("rate", {}).items():
            print(f"rate {provider}: {spent['requests']} requests, {spent['planned_429']} planned 429, "
                  f"{spent['unplanned_429']} unplanned 429, {spent['wall_s']:.1f} s (min {spent['min_wall_s']:.1f} s)")
        print(f"reports: {report_dir}/report.html, summary.md, results.json, junit.xml")
    return code


def _preflight(args: argparse.Namespace, chosen: list[str]) -> str | None:
    """Bad input, a --rate-scale or --rate-store that cannot work, or a --target that cannot be reached,
    as one line; checked before pytest writes anything."""
    from apiconform import inputs  # the rest when needed: a replay's preflight loads no HTTP stack

    bad = inputs.problem(args, chosen)  # contracts, schemas, deviations, cassettes (docs/bad-input.md)
    if bad:
        return bad
    if not 0 < args.rate_scale < float("inf"):
        return f"--rate-scale must be a positive number, not {args.rate_scale}"
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
    from apiconform.sandbox.runner import SandboxError, start_sandbox

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
    width = max(len(f.name) for f in catalogue)
    for fault in catalogue:
        print(f"{fault.name:<{width}}  {fault.clause:<34}  {fault.description}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
