"""Hive orders: a taken merchant_order_id is refused (assumed), include=batches adds batches (shape assumed)."""
from apiconform.checks import reads, verbs


def test_duplicate_merchant_order_id_refused(api):
    verbs.duplicate_refused(api, "orders", "merchant_order_id", 422, "hive.order.duplicate")


def test_include_batches(api):
    reads.include_adds(api, "orders", {"include": "batches"}, "items", "batches", "hive.order.include-batches")
