"""`python -m apiconform.sandbox PROVIDER [--port N] [--fault NAME ...] [--rate-scale N] [--ready-file PATH] ...`

Starts a sandbox, writes the ready file (JSON: provider, pid, env) atomically once both ports
listen, and runs until SIGTERM/SIGINT.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import shutil
import signal
import sys
import tempfile
from pathlib import Path
from typing import Any

from apiconform.sandbox import UnknownProvider, fault_catalogue, load_provider
from apiconform.sandbox.reach import CheckScope, FaultSet, record_reach
from apiconform.sandbox.server import Listening, serve
from apiconform.sandbox.tls import make_tls

EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m apiconform.sandbox", description=__doc__.splitlines()[2])
    parser.add_argument("provider")
    parser.add_argument("--port", type=int, default=0, help="HTTPS port (0: pick a free one)")
    parser.add_argument("--fault", action="append", default=[], metavar="NAME",
                        help="switch on a fault (repeatable)")
    parser.add_argument("--rate-scale", type=_scale, default=1.0, metavar="N",
                        help="run the rate limit's clock N times faster (default 1: the documented rate)")
    parser.add_argument("--ready-file", type=Path, help="write {provider, pid, env} here once listening")
    parser.add_argument("--state-dir", type=Path, help="where ca.pem and the server key go (default: a temp dir)")
    parser.add_argument("--isolate-checks", action="store_true",
                        help="restore the seeded data whenever a request from a new check arrives "
                        "(named by the X-Apiconform-Check header; see apiconform.sandbox.reach)")
    parser.add_argument("--reach-log", type=Path, metavar="FILE",
                        help="append which fault gates each check's requests consult to FILE (JSON lines)")
    return parser


def _scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        value = 0.0
    if not 0 < value < float("inf"):
        raise argparse.ArgumentTypeError(f"{text!r} is not a positive number")
    return value


def write_ready_file(path: Path, payload: dict[str, Any]) -> None:
    """Write via a temp file and os.replace, so readers never see half a file."""
    path = path.resolve()
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_text(json.dumps(payload, indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        module = load_provider(args.provider)
    except UnknownProvider as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    valid = [fault.name for fault in fault_catalogue(args.provider)]
    unknown = [name for name in args.fault if name not in valid]
    if unknown:
        print(f"error: unknown fault(s) for {args.provider}: {', '.join(unknown)}\n"
              f"valid faults: {', '.join(valid)}", file=sys.stderr)
        return EXIT_USAGE
    record_reach(args.reach_log)
    faults = FaultSet(args.fault)

    own_state_dir = args.state_dir is None
    state_dir = Path(tempfile.mkdtemp(prefix=f"apiconform-{args.provider}-")) if own_state_dir else args.state_dir
    try:
        tls = make_tls(state_dir)
        asyncio.run(_run(module, args, faults, tls))
    finally:
        if own_state_dir:
            shutil.rmtree(state_dir, ignore_errors=True)
    return 0


async def _run(module: Any, args: argparse.Namespace, faults: frozenset[str], tls: Any) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    prefix = module.ENV_PREFIX
    credentials: dict[str, str] = {}

    def make_app(https_url: str) -> Any:
        app, env = module.create_app(faults, rate_scale=args.rate_scale)
        app.state.base_url = https_url + getattr(module, "BASE_PATH", "")
        credentials.update(env)
        return CheckScope(app, getattr(app.state, "isolated", ()), args.isolate_checks)

    def on_ready(listening: Listening) -> None:
        env = {
            f"{prefix}_BASE_URL": listening.https_url + getattr(module, "BASE_PATH", ""),
            f"{prefix}_HTTP_URL": listening.http_url,
            f"{prefix}_CA_BUNDLE": str(tls.ca_path),
            **credentials,
            "APICONFORM_FAULTS": ",".join(sorted(faults)),
            "APICONFORM_RATE_SCALE": str(args.rate_scale),
        }
        payload = {"provider": args.provider, "pid": os.getpid(), "env": env}
        if args.ready_file is not None:
            write_ready_file(args.ready_file, payload)
        else:  # nobody polls a file: say where we are on stdout
            print(json.dumps(payload), flush=True)

    await serve(make_app, tls, faults, on_ready, stop, port=args.port,
                plain_http=getattr(module, "PLAIN_HTTP", "redirect"))


if __name__ == "__main__":
    sys.exit(main())
