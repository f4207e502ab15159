"""Hive writes: creates answer 201 with the final state (assumed); a SKU delete is soft and undone by the next
write; an active SKU's merchant_sku_id is taken (assumed)."""
import pytest

from apiconform.checks import verbs
from apiconform.checks.payloads import unique
from apiconform.contract.model import suite_contract

CONTRACT = suite_contract(__file__)


@pytest.mark.parametrize("res", ["skus", "orders"])
def test_create_answers_201(api, res):
    resource = CONTRACT.resources[res]
    verbs.create_answers(api, res, unique(resource, dict(resource.sample)), "hive.verb.create-201")


def test_delete_is_soft(api):
    verbs.soft_delete(api)


def test_taken_merchant_sku_id_refused(api):
    verbs.duplicate_refused(api, "skus", "merchant_sku_id", 422, "hive.sku.duplicate")
