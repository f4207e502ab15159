"""Mitwirken payloads: Hypothesis-generated member creates and updates, valid ones accepted and
kept, invalid ones refused with the documented status and error type."""
import pytest

from apiconform.checks import payloads
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)
EXAMPLES = 5


def test_valid_creates_accepted(api):
    payloads.valid_accepted(api, "members", EXAMPLES, "mitwirken.payload.valid-accepted")


def test_valid_updates_accepted(api):
    payloads.valid_updates_accepted(api, "members", EXAMPLES, "mitwirken.payload.valid-accepted")


@pytest.mark.parametrize("spec", CONTRACT.invalid_payloads, ids=lambda s: f"{s.action}-{s.constraint}")
def test_invalid_payloads_refused(api, spec):
    payloads.invalid_rejected(api, spec, 3)
