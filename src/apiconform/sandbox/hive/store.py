"""Hive's records (SKUs, orders, their shipments, returns, restocking shipments) and their validation.

Timestamps carry the shop's UTC offset (+01:00), as in Hive's examples, at millisecond precision.
Validation answers with Rails-style messages, all problems of a body at once ("Name can't be
blank", "Merchant sku can't be blank", seed 003); the messages for other problems are assumed.
"""
from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

from apiconform.sandbox.hive.errors import ApiError

Record = dict[str, Any]
SHOP = timezone(timedelta(hours=1))
SKU_FIELDS = {"merchant_sku_id": str, "name": str, "barcode": str, "batch_tracking_enabled": bool,
              "cost_in_cents": int, "country_code_of_origin": str, "hs_code": str, "image_url": str,
              "weight_in_kg": float}
SHIPMENT_STATUSES = ["waiting_for_picking", "picking_assigned", "in_picking", "picked", "in_packing", "packed",
                     "in_shipping", "shipped"]
DELIVERY_STATUSES = ["Information transmitted to the carrier", "In transit", "Out for delivery", "Delivered"]
RESTOCKING_STATUSES = ["shipped", "delivered", "arrived", "processing", "restocked"]
RESTOCKING_EDITABLE = ("shipped", "created")  # S5: "can be updated only if the status is shipped or created"
DELIVERY_OPTIONS = ("postal", "courier", "dropoff", "hive_freight")
RESTOCKING_FIELDS = {"warehouse_id": int, "estimated_arrival_date": str, "delivery_option": str,
                     "tracking_code": str, "po_number": str, "supplier_name": str}
RETURN_STATUSES = ["on_the_way", "arrived", "processing", "handling_completed"]
FINANCIAL = ("paid", "refunded", "pending", "failed")
_COUNTRY = re.compile(r"[A-Z]{2}")
ITEM_TAKEN = "Items merchant item has already been taken"  # merchant_item_id repeated within an order (S3)


def timestamp(moment: datetime) -> str:
    return moment.astimezone(SHOP).isoformat(timespec="milliseconds")


def parse_time(text: str) -> datetime | None:
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def humanize(name: str) -> str:
    """Rails' humanize: ``merchant_sku_id`` -> ``Merchant sku``."""
    text = name.removesuffix("_id").replace("_", " ")
    return text[:1].upper() + text[1:]


