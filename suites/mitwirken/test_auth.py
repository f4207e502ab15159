"""Mitwirken auth: Bearer mit_ keys on reads and writes; 401 missing, 403 invalid (wrong, malformed, revoked);
a restricted key only reads; plain HTTP never serves the API."""
import pytest

from apiconform.checks import access, auth
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("read")])
def test_variant_authenticates(api, variant):
    auth.variant_authenticates(api, variant)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("write")])
def test_variant_writes(api, variant):
    auth.variant_writes(api, variant)


def test_missing_key_401(api):
    auth.missing_rejected(api, "json", "mitwirken.auth.401-missing")


@pytest.mark.parametrize("how,clause", [("wrong", "mitwirken.auth.403-invalid"),
                                        ("malformed", "mitwirken.auth.malformed")], ids=["wrong", "malformed"])
def test_invalid_key_403(api, how, clause):
    auth.broken_rejected(api, "bearer", how, clause)


def test_revoked_key_403(api):
    auth.revoked_rejected(api, "revoked_api_key", "mitwirken.auth.revoked")


def test_restricted_key_only_reads(api):
    access.role_cannot_write(api, "members", "restricted_api_key", dict(CONTRACT.resources["members"].sample),
                             "mitwirken.auth.401-restricted")


def test_plain_http_refused(api):
    auth.plain_http_refused(api, "mitwirken.auth.https-only")
