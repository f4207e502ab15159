"""The Mitwirken API sandbox (https://api.mitwirken.me): members behind Bearer mit_ keys."""

from __future__ import annotations

from apiconform.sandbox.mitwirken.app import create_app
from apiconform.sandbox.mitwirken.faults import FAULTS

ENV_PREFIX = "MITWIRKEN"  # the server adds MITWIRKEN_BASE_URL, MITWIRKEN_HTTP_URL and MITWIRKEN_CA_BUNDLE
PLAIN_HTTP = "refuse"  # "The API does not support HTTP": the plain-HTTP port refuses connections

__all__ = ["ENV_PREFIX", "FAULTS", "PLAIN_HTTP", "create_app"]
