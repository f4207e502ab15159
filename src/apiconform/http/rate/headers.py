"""Reading a response's rate-limit headers as the contract's ``[rate_limit]`` names and defines them.

One reader serves two masters: the budget, which takes what it can use and ignores the rest
(a garbled header must never stop a run), and the ratelimit checks, which fail on ``problems``.
All durations are on the target's clock (a sandbox with ``--rate-scale`` runs faster).
"""
from __future__ import annotations

import re
import time
from collections.abc import Mapping
from dataclasses import dataclass, field

from apiconform.contract.model import RateLimit

_INTEGER = re.compile(r"-?[0-9]+")
_DECIMAL = re.compile(r"-?[0-9]+(\.[0-9]+)?")


@dataclass
class Reading:
    """What one response says about the rate limit; ``None`` where a header is absent or garbled."""

    limit: int | None = None
    remaining: int | None = None  # ``remaining``, or ``max - used``; never below zero
    used: int | None = None  # ``used`` as sent (Hive), where the contract names it
    reset: float | None = None  # as sent: delta seconds, or epoch seconds (see ``epoch``)
    epoch: bool = False
    retry_after: float | None = None  # seconds
    exempt: bool = False
    missing: list[str] = field(default_factory=list)  # documented headers that are absent
    problems: list[str] = field(default_factory=list)  # headers present but not as the contract defines them
    negative: list[str] = field(default_factory=list)  # those of the problems that are a value below zero

    def reset_in(self, scale: float = 1.0, now: float | None = None) -> float | None:
        """Seconds on the target's clock until the window resets."""
        if self.reset is None:
            return None
        if not self.epoch:
            return self.reset
        return (self.reset - (time.time() if now is None else now)) * scale


def read(rl: RateLimit, status: int, headers: Mapping[str, str]) -> Reading:
    """Parse the headers ``rl`` names. ``retry_after`` is only expected on the exceeded status."""
    lower = {k.lower(): v.strip() for k, v in headers.items()}
    out = Reading(epoch=rl.values.get("reset") == "epoch-seconds")
    names = rl.headers

    def raw(role: str) -> str | None:
        return lower.get(names[role].lower()) if role in names else None

    exempt = raw("exempt")
    if exempt is not None:
        out.exempt = exempt.lower() == rl.values["exempt"].lower()
        if out.exempt:  # an exempt route carries no other rate-limit header
            return out
        out.problems.append(f"{names['exempt']}: {exempt!r} is not {rl.values['exempt']!r}")

    def number(role: str) -> float | None:
        text = raw(role)
        if text is None:
            if role != "retry_after" or status == rl.status:
                out.missing.append(names[role])
            return None
        fractional = role == "retry_after" and rl.values["retry_after"] == "fractional-seconds"
        if not (_DECIMAL if fractional else _INTEGER).fullmatch(text):
            out.problems.append(f"{names[role]}: {text!r} is not {'a number' if fractional else 'an integer'}")
            return None
        if text.startswith("-"):
            out.negative.append(f"{names[role]}: {text!r} is below zero")
            out.problems.append(out.negative[-1])
        return float(text)

    def present(role: str) -> float | None:
        return number(role) if role in names else None

    limit = present("limit") if "limit" in names else present("max")
    out.limit = None if limit is None else int(limit)
    if "remaining" in names:
        remaining = present("remaining")
    else:
        used = present("used")
        out.used = None if used is None else int(used)
        remaining = None if used is None or limit is None else limit - used
    out.remaining = None if remaining is None else max(0, int(remaining))
    reset, retry_after = present("reset"), present("retry_after")
    out.reset = reset if reset is not None and reset >= 0 else None
    out.retry_after = retry_after if retry_after is not None and retry_after >= 0 else None
    return out
