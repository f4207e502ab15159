"""The end of a run, however it ends: interrupted checks unwind, and what they created is removed.

SIGINT already unwinds a pytest run through every ``finally`` (``checks.common.discard``);
:func:`on_sigterm_interrupt` makes SIGTERM do the same, in the controller and in each xdist worker.
Whatever is still on the ledger at the end (a worker killed outright, a delete that failed) is
deleted by the controller (:func:`clean_up`); what cannot be is listed as an ``error`` record in the
reports and in ``leftovers.json``, which ``apiconform cleanup`` reads.
"""
from __future__ import annotations

import signal
import threading
from pathlib import Path
from typing import Any

# The HTTP stack (http.writes and what it imports) is imported where it is used: `apiconform run`
# imports this module for call_forwarding_signals alone, before its child pytest starts.
from apiconform.contract.model import load_contract
from apiconform.paths import contract_path
from apiconform.verdict import HarnessError


def on_sigterm_interrupt() -> None:
    """SIGINT and SIGTERM raise KeyboardInterrupt in the main thread, held while a write is noted
    (:func:`apiconform.http.writes.uninterrupted`)."""
    from apiconform.http import writes

    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGTERM, writes.interrupt)
        signal.signal(signal.SIGINT, writes.interrupt)


def clean_up(run_dir: Path, report_dir: Path, session: Any) -> list[dict[str, Any]]:
    """Delete what the run created and did not remove; the remainder as report records (and leftovers.json)."""
    from apiconform.http import writes

    entries = writes.pending(run_dir)
    if not entries:
        return []
    from apiconform.http.client import Api

    apis: dict[str, Api] = {}

    def api_for(provider: str, base_url: str) -> Api:
        if provider not in apis:
            contract = load_contract(contract_path(provider))
            target = session.target_for(contract)
            if target.base_url != base_url:
                raise HarnessError(f"created on {base_url}, this run's target is {target.base_url}")
            apis[provider] = Api(contract, target)
        return apis[provider]

    try:
        left = writes.clean(entries, api_for)
    finally:
        for api in apis.values():
            api.close()
    if not left:
        return []
    path = writes.add_leftovers(report_dir / writes.LEFTOVERS, left)
    return [_record(e, path) for e in left]


def _record(e: dict[str, Any], path: Path) -> dict[str, Any]:
    return {"provider": e["provider"], "test": f"cleanup::{e['path']}", "name": f"cleanup {e['path']}",
            "clauses": [], "area": "cleanup", "verdict": "error", "violated": None, "provenance": None,
            "message": f"{e['resource']} {e['path']} on {e['base_url']} could not be deleted ({e['why']}); "
                       f"listed in {path}: `apiconform cleanup --leftovers {path}` retries",
            "evidence": None, "target": "url", "recorded_from": None, "mode": "live", "duration": 0.0}


def call_forwarding_signals(cmd: list[str]) -> int:
    """Run ``cmd`` and pass SIGINT and SIGTERM on to it, so the child pytest unwinds and cleans up.

    The child has a process group of its own, so a Ctrl-C at the terminal reaches it once (from
    here), not twice: a second interrupt would cut its cleanup short.
    """
    import subprocess

    child = subprocess.Popen(cmd, process_group=0)

    def forward(signum: int, _frame: object) -> None:
        child.send_signal(signum)

    saved = {sig: signal.signal(sig, forward) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        return child.wait()
    finally:
        for sig, handler in saved.items():
            signal.signal(sig, handler)


def cleanup_command(path: Path, ca_bundle: str | None) -> int:
    """``apiconform cleanup``: delete each leftover with today's credentials; keep what still fails in the file."""
    import os
    import sys

    from apiconform.http import writes
    from apiconform.http.client import Api
    from apiconform.http.targets import url_target

    if not path.exists():  # no run left anything behind there: nothing to do is not an error
        print(f"apiconform cleanup: {path} does not exist; nothing to clean")
        return 0
    try:
        entries = writes.read_leftovers(path)
    except HarnessError as exc:
        print(f"apiconform: {exc}", file=sys.stderr)
        return 2
    apis: dict[tuple[str, str], Api] = {}

    def api_for(provider: str, base_url: str) -> Api:
        if (provider, base_url) not in apis:
            contract = load_contract(contract_path(provider))
            target = url_target(contract, base_url, ca_bundle or os.environ.get(f"{contract.env_prefix}_CA_BUNDLE"))
            apis[provider, base_url] = Api(contract, target)
        return apis[provider, base_url]

    try:
        left = writes.clean(entries, api_for)
    finally:
        for api in apis.values():
            api.close()
    writes.write_leftovers(path, left)
    for e in left:
        print(f"apiconform: still there: {e['provider']} {e['path']} on {e['base_url']}: {e['why']}", file=sys.stderr)
    print(f"apiconform cleanup: {len(entries) - len(left)} deleted, {len(left)} left"
          + (f" (still listed in {path})" if left else ""))
    return 1 if left else 0
