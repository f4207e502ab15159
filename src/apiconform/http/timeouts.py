"""How long one attempt of a request may take: a setting the preflight checks without loading the HTTP stack."""
from __future__ import annotations

import os

from apiconform.verdict import HarnessError

TIMEOUT_ENV = "APICONFORM_TIMEOUT"


def timeout_s() -> float:
    """Seconds one attempt may take, from ``APICONFORM_TIMEOUT`` (default 20)."""
    value = os.environ.get(TIMEOUT_ENV, "20")
    try:
        seconds = float(value)
    except ValueError:
        raise HarnessError(f"{TIMEOUT_ENV}={value!r} is not a number of seconds") from None
    if not 0 < seconds < 3600:
        raise HarnessError(f"{TIMEOUT_ENV}={value!r} must be between 0 and 3600 seconds")
    return seconds
