"""The mite.api sandbox (https://{account}.mite.de), a faithful in-memory fake."""

from __future__ import annotations

from apiconform.sandbox.mite.app import create_app
from apiconform.sandbox.mite.faults import FAULTS

ENV_PREFIX = "MITE"  # the server adds MITE_BASE_URL, MITE_HTTP_URL and MITE_CA_BUNDLE

__all__ = ["ENV_PREFIX", "FAULTS", "create_app"]
