"""mStudio statuses: 404 for unknown tokens and SSH keys, typed NotFound (assumed). 400 is provoked by the payloads,
401 and 403 by auth, 412 by consistency, 429 by the rate limit; every response is also held to the
allowed-status table, the error shapes and the official document."""
import pytest

from apiconform.checks import access
from apiconform.checks.common import resource
from apiconform.checks.expect import expect_error, expect_status


@pytest.mark.parametrize("res", ["api_tokens", "ssh_keys"])
def test_unknown_id_404(api, res):
    access.unknown_is_404(api, res, "mstudio.status.404")


@pytest.mark.parametrize("res", ["api_tokens", "ssh_keys"])
def test_unknown_id_typed_not_found(api, res):
    """The type is mStudio's own (the spec's error type is a free string): its own, assumed clause."""
    api.verifies("mstudio.status.404", "mstudio.status.404-type")
    r = resource(api, res)
    ex = api.get(f"{r.path}/{r.unknown_id}")
    expect_status(ex, 404, "mstudio.status.404", f"unknown {res} id")
    expect_error(api.contract, ex, 404, "NotFound", "mstudio.status.404-type", f"unknown {res} id")
