"""mStudio payloads, generated from the official document's request schemas: valid token and SSH-key
creates and edits are accepted and read back; each invalid one is refused with 400 ValidationErrors
naming the field."""
import pytest

from apiconform.checks import eventual
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)
EXAMPLES = 3


@pytest.mark.parametrize("res", ["api_tokens", "ssh_keys"])
def test_valid_creates_accepted(api, res):
    eventual.valid_creates(api, res, EXAMPLES, "mstudio.payload.valid-accepted")


@pytest.mark.parametrize("res,clause", [("api_tokens", "mstudio.token.edit"), ("ssh_keys", "mstudio.ssh.crud")])
def test_valid_edits_accepted(api, res, clause):
    eventual.valid_edits(api, res, EXAMPLES, clause)


@pytest.mark.parametrize("spec", CONTRACT.invalid_payloads, ids=lambda s: f"{s.resource}-{s.action}-{s.constraint}")
def test_invalid_payloads_refused(api, spec):
    eventual.invalid_refused(api, spec, 2)
