"""Verdicts, and the exceptions a check raises to reach one.

A contract violation is a ``fail``; anything the harness or the network broke is an
``error`` and never counts as a violation.
"""
from __future__ import annotations

import time
from enum import StrEnum
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from apiconform.http.exchange import Exchange


class Verdict(StrEnum):
    PASS = "pass"
    FAIL = "fail"
    ERROR = "error"
    UNSUPPORTED = "unsupported"
    SKIP = "skip"
    EXPECTED = "expected"
    DIFFERS = "differs"  # an `assumed` clause that a non-sandbox target answers otherwise


#: Verdicts that make a run red.
RED = frozenset({Verdict.FAIL, Verdict.ERROR})


class ContractViolation(AssertionError):
    """The target broke a clause. Carries what the report needs as evidence."""

    def __init__(self, clause: str, message: str, *, expected: Any = None, actual: Any = None,
                 exchange: Exchange | None = None,
                 sequence: list[tuple[str, list[Exchange]]] | None = None) -> None:
        super().__init__(f"[{clause}] {message}")
        self.clause = clause
        self.message = message
        self.expected = expected
        self.actual = actual
        self.exchange = exchange
        self.sequence = sequence  # a stateful failure's steps, each with the exchanges it sent (report/repro.py)
        self.at = time.monotonic_ns()  # exchanges after this one (a cleanup's DELETE) are not its evidence


class HarnessError(Exception):
    """The harness, the network or a cassette failed: an `error`, not a contract `fail`."""


class Unsupported(Exception):
    """The target lacks an optional feature the check needs."""
