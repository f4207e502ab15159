"""Hive orders: a taken merchant_order_id is refused (assumed), include=batches adds batches (shape assumed),
an order created without currency, status or created_at stores the documented default (read back), an order
whose line items repeat a merchant_item_id is refused and not stored."""
import pytest

from apiconform.checks import defaults, nested, reads, verbs
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


def test_duplicate_merchant_order_id_refused(api):
    verbs.duplicate_refused(api, "orders", "merchant_order_id", 422, "hive.order.duplicate")


def test_include_batches(api):
    reads.include_adds(api, "orders", {"include": "batches"}, "items", "batches", "hive.order.include-batches")


@pytest.mark.parametrize("spec", CONTRACT.raw["defaults"], ids=lambda s: f"{s['resource']}-{s['field']}")
def test_default_applied(api, spec):
    defaults.default_applied(api, spec)


@pytest.mark.parametrize("spec", CONTRACT.raw["unique_within"], ids=lambda s: f"{s['resource']}-{s['field']}")
def test_repeat_refused(api, spec):
    nested.repeat_refused(api, spec)