@dataclass
class Store:
    skus: dict[int, Record] = field(default_factory=dict)
    orders: dict[int, Record] = field(default_factory=dict)
    shipments: dict[int, Record] = field(default_factory=dict)
    returns: dict[int, Record] = field(default_factory=dict)
    restocking: dict[int, Record] = field(default_factory=dict)
    upserted: set[int] = field(default_factory=set)  # SKUs a bulk upsert wrote (for item-count-drops-upserted-deleted)
    ids: itertools.count[int] = field(default_factory=lambda: itertools.count(101))

    def newest_first(self, records: dict[int, Record]) -> list[Record]:
        return sorted(records.values(), key=lambda r: (parse_time(r["created_at"]), r["id"]), reverse=True)

    def sku_by_code(self, code: str) -> Record | None:
        """The newest SKU with this merchant_sku_id."""
        return next((r for r in reversed(self.skus.values()) if r["merchant_sku_id"] == code), None)

    def add_sku(self, values: dict[str, Any]) -> Record:
        ident = next(self.ids)
        record: Record = {"id": ident, **{name: None for name in SKU_FIELDS}, "batch_tracking_enabled": False,
                          "created_at": timestamp(datetime.now(UTC)), "fulfilled_by": "hive", "status": "active",
                          "dangerous_good": False, "hazardous_good": False, "h_codes": [], "un_names": [],
                          "inventory": {"stocked": 0, "reserved": 0, "total": 0}, "inventory_per_warehouse": []}
        record.update(values)
        self.skus[ident] = record
        return record

    def add_order(self, values: dict[str, Any]) -> Record:
        ident = next(self.ids)
        created = values.pop("created_at", None) or timestamp(datetime.now(UTC))
        items = []
        for item in values.pop("items"):
            sku = self.sku_by_code(item["merchant_sku_id"]) if item.get("merchant_sku_id") else \
                self.skus.get(item.get("sku_id"))
            items.append({"sku_id": sku["id"] if sku else item.get("sku_id"),
                          "merchant_sku_id": sku["merchant_sku_id"] if sku else item.get("merchant_sku_id"),
                          "merchant_item_id": item["merchant_item_id"], "quantity": item["quantity"],
                          "price_per_unit_in_cents": item["price_per_unit_in_cents"],
                          "price_per_unit_in_cents_with_discount": item.get("price_per_unit_in_cents_with_discount",
                                                                            item["price_per_unit_in_cents"])})
        address = {k: None for k in ("first_name", "last_name", "full_name", "email", "phone", "company", "line1",
                                     "line2", "city", "country_code", "postal_code", "parcel_point_id")}
        address.update(values.pop("shipping_address"))
        if not address["full_name"]:
            address["full_name"] = " ".join(p for p in (address["first_name"], address["last_name"]) if p) or None
        record: Record = {"id": ident, "merchant_order_id": values.pop("merchant_order_id"),
                          "customer_order_number": None, "status": "fulfillable", "carrier_preference": None,
                          "created_at": timestamp(parse_time(created) or datetime.now(UTC)), "financial_status": None,
                          "payment_method": None, "currency": "EUR", "total_price_in_cents": 0,
                          "total_tax_in_cents": 0, "total_net_revenue_in_cents": 0, "total_net_refunds_in_cents": 0,
                          "total_tax_refunds_in_cents": 0, "shipping_address": address, "items": items, "tags": [],
                          "custom_metadata": None}
        record.update(values)
        self.orders[ident] = record
        self.add_shipment(record)
        return record

    def add_shipment(self, order: Record) -> Record:
        ident = next(self.ids)
        record = {"id": ident, "order_id": order["id"], "merchant_order_id": order["merchant_order_id"],
                  "created_at": timestamp(datetime.now(UTC)), "shipped_at": None, "delivered_at": None,
                  "shipment_provider": None, "status": SHIPMENT_STATUSES[0], "delivery_status": None,
                  "items": [{"id": next(self.ids), "quantity": i["quantity"], "merchant_item_id": i["merchant_item_id"],
                             "merchant_sku_id": i["merchant_sku_id"], "sku_id": i["sku_id"]} for i in order["items"]]}
        self.shipments[ident] = record
        return record


    def add_restocking(self, values: dict[str, Any]) -> Record:
        """A new restocking shipment, status shipped (S5: the initial status)."""
        ident = next(self.ids)
        record: Record = {"id": ident, "merchant_id": 1, "status": RESTOCKING_STATUSES[0], "barcode": f"RS.{ident}"}
        self.restocking[ident] = self.replace_restocking(record, values)
        return record

    def replace_restocking(self, record: Record, values: dict[str, Any]) -> Record:
        """Every writable field takes the body's value; a field left out is gone (S5: "Replaces the whole
        resource")."""
        record.update({name: values.get(name) for name in RESTOCKING_FIELDS})
        record["restocking_shipment_items"] = [
            {"id": next(self.ids), "sku_id": item["sku_id"], "merchant_sku_id": item["merchant_sku_id"],
             "announced_quantity": item["announced_quantity"], "remarks": item.get("remarks"),
             "total_cost_in_cents": item.get("total_cost_in_cents")}
            for item in values.get("restocking_shipment_items", [])]
        return record


