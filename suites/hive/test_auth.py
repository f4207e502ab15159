"""Hive auth: Authorization: Bearer <API key>; a missing or wrong key gets 401 ["authentication required"]."""
import pytest

from apiconform.checks import auth


def test_bearer_authenticates(api):
    auth.variant_authenticates(api, "bearer")


def test_missing_key_401(api):
    auth.missing_rejected(api, "json", "hive.auth.401")


@pytest.mark.parametrize("how", ["wrong", "malformed"])
def test_wrong_key_401(api, how):
    auth.broken_rejected(api, "bearer", how, "hive.auth.401")


def test_plain_http_refused(api):
    auth.plain_http_refused(api, "hive.auth.https-only")
