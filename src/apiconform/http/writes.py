"""A real account's data is changed only when asked, and what a run creates is removed again.

- **Opt-in writes.** Against a target that is not a bundled sandbox (``--target``), the client
  refuses every unsafe method (anything but GET, HEAD, OPTIONS) before it is sent unless the run
  has ``--allow-writes``. The refusal is :class:`WritesNotAllowed`, a pytest skip: the check that
  wanted to write ends as ``skip`` saying why, and no check needs to know which of its requests
  write.
- **The ledger.** On a URL target the client notes every resource a POST to a resource's path
  created (the id in its answer), every record a bulk upsert (``[upsert]``) answered, and every
  DELETE that removed one (:func:`track`), except for a resource the API cannot delete
  (``deletable = false``), whichever check
  sent it, each as one fsynced JSON line in ``$RUN_DIR/ledger/<pid>.jsonl`` (so a worker killed
  mid-check leaves the line behind). SIGINT and SIGTERM wait while a write and its line are under
  way (:func:`uninterrupted`): an interrupt between a POST and its answer would leave a resource
  whose id nobody learned. At the end of the run the controller reads what was created
  and never removed (:func:`pending`), deletes it (:func:`clean`), and writes what still could not
  be removed to ``leftovers.json`` in the report directory, which ``apiconform cleanup`` reads.
"""
from __future__ import annotations

import json
import os
import time
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

from apiconform.http.rate import budget
from apiconform.verdict import HarnessError

if TYPE_CHECKING:
    from apiconform.contract.model import Resource
    from apiconform.http.client import Api
    from apiconform.http.exchange import Exchange

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
RUN_DIR_ENV = "APICONFORM_RUN_DIR"  # http.targets.RUN_DIR_ENV, which imports the client
LEDGER_DIR = "ledger"
LEFTOVERS = "leftovers.json"


class WritesNotAllowed(pytest.skip.Exception):  # type: ignore[misc,name-defined]
    """An unsafe request to a real account without ``--allow-writes``: the check is skipped, nothing sent."""


def guard(allowed: bool, method: str, where: str) -> None:
    """Refuse ``method`` before it is sent, unless writes are allowed or the method is safe."""
    if not allowed and method.upper() not in SAFE_METHODS:
        raise WritesNotAllowed(f"{where}: this check writes to a real account; run with --allow-writes to let it "
                               f"create, change and delete data there", _use_item_location=True)


_held = {"depth": 0, "pending": False, "undelivered": False}


def interrupt(*_: object) -> None:
    """SIGINT/SIGTERM (``teardown.on_sigterm_interrupt``): KeyboardInterrupt, held while a write is noted."""
    _held["undelivered"] = True  # until pytest reports it (:func:`delivered`), see :func:`raise_if_swallowed`
    if _held["depth"]:
        _held["pending"] = True
        return
    raise KeyboardInterrupt


def delivered() -> None:
    """pytest has caught the interrupt (``pytest_keyboard_interrupt``): the run is unwinding."""
    _held["undelivered"] = False


def raise_if_swallowed() -> None:
    """Before a check: an interrupt that never reached pytest is raised again. Python ignores an exception
    raised inside a gc callback or ``__del__`` (Hypothesis has one), so a signal that lands there would
    otherwise be lost and the run would go on to its end."""
    if _held["undelivered"]:
        _held["undelivered"] = False
        raise KeyboardInterrupt


@contextmanager
def uninterrupted() -> Iterator[None]:
    """Hold SIGINT and SIGTERM until the block is over, then raise the interrupt."""
    _held["depth"] += 1
    try:
        yield
    finally:
        _held["depth"] -= 1
        if not _held["depth"] and _held["pending"]:
            _held["pending"] = False
            raise KeyboardInterrupt


def tracks(api: Api, method: str) -> bool:
    """Whether :func:`track` notes anything of ``method``'s answers: a POST or DELETE on a URL target."""
    return api.target.kind == "url" and method in ("POST", "DELETE")


def track(api: Api, method: str, path: str, exchange: Exchange) -> None:
    """Note a resource a POST created or a DELETE removed, on a URL target; anything else is ignored."""
    if not tracks(api, method):
        return
    path = path.strip("/")
    up = api.contract.raw.get("upsert")
    if method == "POST" and up and path == up["path"].strip("/") and exchange.status < 300:
        _upserted(api, api.contract.resources[up["resource"]], exchange)
        return
    for res in api.contract.resources.values():
        if not res.deletable:  # nothing a cleanup could do (Hive v1's orders)
            continue
        base = res.path.strip("/")
        if method == "POST" and path == base and exchange.status < 300:
            try:
                item = res.unwrap(exchange.data())
            except ValueError:
                return
            if isinstance(item, dict) and item.get(res.id_field) is not None:
                note(os.environ.get(RUN_DIR_ENV), "created", entry(api, res.name, base, item[res.id_field],
                                                                   res.unlock))
            return
        ident = path[len(base) + 1:] if path.startswith(base + "/") else ""
        if method == "DELETE" and ident and "/" not in ident:
            # "Not found" is only a removal where it cannot be the lag of an eventually consistent API: a DELETE
            # sent right after a create or an edit (a check interrupted there) may not see the record yet.
            missing = api.contract.writes.get("missing_status", 404)
            if exchange.status < 300 or (exchange.status == missing and missing not in _lag_statuses(api)):
                note(os.environ.get(RUN_DIR_ENV), "removed", entry(api, res.name, base, ident, res.unlock))
            return


