"""The bundled Hive sandbox, end to end over real HTTPS: its key, SKUs, upserts, orders, pages, errors,
rate limit and signed webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import ssl
from collections.abc import Iterator

import httpx
import pytest

from apiconform.http.receiver import receiving
from apiconform.sandbox import fault_catalogue
from apiconform.sandbox.runner import SandboxHandle, start_sandbox

UNLIMITED = 10_000  # a rate-limit clock this much faster: its 100 per minute no longer get in the way


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxHandle]:
    with start_sandbox("hive", rate_scale=UNLIMITED) as handle:
        yield handle


def client(handle: SandboxHandle, key: str | None = "HIVE_API_KEY") -> httpx.Client:
    env = handle.env
    headers = {"Authorization": f"Bearer {env[key]}"} if key else {}
    verify = ssl.create_default_context(cafile=env["HIVE_CA_BUNDLE"])
    return httpx.Client(base_url=env["HIVE_BASE_URL"], verify=verify, headers=headers, timeout=10)


def _errors(answer: httpx.Response) -> tuple[int, list[str]]:
    body = answer.json()
    assert set(body) == {"success", "errors"} and body["success"] is False
    return answer.status_code, body["errors"]


def test_env_names_the_key_and_the_api_path(sandbox: SandboxHandle) -> None:
    env = sandbox.env
    assert re.fullmatch(r"https://127\.0\.0\.1:\d+/merchant_api/v1", env["HIVE_BASE_URL"])
    assert re.fullmatch(r"[0-9a-f]{32}", env["HIVE_API_KEY"]) and env["HIVE_WEBHOOK_TRIGGER"] == "1"


def test_missing_or_wrong_key_gets_exactly_the_documented_401(sandbox: SandboxHandle) -> None:
    with client(sandbox, key=None) as anon:
        for headers in ({}, {"Authorization": "Bearer 0123456789abcdef"}, {"Authorization": "Bearer not a key!"},
                        {"Authorization": f"Basic {sandbox.env['HIVE_API_KEY']}"}):
            answer = anon.get("/skus", headers=headers)
            assert answer.json() == {"success": False, "errors": ["authentication required"]}, headers
            assert answer.status_code == 401
        assert anon.get(sandbox.env["HIVE_BASE_URL"].removesuffix("/merchant_api/v1") + "/skus").status_code == 404


def test_sku_lifecycle_and_soft_delete(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        assert _errors(c.post("/skus", content=b"{not json")) == (400, ["bad request"])
        assert _errors(c.post("/skus", json={})) == (422, ["Name can't be blank", "Merchant sku can't be blank"])
        assert _errors(c.post("/skus", json={"name": "x", "merchant_sku_id": "A", "cost_in_cents": -1})) == (
            422, ["Cost in cents must be greater than or equal to 0"])
        made = c.post("/skus", json={"name": "Life", "merchant_sku_id": "LIFE-1", "hs_code": "6109"})
        assert made.status_code == 201 and made.headers["content-type"].startswith("application/json")
        sku = made.json()
        assert sku["status"] == "active" and sku["batch_tracking_enabled"] is False
        assert sku["created_at"].endswith("+01:00")
        path = f"/skus/{sku['id']}"
        assert c.patch(path, json={"barcode": "123"}).json() == {**sku, "barcode": "123"}
        assert c.delete(path).json()["status"] == "deleted" and c.get(path).json()["status"] == "deleted"
        assert c.patch(path, json={"name": "Back"}).json()["status"] == "active"
        assert _errors(c.get("/skus/2147483000")) == (404, ["not found"])
        assert _errors(c.get("/nothing")) == (404, ["not found"])


def test_bulk_upsert_nulls_omitted_fields_but_keeps_batch_tracking(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        full = {"merchant_sku_id": "BULK-1", "name": "Bulk", "barcode": "42", "batch_tracking_enabled": True}
        first = c.post("/skus/bulk_upsert", json={"skus": [full]}).json()["data"][0]
        second = [{"merchant_sku_id": "BULK-1", "name": "Bulk 2"}, {"merchant_sku_id": "BULK-2", "name": "New"}]
        again, new = c.post("/skus/bulk_upsert", json={"skus": second}).json()["data"]
        assert again["id"] == first["id"] and again["name"] == "Bulk 2" and again["barcode"] is None
        assert again["batch_tracking_enabled"] is True and new["id"] != first["id"]
        for items in ([], [{"merchant_sku_id": f"X{i}", "name": "x"} for i in range(101)]):
            assert c.post("/skus/bulk_upsert", json={"skus": items}).status_code == 422
        assert c.get("/skus", params={"merchant_sku_ids[]": ["X0", "X100"]}).json()["data"] == []


def test_orders_pages_and_created_at_filters(sandbox: SandboxHandle) -> None:
    with client(sandbox) as c:
        address = {"line1": "Kassaveti 69", "city": "Volos", "country_code": "GR", "postal_code": "38221"}
        for i in range(23):
            body = {"merchant_order_id": f"PAGE-{i}", "shipping_address": address,
                    "created_at": f"2003-01-01T00:{i:02d}:00+00:00",
                    "items": [{"merchant_item_id": "1", "merchant_sku_id": "SEED-001", "quantity": 1,
                               "price_per_unit_in_cents": 100}]}
            assert c.post("/orders", json=body).status_code == 201
        assert _errors(c.post("/orders", json=body))[1] == ["Merchant order has already been taken"]
        window = {"created_at[gte]": "2003-01-01T00:00:00Z", "created_at[lt]": "2003-01-02T00:00:00Z"}
        first, second = c.get("/orders", params=window).json(), c.get("/orders", params={**window, "page": 2}).json()
        assert first["pagination"] == {"current_page": 1, "item_count": 23, "page_count": 2, "items_per_page": 20}
        ids = [o["merchant_order_id"] for o in first["data"] + second["data"]]
        assert ids == [f"PAGE-{i}" for i in reversed(range(23))]
        assert c.get("/orders", params={**window, "page": 3}).json()["data"] == []
        lte = c.get("/orders", params={"created_at[lte]": "2003-01-01T00:01:00Z", **window})
        assert [o["merchant_order_id"] for o in lte.json()["data"]] == ["PAGE-1", "PAGE-0"]
        batched = c.get("/orders", params={**window, "include": "batches"}).json()["data"]
        assert all(item["batches"] == [] for order in batched for item in order["items"])
        shipments = c.get("/shipments").json()
        assert shipments["data"][0]["merchant_order_id"] == "PAGE-22"


def test_webhooks_are_signed_over_the_raw_body(sandbox: SandboxHandle) -> None:
    key = sandbox.env["HIVE_API_KEY"]
    with client(sandbox) as c, receiving() as receiver:
        assert c.post("/apiconform/webhooks", json={"url": receiver.url, "ca_pem": receiver.ca_pem}).status_code == 201
        moved = c.post("/apiconform/events/shipment_status_updated").json()
        delivery = receiver.next(10)
    assert delivery is not None
    signature = hmac.new(key.encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers["x-hive-signature"] == signature
    payload = json.loads(delivery.body)
    assert payload["id"] == moved["id"] and payload["status"] == moved["status"] == "picking_assigned"


@pytest.mark.parametrize("fault", ["webhook-body-tampered", "webhook-signed-with-another-key",
                                   "webhook-signature-over-reserialised-json", "webhook-signature-missing",
                                   "webhook-never-delivered"])
def test_webhook_faults_break_the_signature_or_the_delivery(fault: str) -> None:
    with start_sandbox("hive", [fault], rate_scale=UNLIMITED) as handle, client(handle) as c, receiving() as receiver:
        c.post("/apiconform/webhooks", json={"url": receiver.url, "ca_pem": receiver.ca_pem})
        c.post("/apiconform/events/return_status_updated")
        delivery = receiver.next(3)
    if fault == "webhook-never-delivered":
        assert delivery is None
        return
    assert delivery is not None
    good = hmac.new(handle.env["HIVE_API_KEY"].encode(), delivery.body, hashlib.sha256).hexdigest()
    assert delivery.headers.get("x-hive-signature") != good


def test_hundred_requests_per_minute_and_key() -> None:
    """At the documented rate: used counts up to 100 with max 100 on each answer; the 101st gets 429 with a
    fractional Retry-After of about the minute left, and the documented error shape."""
    with start_sandbox("hive") as handle, client(handle) as c:
        answers = [c.get("/skus") for _ in range(101)]
    assert [a.status_code for a in answers] == [200] * 100 + [429]
    assert [a.headers["x-rate-limit-used"] for a in answers[:100]] == [str(i) for i in range(1, 101)]
    assert {a.headers["x-rate-limit-max"] for a in answers} == {"100"}
    retry = answers[-1].headers["retry-after"]
    assert re.fullmatch(r"\d+\.\d", retry) and 0 < float(retry) <= 60
    assert _errors(answers[-1]) == (429, ["too many requests"])


def test_catalogue_names_are_unique() -> None:
    names = [f.name for f in fault_catalogue("hive")]
    assert len(names) == len(set(names)) and "pages-later-oldest-first" in names and "webhook-body-tampered" in names
