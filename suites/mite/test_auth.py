"""mite auth: header key and HTTP basic on reads and writes, query key on GET; 401 for missing, wrong, malformed,
revoked."""
import pytest

from apiconform.checks import auth
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("read")])
def test_variant_authenticates(api, variant):
    auth.variant_authenticates(api, variant)


@pytest.mark.parametrize("variant", [a.name for a in CONTRACT.auth if a.of_class("write")])
def test_variant_writes(api, variant):
    auth.variant_writes(api, variant)


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_missing_credentials_401(api, fmt):
    auth.missing_rejected(api, fmt, "mite.auth.401-missing")


@pytest.mark.parametrize("variant,how", [("api-key-header", "wrong"), ("api-key-header", "malformed"),
                                         ("api-key-query", "wrong"), ("basic", "wrong")])
def test_broken_credentials_401(api, variant, how):
    auth.broken_rejected(api, variant, how, "mite.auth.401-wrong")


def test_revoked_key_401(api):
    auth.revoked_rejected(api, "revoked_api_key", "mite.auth.401-revoked")


def test_plain_http_refused(api):
    auth.plain_http_refused(api, "mite.auth.https-only")
