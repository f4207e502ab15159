"""The endpoints below /merchant_api/v1: SKUs (with bulk upsert and soft delete), orders, shipments,
restocking shipments (create, and a PUT that replaces them), returns, and the sandbox-only admin
routes that register a webhook receiver and make an event happen."""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox import pages
from apiconform.sandbox.hive import store as st
from apiconform.sandbox.hive.errors import BAD_REQUEST, NOT_FOUND, ApiError, json_response
from apiconform.sandbox.hive.store import Record, Store
from apiconform.sandbox.webhooks import Webhooks

RULES = pages.PageRules(per_page=20)
BULK_MAX = 100
RANGES = {"lt": lambda a, b: a < b, "lte": lambda a, b: a <= b, "gt": lambda a, b: a > b, "gte": lambda a, b: a >= b}
#: event -> (the records it is about, the field that moves, its values in order)
EVENTS = {"shipment_status_updated": ("shipments", "status", st.SHIPMENT_STATUSES),
          "delivery_status_updated": ("shipments", "delivery_status", st.DELIVERY_STATUSES),
          "restocking_shipment_status_updated": ("restocking", "status", st.RESTOCKING_STATUSES),
          "return_status_updated": ("returns", "status", st.RETURN_STATUSES)}


@dataclass
class Ctx:
    request: Request
    store: Store
    faults: frozenset[str]
    webhooks: Webhooks
    key: str  # the caller's API token: it keys the webhooks it registers

    def has(self, fault: str) -> bool:
        return fault in self.faults


async def dispatch(ctx: Ctx, method: str, segments: list[str]) -> Response:
    if method == "POST" and len(segments) == 3 and segments[:2] == ["apiconform", "events"]:
        return await trigger_event(ctx, segments[2])
    route = (method, *segments[:1], *(["{id}"] if len(segments) == 2 and segments[1].isdigit() else segments[1:]))
    handler = ROUTES.get(tuple(route))
    if handler is None:
        raise ApiError(404, NOT_FOUND)
    return await handler(ctx, *[s for s in segments[1:] if s.isdigit()])


async def _body(ctx: Ctx) -> Any:
    raw = await ctx.request.body()
    try:
        return json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError):
        if ctx.has("malformed-json-422"):
            raise ApiError(422, "Body is invalid") from None
        if ctx.has("malformed-json-parser-message"):  # what a Rails parse error says, unrescued
            raise ApiError(400, f"unexpected token at '{raw[:40].decode('utf-8', 'replace')}'") from None
        raise ApiError(400, BAD_REQUEST) from None


def _find(ctx: Ctx, records: dict[int, Record], ident: str) -> Record:
    record = records.get(int(ident))
    if record is None:
        if ctx.has("unknown-id-500"):
            raise ApiError(500, "internal server error")
        if ctx.has("unknown-id-422"):
            raise ApiError(422, "Id is invalid")
        raise ApiError(404, NOT_FOUND)
    return record


def _listed(ctx: Ctx, records: list[Record], view: Any = lambda r, faults: r, ranges: bool = True,
            uncounted: Any = lambda records: 0) -> Response:
    """A page of ``records`` and its counts; ``uncounted`` (for a fault) says how many item_count leaves out."""
    records = _created_filters(ctx, records) if ranges else records
    try:
        page, counts = pages.paginate(records, ctx.request.query_params, RULES, ctx.faults)
    except pages.PageError:
        raise ApiError(400, BAD_REQUEST) from None
    counts[RULES.names["items"]] -= uncounted(records)
    return json_response({"data": [view(r, ctx.faults) for r in page], "pagination": counts}, ctx.faults)


def _created_filters(ctx: Ctx, records: list[Record]) -> list[Record]:
    for op, test in RANGES.items():
        raw = ctx.request.query_params.get(f"created_at[{op}]")
        if raw is None:
            continue
        bound = st.parse_time(raw)
        if bound is None:
            raise ApiError(400, BAD_REQUEST)
        if op == "lte" and ctx.has("created-at-lte-exclusive"):
            test = RANGES["lt"]
        if op == "gt" and ctx.has("created-at-gt-ignored"):
            continue
        records = [r for r in records if test(st.parse_time(r["created_at"]), bound)]
    return records


