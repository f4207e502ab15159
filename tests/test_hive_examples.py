"""Hive's own documented example bodies (providers/hive.md, restoring seed 003's lost example blocks)
validate against schemas/hive/: the schemas describe what Hive sends, not only what our sandbox sends."""
from __future__ import annotations

from typing import Any

import pytest

from apiconform.contract.model import load_contract
from apiconform.contract.schemas import listed, load_schema, problems
from apiconform.paths import contract_path

SKU = {"id": 9, "merchant_sku_id": "2218061549136", "name": "Morph II", "created_at": "2022-08-10T17:53:04.822+02:00",
       "cost_in_cents": None, "country_code_of_origin": None, "hs_code": None, "barcode": "2218061549136",
       "batch_tracking_enabled": True, "fulfilled_by": "hive", "weight_in_kg": 45.37,
       "image_url": "http://example.com/image.png", "status": "active",
       "inventory": {"stocked": 10000, "reserved": 0, "total": 10000}}
ORDER = {"id": 4962, "merchant_order_id": "60423b95-23b5-4e5b-aa1c-6a71bd90b106", "customer_order_number": None,
         "status": "fulfillable", "carrier_preference": None, "created_at": "2022-11-01T17:42:07.409+01:00",
         "financial_status": None, "payment_method": None, "currency": "EUR", "total_price_in_cents": 0,
         "shipping_address": {"first_name": "John", "last_name": "Doe", "full_name": "John Doe", "email": None,
                              "phone": None, "company": None, "line1": "Kassaveti 69", "line2": None, "city": "Volos",
                              "country_code": "GR", "postal_code": "38221", "parcel_point_id": "12345"},
         "items": [{"sku_id": 9, "quantity": 1, "merchant_item_id": "1", "price_per_unit_in_cents": 0,
                    "price_per_unit_in_cents_with_discount": 0, "merchant_sku_id": "28595522549341"}],
         "tags": ["first_order"], "custom_metadata": None}
PAGINATION = {"current_page": 1, "item_count": 1, "page_count": 1, "items_per_page": 20}
RESTOCKING = {"id": 13, "merchant_id": 1, "warehouse_id": 71, "estimated_arrival_date": "2022-12-01",
              "delivery_option": "postal", "tracking_code": "1234567", "po_number": None, "supplier_name": None,
              "status": "restocked", "barcode": "RS.13",
              "restocking_shipment_items": [{"id": 15, "sku_id": 558, "announced_quantity": 10, "arrived_quantity": 2,
                                             "damaged_quantity": 1, "missing_quantity": 7}]}
ERRORS = [{"success": False, "errors": ["authentication required"]}, {"success": False, "errors": ["bad request"]},
          {"success": False, "errors": ["Name can't be blank", "Merchant sku can't be blank"]}]


@pytest.mark.parametrize("schema,example", [("sku.json", SKU), ("order.json", ORDER),
                                            ("restocking_shipment.json", RESTOCKING),
                                            *[("error.json", e) for e in ERRORS]],
                         ids=["sku", "order", "restocking", "error-401", "error-400", "error-422"])
def test_documented_example_validates(schema: str, example: dict[str, Any]) -> None:
    assert problems(example, load_schema("hive", schema)) == []


@pytest.mark.parametrize("resource,example", [("skus", SKU), ("orders", ORDER)])
def test_documented_list_validates(resource: str, example: dict[str, Any]) -> None:
    contract = load_contract(contract_path("hive"))
    schema = listed("", load_schema("hive", contract.resources[resource].schema), contract.lists)
    assert problems({"data": [example], "pagination": PAGINATION}, schema) == []
    assert problems({"data": [example]}, schema) != []  # the envelope is required, so the test can fail


def test_the_schemas_refuse_what_hive_would_not_send() -> None:
    """The control: the same examples with a documented field broken are refused."""
    assert problems({**SKU, "status": "archived"}, load_schema("hive", "sku.json"))
    assert problems({**ORDER, "created_at": "2022-11-01 17:42"}, load_schema("hive", "order.json"))
    assert problems({"success": True, "errors": []}, load_schema("hive", "error.json"))
