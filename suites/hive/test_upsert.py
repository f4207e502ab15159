"""Hive bulk upsert: 1 to 100 SKUs keyed by merchant_sku_id; omitted fields become null, except
batch_tracking_enabled; a Hypothesis batch is accepted and echoed."""
from apiconform.checks import upsert


def test_creates_or_updates(api):
    upsert.create_or_update(api)


def test_omitted_fields_become_null(api):
    upsert.omitted_nulled(api)


def test_101_items_refused(api):
    upsert.limit_refused(api)


def test_valid_batch_accepted(api):
    upsert.valid_batches_accepted(api, 5)