def sku_view(record: Record, faults: frozenset[str]) -> Record:
    out = dict(record)
    if "created-at-unzoned" in faults:
        out["created_at"] = out["created_at"][:23]
    return out


def _sku(ctx: Ctx, record: Record, status: int = 200) -> Response:
    return json_response(sku_view(record, ctx.faults), ctx.faults, status=status)


async def list_skus(ctx: Ctx) -> Response:
    records = ctx.store.newest_first(ctx.store.skus)
    wanted = ctx.request.query_params.getlist("merchant_sku_ids[]")
    if wanted and not ctx.has("sku-ids-filter-ignored"):
        records = [r for r in records if r["merchant_sku_id"] in wanted]
    stale = ctx.has("item-count-drops-upserted-deleted")  # a count kept by the upsert and delete paths
    return _listed(ctx, records, sku_view, ranges=not ctx.has("sku-created-at-filters-ignored"),
                   uncounted=lambda listed: sum(1 for r in listed if stale and r["status"] == "deleted"
                                                and r["id"] in ctx.store.upserted))


async def show_sku(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ctx.store.skus, ident)
    if ctx.has("sku-read-404"):
        raise ApiError(404, NOT_FOUND)
    return _sku(ctx, record)


async def create_sku(ctx: Ctx) -> Response:
    """A new merchant_sku_id creates; a deleted SKU's is that SKU again, active (S2); an active one's is taken."""
    values = st.sku_values(await _body(ctx), creating=True, faults=ctx.faults)
    if ctx.has("create-drops-hs-code"):
        values.pop("hs_code", None)
    status = 200 if ctx.has("create-answers-200") else 201
    existing = ctx.store.sku_by_code(values["merchant_sku_id"])
    if existing is not None and existing["status"] == "deleted" and not ctx.has("create-duplicates-deleted"):
        if ctx.has("revive-keeps-old-fields"):  # only the status comes back; answers what it was sent
            existing["status"] = "active"
            return _sku(ctx, {**existing, **values}, status=status)
        existing.update(values)
        existing["status"] = "active"
        return _sku(ctx, existing, status=status)
    if existing is not None and existing["status"] == "active" and not ctx.has("duplicate-sku-accepted"):
        raise ApiError(422, "Merchant sku has already been taken")
    if ctx.has("create-stores-required-only"):  # answers what it was sent
        record = ctx.store.add_sku({k: values[k] for k in ("merchant_sku_id", "name")})
        return _sku(ctx, {**record, **values}, status=status)
    return _sku(ctx, ctx.store.add_sku(values), status=status)


async def update_sku(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ctx.store.skus, ident)
    values = st.sku_values(await _body(ctx), creating=False, faults=ctx.faults)
    if not ctx.has("update-keeps-values"):
        record.update(values)
    if not ctx.has("delete-sticks"):
        record["status"] = "active"
    return _sku(ctx, record)


async def delete_sku(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ctx.store.skus, ident)
    if ctx.has("delete-is-hard"):
        del ctx.store.skus[record["id"]]
    else:
        record["status"] = "deleted"
    return _sku(ctx, record)


async def bulk_upsert(ctx: Ctx) -> Response:
    body = await _body(ctx)
    items = body.get("skus") if isinstance(body, dict) else None
    limit = BULK_MAX + 1 if ctx.has("bulk-101-accepted") else BULK_MAX
    if not isinstance(items, list) or not 1 <= len(items) <= limit:
        raise ApiError(422, f"Skus must hold 1 to {BULK_MAX} items")
    checked = []
    for i, attrs in enumerate(items):
        try:
            checked.append((attrs, st.sku_values(attrs, creating=True, faults=ctx.faults)))
        except ApiError as error:
            raise ApiError(422, *[f"Skus[{i}] {m}" for m in error.messages]) from None
    out = []
    for attrs, values in checked:
        record = None if ctx.has("bulk-upsert-always-creates") else ctx.store.sku_by_code(values["merchant_sku_id"])
        if record is None and ctx.has("bulk-upsert-stores-required-only"):  # answers what it was sent
            record = ctx.store.add_sku({k: values[k] for k in ("merchant_sku_id", "name")})
            out.append(sku_view({**record, **values}, ctx.faults))
            continue
        if record is None:
            record = ctx.store.add_sku(values)
        elif record["status"] == "deleted" and ctx.has("upsert-revival-keeps-old-fields"):
            record["status"] = "active"  # only the status comes back; answers what it was sent
            out.append(sku_view({**record, **values}, ctx.faults))
            continue
        else:
            for name in st.SKU_FIELDS:
                if name == "batch_tracking_enabled" and name not in attrs:
                    if ctx.has("bulk-upsert-resets-batch-tracking"):
                        record[name] = False
                    continue
                if name in values or not ctx.has("bulk-upsert-keeps-omitted"):
                    record[name] = values.get(name)
            if not ctx.has("upsert-keeps-deleted"):
                record["status"] = "active"
        ctx.store.upserted.add(record["id"])
        out.append(sku_view(record, ctx.faults))
    return json_response({"data": out}, ctx.faults)


