"""A fault is one deliberate contract violation a sandbox can be started with.

The suite runs itself against a sandbox with one fault switched on and expects exactly the
checks naming `clause` to fail: that is how it proves each check can actually catch a bug.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Fault:
    name: str
    clause: str
    description: str
