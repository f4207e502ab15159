"""Which faults each check reaches, and checks that each start from the seeded data.

The fault tests prove that every fault fails its checks and only those. Running the whole suite once
per fault proves it, at the cost of the whole suite per fault. Mutation-testing tools answer the
same cost with coverage: a test that never executes the mutated code cannot see the mutant. Here
the "mutated code" is a fault's gate, the ``name in faults`` test in a handler, so:

- :class:`FaultSet` is the sandbox's set of active faults, and it notes every gate a request
  consults, lit or not, with the check that sent the request;
- the check is named by the ``X-Apiconform-Check`` header, which the engine sends only to a
  bundled sandbox started with ``--isolate-checks`` or ``--reach-log``; asyncio tasks a request
  starts (webhook deliveries) inherit its check through the context variable;
- with ``--isolate-checks`` the sandbox restores its seeded data (``app.state.isolated``: the
  stores a check can change) when a request from a new check arrives, so what a check is answered
  depends on its own requests only, not on what the checks before it left behind.

A check that, against the clean sandbox, never consulted fault F's gate sends the same requests
to the same seeded data under F and takes the same code path: it gets the same answers, so its
verdict cannot change. Only the checks that reached F's gate need to run under F. A gate consulted
outside any request (at start-up) reaches every check. Rate-limit windows, the event lag's clock and
webhook registrations are not restored: they are time and connection state, and the faults that
touch them are gated on every request, so they reach every check.
"""
from __future__ import annotations

import contextvars
import copy
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any, TextIO

from starlette.types import ASGIApp, Receive, Scope, Send

CHECK_HEADER = "X-Apiconform-Check"
OUTSIDE = "<outside any request>"  # a gate consulted at start-up reaches every check
_check: contextvars.ContextVar[str] = contextvars.ContextVar("apiconform_check", default=OUTSIDE)


class ReachLog:
    """Appends each (check, fault) pair once, as a JSON line, as soon as it is first seen."""

    def __init__(self, path: Path | None) -> None:
        self._seen: set[tuple[str, str]] = set()
        self._out: TextIO | None = path.open("a", encoding="utf-8", buffering=1) if path else None

    def note(self, fault: str) -> None:
        pair = (_check.get(), fault)
        if self._out is not None and pair not in self._seen:
            self._seen.add(pair)
            self._out.write(json.dumps({"check": pair[0], "fault": pair[1]}) + "\n")


_log = ReachLog(None)


class FaultSet(frozenset[str]):
    """The active faults; ``name in faults`` is a fault's gate, and the reach log hears of each one."""

    def __contains__(self, name: object) -> bool:
        _log.note(str(name))
        return super().__contains__(name)


def record_reach(path: Path | None) -> None:
    """Send this process's gate consultations to ``path`` (None: nowhere)."""
    global _log
    _log = ReachLog(path)


def read_reach(path: Path) -> dict[str, set[str]]:
    """fault name -> the checks that consulted its gate (:data:`OUTSIDE` for start-up)."""
    reached: dict[str, set[str]] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        pair = json.loads(line)
        reached.setdefault(pair["fault"], set()).add(pair["check"])
    return reached


def _snapshot(obj: Any) -> Any:
    return copy.deepcopy(obj if isinstance(obj, dict) else vars(obj))


def _restore(obj: Any, snapshot: Any) -> None:
    state = obj if isinstance(obj, dict) else vars(obj)
    state.clear()
    state.update(copy.deepcopy(snapshot))


class CheckScope:
    """ASGI wrapper: names the check of each request for the reach log, and restores seeded data per check."""

    def __init__(self, app: ASGIApp, isolated: Iterable[Any], isolate: bool) -> None:
        self.app = app
        self._isolated = [(obj, _snapshot(obj)) for obj in isolated] if isolate else []
        self._last: str | None = None

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            name = CHECK_HEADER.lower().encode()
            check = next((v.decode("latin-1") for k, v in scope["headers"] if k == name), "")
            _check.set(check or "<untagged>")
            if self._isolated and check and check != self._last:
                self._last = check
                for obj, snapshot in self._isolated:
                    _restore(obj, snapshot)
        await self.app(scope, receive, send)
