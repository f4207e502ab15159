"""mite payloads: Hypothesis-generated creates, valid ones accepted and echoed, invalid ones refused."""
import pytest

from apiconform.checks import payloads
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)
EXAMPLES = 5


@pytest.mark.parametrize("res", [r.name for r in CONTRACT.resources.values() if r.create_schema])
def test_valid_payloads_accepted(api, res):
    payloads.valid_accepted(api, res, EXAMPLES, "mite.payload.valid-accepted")


@pytest.mark.parametrize("spec", CONTRACT.invalid_payloads, ids=lambda s: f"{s.resource}-{s.constraint}")
def test_invalid_payloads_rejected(api, spec):
    payloads.invalid_rejected(api, spec, 3)
