"""Hive status codes: 200 on reads (the returns' paths are assumed), 400 for a body that is not JSON, 404 for
unknown ids and endpoints (assumed).

422 is provoked by the invalid payloads; every answer is also held to the allowed-status table and
every error body to {"success": false, "errors": [...]}.
"""
import pytest

from apiconform.checks import access, reads


@pytest.mark.parametrize("res", ["skus", "orders", "shipments", "restocking_shipments"])
def test_read_200(api, res):
    reads.read_matches_schema(api, res, "hive.status.200-read")


def test_returns_read_200(api):
    reads.read_matches_schema(api, "returns", "hive.return.read")


@pytest.mark.parametrize("res", ["skus", "orders", "shipments", "restocking_shipments", "returns"])
def test_unknown_id_404(api, res):
    access.unknown_is_404(api, res, "hive.status.404-unknown")


def test_unknown_endpoint_404(api):
    access.unknown_endpoint_is_404(api, "hive.status.404-unknown")


def test_malformed_body_400(api):
    access.malformed_body_is_400(api, "skus", "json", "hive.status.400-malformed")
