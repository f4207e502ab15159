"""Mitwirken status codes: 200 on reads, 404 not_found for unknown members and endpoints, 400
validation_error for a body that is not JSON.

401 and 403 are provoked by the auth checks, 400 and 422 for invalid fields by the invalid
payloads; every response is also held to the allowed-status table and its error body to the typed
errors.
"""
from apiconform.checks import access, reads


def test_member_read_200(api):
    reads.read_matches_schema(api, "members", "mitwirken.status.200-read")


def test_unknown_member_404(api):
    access.unknown_is_404(api, "members", "mitwirken.status.404-unknown")


def test_unknown_endpoint_404(api):
    access.unknown_endpoint_is_404(api, "mitwirken.status.404-endpoint")


def test_malformed_body_400(api):
    access.malformed_body_is_400(api, "members", "json", "mitwirken.status.400-malformed")
