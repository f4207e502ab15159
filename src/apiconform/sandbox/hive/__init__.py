"""The Hive merchant API v1 sandbox (https://app.hive.app/merchant_api/v1): SKUs, orders, shipments, webhooks."""

from __future__ import annotations

from apiconform.sandbox.hive.app import create_app
from apiconform.sandbox.hive.faults import FAULTS

ENV_PREFIX = "HIVE"  # the server adds HIVE_BASE_URL, HIVE_HTTP_URL and HIVE_CA_BUNDLE
BASE_PATH = "/merchant_api/v1"  # the API lives below this path, as on app.hive.app
PLAIN_HTTP = "refuse"  # assumed: Hive serves HTTPS only

__all__ = ["BASE_PATH", "ENV_PREFIX", "FAULTS", "PLAIN_HTTP", "create_app"]
