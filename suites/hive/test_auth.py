"""Hive auth: Authorization: Bearer <API key> on reads and writes; a missing or wrong key gets 401
["authentication required"]."""
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


def test_missing_key_401(api):
    auth.missing_rejected(api, "json", "hive.auth.401")


@pytest.mark.parametrize("how", ["wrong", "malformed"])
def test_wrong_key_401(api, how):
    auth.broken_rejected(api, "bearer", how, "hive.auth.401")


def test_plain_http_refused(api):
    auth.plain_http_refused(api, "hive.auth.https-only")
