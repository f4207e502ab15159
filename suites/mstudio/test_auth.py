"""mStudio auth: X-Access-Token and Authorization: Bearer, each on reads and writes; missing, unknown, malformed
and expired tokens refused (401, assumed); an api_read token only reads (403 on writes, assumed); plain HTTP never
serves."""
import pytest

from apiconform.checks import auth, eventual
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("read")])
def test_variant_authenticates(api, variant):
    auth.variant_authenticates(api, variant)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("write")])
def test_variant_writes(api, variant):
    auth.variant_writes(api, variant)


def test_missing_token_401(api):
    auth.missing_rejected(api, "json", "mstudio.auth.missing")


@pytest.mark.parametrize("how", ["wrong", "malformed"])
@pytest.mark.parametrize("variant", ["access_token", "bearer"])
def test_unknown_token_401(api, variant, how):
    auth.broken_rejected(api, variant, how, "mstudio.auth.unknown")


def test_expired_token_401(api):
    auth.revoked_rejected(api, "expired_token", "mstudio.auth.expired")


def test_read_token_only_reads(api):
    eventual.read_only_refused(api, "ssh_keys", "read_token", {"comment": "apiconform changed"},
                               "mstudio.auth.read-only")


def test_plain_http_refused(api):
    auth.plain_http_refused(api, "mstudio.auth.https-only")
