"""Hive payloads: Hypothesis SKU creates and updates and order creates from schemas/hive/, valid ones
accepted and answered with their final state, invalid ones refused with 422 and the Rails-style message."""
import pytest

from apiconform.checks import payloads
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)
# The first example carries every optional field (generate.covering): every field a create or update could drop
# is sent and read back once; two drawn ones vary the values. Each costs Hive's rate 2 to 3 requests.
EXAMPLES = 3
INVALID = 2  # payloads per broken constraint: the first breaks it on the covering example


@pytest.mark.parametrize("res", ["skus", "orders"])
def test_valid_creates_accepted(api, res):
    payloads.valid_accepted(api, res, EXAMPLES, "hive.payload.valid-accepted")


def test_valid_sku_updates_accepted(api):
    payloads.valid_updates_accepted(api, "skus", EXAMPLES, "hive.payload.valid-accepted")


@pytest.mark.parametrize("spec", CONTRACT.invalid_payloads, ids=lambda s: f"{s.resource}-{s.constraint}")
def test_invalid_payloads_refused(api, spec):
    payloads.invalid_rejected(api, spec, INVALID)