def _upserted(api: Api, res: Resource, exchange: Exchange) -> None:
    """Note every record in a bulk upsert's answer (``[upsert]``): the checks upsert only keys of their own."""
    try:
        data = exchange.data()
    except ValueError:
        return
    records = data.get(api.contract.lists.get("items", "")) if isinstance(data, dict) else None
    for item in records if isinstance(records, list) and res.deletable else ():
        if isinstance(item, dict) and item.get(res.id_field) is not None:
            note(os.environ.get(RUN_DIR_ENV), "created",
                 entry(api, res.name, res.path.strip("/"), item[res.id_field], res.unlock))


def _ledger_file(run_dir: str | None) -> Path | None:
    if not run_dir:
        return None
    return Path(run_dir) / LEDGER_DIR / f"{os.getpid()}.jsonl"


def note(run_dir: str | None, event: str, entry: dict[str, Any]) -> None:
    """Append ``created`` or ``removed`` for one resource; fsynced, so a killed process leaves it."""
    path = _ledger_file(run_dir)
    if path is None:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("a", encoding="utf-8") as fh:
        fh.write(json.dumps({"event": event, **entry}) + "\n")
        fh.flush()
        os.fsync(fh.fileno())


def entry(api: Api, resource: str, path: str, ident: Any, unlock: dict[str, Any] | None) -> dict[str, Any]:
    """What cleanup needs to remove one resource, and no credential."""
    return {"provider": api.contract.provider, "base_url": api.target.base_url, "resource": resource,
            "path": f"{path}/{ident}", "unlock": unlock}


def _key(e: dict[str, Any]) -> tuple[str, str, str]:
    return e["provider"], e["base_url"], str(e["path"])


def pending(run_dir: Path) -> list[dict[str, Any]]:
    """Resources created in this run (every process) and not removed, in the order they were made."""
    open_: dict[tuple[str, str, str], dict[str, Any]] = {}
    for path in sorted((run_dir / LEDGER_DIR).glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                e = json.loads(line)
            except json.JSONDecodeError:  # the last line of a process killed while writing it
                continue
            if e.pop("event") == "created":
                open_[_key(e)] = e
            else:
                open_.pop(_key(e), None)
    return list(open_.values())


def clean(entries: Iterable[dict[str, Any]], api_for: Any) -> list[dict[str, Any]]:
    """Delete each entry with ``api_for(provider, base_url)``; returns those that remain, each with why."""
    left = []
    for e in entries:
        try:
            api: Api = api_for(e["provider"], e["base_url"])
            if e.get("unlock"):
                api.patch(e["path"], _wrap(api, e), invariants=False)
            ex = _delete(api, e["path"])
            missing = api.contract.writes.get("missing_status", 404)
            if ex.status >= 300 and ex.status != missing:
                raise HarnessError(f"DELETE {e['path']} answered {ex.status}")
        except (HarnessError, KeyError) as exc:
            left.append({**e, "why": str(exc)[:300]})
    return left


def _delete(api: Api, path: str) -> Exchange:
    """DELETE ``path``; on an eventually consistent API ([consistency]), a record created moments ago may still
    answer a lag status (mStudio: 403 or 404), so such an answer is retried until the documented timeout."""
    lag = _lag_statuses(api)
    timeout = float(api.contract.raw.get("consistency", {}).get("timeout", 0))
    deadline = time.monotonic() + timeout / budget.SETTINGS.scale
    pause = 0.1
    while True:
        ex = api.delete(path, invariants=False)
        if ex.status not in lag or time.monotonic() + pause > deadline:
            return ex
        time.sleep(pause)
        pause = min(pause * 2, 2.0)


def _lag_statuses(api: Api) -> set[int]:
    """What a request inside an eventually consistent API's lag may answer (``[consistency] lag_status``)."""
    return set(api.contract.raw.get("consistency", {}).get("lag_status", []))


def _wrap(api: Api, e: dict[str, Any]) -> Any:
    return api.contract.resources[e["resource"]].wrap(dict(e["unlock"]))


def add_leftovers(path: Path, left: list[dict[str, Any]]) -> Path:
    """Add ``left`` to the leftovers file (an earlier run's entries stay until cleaned)."""
    earlier = read_leftovers(path) if path.exists() else []
    keys = {_key(e) for e in left}
    return write_leftovers(path, [e for e in earlier if _key(e) not in keys] + left)


def write_leftovers(path: Path, left: list[dict[str, Any]]) -> Path:
    """``leftovers.json``, what ``apiconform cleanup`` reads; written atomically, removed when empty."""
    if not left:
        path.unlink(missing_ok=True)
        return path
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps({"leftovers": left}, indent=2), encoding="utf-8")
    os.replace(tmp, path)
    return path


def read_leftovers(path: Path) -> list[dict[str, Any]]:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HarnessError(f"{path}: no leftovers file (nothing to clean, or a different --report-dir)") from None
    except json.JSONDecodeError as exc:
        raise HarnessError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    items = data.get("leftovers") if isinstance(data, dict) else None
    need = {"provider", "base_url", "resource", "path"}
    if not isinstance(items, list) or not all(isinstance(i, dict) and need <= set(i) for i in items):
        raise HarnessError(f"{path}: `leftovers` is not a list of {{{', '.join(sorted(need))}}} entries")
    return items
