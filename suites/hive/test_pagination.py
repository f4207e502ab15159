"""Hive pagination: page=1,2,... newest first, {current_page, item_count, page_count, items_per_page},
the created_at[lt|lte|gt|gte] filters and merchant_sku_ids[]."""
import pytest

from apiconform.checks import pages
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


def test_walk_pages(api):
    pages.walk(api)


@pytest.mark.parametrize("spec", CONTRACT.raw["range_filters"], ids=lambda s: f"{s['resource']}-{s['param']}")
def test_created_at_filters(api, spec):
    pages.range_filters(api, spec)


def test_merchant_sku_ids_filter(api):
    pages.ids_filter(api, "skus", "merchant_sku_ids[]", "merchant_sku_id", "hive.page.sku-ids")