def order_view(record: Record, faults: frozenset[str], batches: bool = False) -> Record:
    out = dict(record)
    if batches and "include-batches-ignored" not in faults:
        out["items"] = [{**item, "batches": []} for item in record["items"]]
    return out


async def list_orders(ctx: Ctx) -> Response:
    batches = ctx.request.query_params.get("include") == "batches"
    return _listed(ctx, ctx.store.newest_first(ctx.store.orders), lambda r, f: order_view(r, f, batches))


async def show_order(ctx: Ctx, ident: str) -> Response:
    return json_response(order_view(_find(ctx, ctx.store.orders, ident), ctx.faults), ctx.faults)


async def create_order(ctx: Ctx) -> Response:
    body = await _body(ctx)
    try:
        values = st.order_values(body, ctx.store, ctx.faults, repeats=ctx.has("item-ids-repeat-accepted"))
    except ApiError as error:
        if error.messages == [st.ITEM_TAKEN] and ctx.has("item-ids-repeat-stored"):  # refused, yet stored
            ctx.store.add_order(st.order_values(body, ctx.store, ctx.faults, repeats=True))
        raise
    if ctx.has("order-ignores-created-at"):
        values.pop("created_at", None)
    if "currency" not in values and ctx.has("order-currency-default-usd"):
        values["currency"] = "USD"
    if "created_at" not in values and ctx.has("order-created-at-default-wall-clock"):  # the shop's wall clock as UTC
        values["created_at"] = datetime.now(st.SHOP).replace(tzinfo=UTC).isoformat()
    record = ctx.store.add_order(values)
    if ctx.has("order-status-default-unfulfillable"):
        record["status"] = "unfulfillable"
    status = 200 if ctx.has("create-answers-200") else 201
    return json_response(order_view(record, ctx.faults), ctx.faults, status=status)


async def list_shipments(ctx: Ctx) -> Response:
    return _listed(ctx, ctx.store.newest_first(ctx.store.shipments))


async def show_shipment(ctx: Ctx, ident: str) -> Response:
    return json_response(_find(ctx, ctx.store.shipments, ident), ctx.faults)


async def list_restocking(ctx: Ctx) -> Response:
    """Newest first (S5); v1 shows no created_at on a restocking shipment, and ids grow with creation."""
    return _listed(ctx, sorted(ctx.store.restocking.values(), key=lambda r: r["id"], reverse=True), ranges=False)


def _shown(ctx: Ctx, table: dict[int, Record], ident: str, fault: str) -> Response:
    """One record of ``table``, or the 404 that ``fault`` answers for it instead."""
    record = _find(ctx, table, ident)
    if ctx.has(fault):
        raise ApiError(404, NOT_FOUND)
    return json_response(record, ctx.faults)


async def show_restocking(ctx: Ctx, ident: str) -> Response:
    return _shown(ctx, ctx.store.restocking, ident, "restocking-read-404")


async def create_restocking(ctx: Ctx) -> Response:
    values = st.restocking_values(await _body(ctx), ctx.store)
    if ctx.has("restocking-create-drops-supplier"):
        values.pop("supplier_name", None)
    status = 200 if ctx.has("create-answers-200") else 201
    return json_response(ctx.store.add_restocking(values), ctx.faults, status=status)