def seed() -> Store:
    """A shop with a few SKUs, one order (so one shipment), a return and a restocking shipment."""
    store = Store()
    for i, name in enumerate(("Morph II", "Orbit", "Quill")):
        sku = store.add_sku({"merchant_sku_id": f"SEED-{i + 1:03d}", "name": name, "barcode": f"40000000{i}"})
        sku["created_at"] = timestamp(datetime.now(UTC) - timedelta(days=30 - i))
    order = store.add_order({"merchant_order_id": "SEED-ORDER-1", "items": [
        {"merchant_item_id": "1", "merchant_sku_id": "SEED-001", "quantity": 1, "price_per_unit_in_cents": 1990}],
        "shipping_address": {"first_name": "John", "last_name": "Doe", "line1": "Kassaveti 69", "city": "Volos",
                             "country_code": "GR", "postal_code": "38221"},
        "created_at": timestamp(datetime.now(UTC) - timedelta(days=20))})
    ident = next(store.ids)
    store.returns[ident] = {"id": ident, "status": RETURN_STATUSES[0], "return_reason": "customer_return",
                            "return_reason_type": "active", "created_at": timestamp(datetime.now(UTC)),
                            "received_at": None, "started_processing_at": None, "completed_handling_at": None,
                            "tracking_code": "RT123", "tracking_url": None, "carrier": "DHL",
                            "order": {"id": order["id"], "merchant_order_id": order["merchant_order_id"]},
                            "photos": [], "return_items": [], "return_line_items": []}
    ident = next(store.ids)
    store.restocking[ident] = {"id": ident, "merchant_id": 1, "warehouse_id": 71,
                               "estimated_arrival_date": "2031-12-01", "delivery_option": "postal",
                               "tracking_code": "1234567", "po_number": None, "supplier_name": None,
                               "status": RESTOCKING_STATUSES[0], "barcode": f"RS.{ident}",
                               "restocking_shipment_items": [{"id": next(store.ids), "sku_id": 101,
                                                              "merchant_sku_id": "SEED-001",
                                                              "announced_quantity": 10, "remarks": None,
                                                              "total_cost_in_cents": None}]}
    return store


def _blank(value: Any) -> bool:
    return value is None or (isinstance(value, str) and not value.strip())


def sku_values(attrs: Any, *, creating: bool, faults: frozenset[str]) -> dict[str, Any]:
    """The SKU fields to store; every problem of the body in one 422 (unknown fields are ignored)."""
    if not isinstance(attrs, dict):
        raise ApiError(400, "bad request")
    errors = []
    for name in ("name", "merchant_sku_id"):
        if (creating or name in attrs) and _blank(attrs.get(name)):
            errors.append(f"{humanize(name)} can't be blank")
    values = {}
    for name, kind in SKU_FIELDS.items():
        if name not in attrs or attrs[name] is None or name in ("name", "merchant_sku_id") and _blank(attrs[name]):
            if name in attrs and name not in ("name", "merchant_sku_id"):
                values[name] = None
            continue
        value = attrs[name]
        ok = isinstance(value, kind) and not isinstance(value, bool) if kind is not bool else isinstance(value, bool)
        if kind is float:
            ok = isinstance(value, int | float) and not isinstance(value, bool)
        if not ok:
            errors.append(f"{humanize(name)} is invalid")
        elif name == "country_code_of_origin" and not _COUNTRY.fullmatch(value):
            errors.append(f"{humanize(name)} is invalid")
        elif name in ("cost_in_cents", "weight_in_kg") and value < 0 and "negative-cost-accepted" not in faults:
            errors.append(f"{humanize(name)} must be greater than or equal to 0")
        else:
            values[name] = value
    if errors == ["Name can't be blank"] and "blank-name-accepted" in faults:
        return {**values, "name": ""}
    if errors:
        raise ApiError(422, *errors)
    return values


