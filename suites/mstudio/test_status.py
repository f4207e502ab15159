"""mStudio statuses: 404 NotFoundError for unknown tokens and SSH keys. 400 is provoked by the payloads,
401 and 403 by auth, 412 by consistency, 429 by the rate limit; every response is also held to the
allowed-status table, the error shapes and the official document."""
import pytest

from apiconform.checks import access


@pytest.mark.parametrize("res", ["api_tokens", "ssh_keys"])
def test_unknown_id_404(api, res):
    access.unknown_is_404(api, res, "mstudio.status.404")