async def replace_restocking(ctx: Ctx, ident: str) -> Response:
    """PUT replaces the whole restocking shipment, only while it is shipped or created (S5); in another status
    it is refused with 422 (the status and message are assumed)."""
    record = _find(ctx, ctx.store.restocking, ident)
    values = st.restocking_values(await _body(ctx), ctx.store)
    editable = record["status"] in st.RESTOCKING_EDITABLE or ctx.has("restocking-put-any-status")
    if not editable and ctx.has("restocking-put-refused-but-applied"):
        ctx.store.replace_restocking(record, values)
    if not editable:
        raise ApiError(422, f"Restocking shipment can't be updated in status {record['status']}")
    if ctx.has("restocking-put-keeps-omitted"):  # PUT as PATCH: what the body leaves out is kept
        values = {**{k: record[k] for k in st.RESTOCKING_FIELDS}, **values}
    if ctx.has("restocking-put-answer-only"):  # answers the replacement, stores nothing
        return json_response(ctx.store.replace_restocking(dict(record), values), ctx.faults)
    return json_response(ctx.store.replace_restocking(record, values), ctx.faults)


async def list_returns(ctx: Ctx) -> Response:
    return _listed(ctx, ctx.store.newest_first(ctx.store.returns))


async def show_return(ctx: Ctx, ident: str) -> Response:
    return _shown(ctx, ctx.store.returns, ident, "returns-read-404")


async def register_webhook(ctx: Ctx) -> Response:
    """Sandbox only: ``{"url": ..., "ca_pem": ...}`` receives this key's events from now on."""
    body = await _body(ctx)
    if not isinstance(body, dict) or not isinstance(body.get("url"), str) or not body["url"].startswith("https://"):
        raise ApiError(422, "Url must be an https URL")
    ctx.webhooks.register(ctx.key, body["url"], body.get("ca_pem"))
    return json_response({"url": body["url"]}, ctx.faults, status=201)


async def trigger_event(ctx: Ctx, event: str) -> Response:
    """Sandbox only: move a record's status (the oldest, a seeded one no check writes, or ``{"id": n}``'s) one
    step, and deliver the event (``{"quiet": true}``: no delivery, for checks that only need the status moved,
    so they never feed a webhook check's receiver)."""
    if event not in EVENTS:
        raise ApiError(404, NOT_FOUND)
    kind, field, values = EVENTS[event]
    records: dict[int, Record] = getattr(ctx.store, kind)
    body = await _body(ctx) if (await ctx.request.body()).strip() else {}
    ident = body.get("id") if isinstance(body, dict) else None
    record = records.get(ident) if ident is not None else records[min(records)] if records else None
    if record is None:
        raise ApiError(404, NOT_FOUND)
    before = dict(record)
    now = record[field]
    record[field] = values[(values.index(now) + 1) % len(values) if now in values else 0]
    payload: Any = before if ctx.has("webhook-payload-stale") else dict(record)
    if ctx.has("webhook-payload-wrapped"):
        payload = {"event": event, "data": payload}
    answer = json_response({"event": event, "id": record["id"], field: record[field]}, ctx.faults, status=202)
    if not (isinstance(body, dict) and body.get("quiet") is True):
        answer.background = BackgroundTask(_deliver, ctx.webhooks, ctx.key, payload)
    return answer


async def _deliver(webhooks: Webhooks, key: str, payload: Any) -> None:
    webhooks.deliver(key, payload)


ROUTES: dict[tuple[str, ...], Any] = {
    ("GET", "skus"): list_skus, ("POST", "skus"): create_sku, ("POST", "skus", "bulk_upsert"): bulk_upsert,
    ("GET", "skus", "{id}"): show_sku, ("PATCH", "skus", "{id}"): update_sku, ("DELETE", "skus", "{id}"): delete_sku,
    ("GET", "orders"): list_orders, ("POST", "orders"): create_order, ("GET", "orders", "{id}"): show_order,
    ("GET", "shipments"): list_shipments, ("GET", "shipments", "{id}"): show_shipment,
    ("GET", "restocking_shipments"): list_restocking, ("POST", "restocking_shipments"): create_restocking,
    ("GET", "restocking_shipments", "{id}"): show_restocking,
    ("PUT", "restocking_shipments", "{id}"): replace_restocking,
    ("GET", "returns"): list_returns, ("GET", "returns", "{id}"): show_return,
    ("POST", "apiconform", "webhooks"): register_webhook,
}