def order_values(attrs: Any, store: Store, faults: frozenset[str], repeats: bool = False) -> dict[str, Any]:
    """An order to create: required fields, line items and an address; every problem in one 422.
    ``repeats``: line items may share a merchant_item_id (for the faults that store such an order)."""
    if not isinstance(attrs, dict):
        raise ApiError(400, "bad request")
    errors = [f"{humanize(n)} can't be blank" for n in ("merchant_order_id", "items", "shipping_address")
              if _blank(attrs.get(n)) or attrs.get(n) in ([], {})]
    items = attrs.get("items")
    if isinstance(items, list):
        seen = set()
        for item in items:
            if not isinstance(item, dict):
                errors.append("Items is invalid")
                continue
            for name in ("merchant_item_id", "price_per_unit_in_cents", "quantity"):
                if _blank(item.get(name)):
                    errors.append(f"Items {humanize(name).lower()} can't be blank")
            if _blank(item.get("merchant_sku_id")) and _blank(item.get("sku_id")):
                errors.append("Items sku can't be blank")
            quantity = item.get("quantity")
            if quantity is not None and (not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1):
                errors.append("Items quantity must be greater than 0")
            if item.get("merchant_item_id") in seen and not repeats:
                errors.append(ITEM_TAKEN)
            seen.add(item.get("merchant_item_id"))
    elif items is not None:
        errors.append("Items is invalid")
    address = attrs.get("shipping_address")
    if isinstance(address, dict):
        errors += [f"Shipping address {humanize(n).lower()} can't be blank"
                   for n in ("line1", "city", "country_code", "postal_code") if _blank(address.get(n))]
    elif address is not None:
        errors.append("Shipping address is invalid")
    if attrs.get("financial_status") is not None and attrs["financial_status"] not in FINANCIAL:
        errors.append("Financial status is not included in the list")
    if "created_at" in attrs and (not isinstance(attrs["created_at"], str) or parse_time(attrs["created_at"]) is None):
        errors.append("Created at is invalid")
    taken = any(o["merchant_order_id"] == attrs.get("merchant_order_id") for o in store.orders.values())
    if taken and "duplicate-order-accepted" not in faults:
        errors.append("Merchant order has already been taken")
    if errors:
        raise ApiError(422, *errors, about="orders")
    keep = ("merchant_order_id", "items", "shipping_address", "customer_order_number", "carrier_preference",
            "created_at", "currency", "custom_metadata", "financial_status", "payment_method", "tags",
            "total_price_in_cents", "total_tax_in_cents")
    return {k: attrs[k] for k in keep if k in attrs}


def restocking_values(attrs: Any, store: Store) -> dict[str, Any]:
    """A restocking shipment to create or to replace one with (S5's request body); every problem in one 422.
    An item names its SKU by sku_id or merchant_sku_id; both are stored."""
    if not isinstance(attrs, dict):
        raise ApiError(400, "bad request")
    errors = [f"{humanize(n)} can't be blank" for n in ("warehouse_id", "estimated_arrival_date", "delivery_option")
              if _blank(attrs.get(n))]
    values: dict[str, Any] = {}
    for name, kind in RESTOCKING_FIELDS.items():
        value = attrs.get(name)
        if value is None:
            continue
        if not isinstance(value, kind) or isinstance(value, bool):
            errors.append(f"{humanize(name)} is invalid")
        elif name == "delivery_option" and value not in DELIVERY_OPTIONS:
            errors.append("Delivery option is not included in the list")
        elif name == "estimated_arrival_date" and parse_time(value) is None:
            errors.append("Estimated arrival date is invalid")
        else:
            values[name] = value
    items = attrs.get("restocking_shipment_items", [])
    if not isinstance(items, list):
        errors.append("Restocking shipment items is invalid")
        items = []
    values["restocking_shipment_items"] = []
    for item in items:
        sku = (store.sku_by_code(item.get("merchant_sku_id")) if item.get("merchant_sku_id")
               else store.skus.get(item.get("sku_id"))) if isinstance(item, dict) else None
        quantity = item.get("announced_quantity") if isinstance(item, dict) else None
        if sku is None:
            errors.append("Restocking shipment items sku can't be blank")
        elif not isinstance(quantity, int) or isinstance(quantity, bool) or quantity < 1:
            errors.append("Restocking shipment items announced quantity must be greater than 0")
        else:
            values["restocking_shipment_items"].append(
                {**item, "sku_id": sku["id"], "merchant_sku_id": sku["merchant_sku_id"]})
    if errors:
        raise ApiError(422, *errors, about="restocking_shipments")
    return values
