"""The Hive sandbox's faults: each breaks exactly one clause of suites/hive/contract.toml."""

from __future__ import annotations

from apiconform.sandbox import pages, ratelimit, webhooks
from apiconform.sandbox.faults import Fault
from apiconform.sandbox.server import PLAIN_HTTP_FAULT

# The shared blocks' faults, by the promise each breaks (suites/hive [rate_limit.clauses], [pagination], [webhooks]).
RATE_CLAUSES = {"headers": "hive.rate.headers", "limit": "hive.rate.limit", "remaining": "hive.rate.used",
                "exceeded": "hive.rate.429", "retry": "hive.rate.retry-after"}
PAGE_CLAUSES = {"walk": "hive.page.walk", "counts": "hive.page.counts", "item_count": "hive.page.item-count",
                "beyond": "hive.page.beyond"}
HOOK_CLAUSES = {"delivered": "hive.webhook.delivered", "signature": "hive.webhook.signature"}
# Hive has no reset header, and a used count above max reads as remaining 0: those block faults break nothing here.
RATE_FAULTS = {flag: v for flag, v in ratelimit.FAULTS.items() if v[0] in RATE_CLAUSES
               and flag != ratelimit.REMAINING_NEGATIVE and flag not in ratelimit.OPT_IN}


def _sentence(what: str) -> str:
    return f"{what[0].upper()}{what[1:]}."


FAULTS: list[Fault] = [
    Fault("bearer-refused", "hive.auth.bearer", "The merchant's own API key is refused with 401."),
    Fault("malformed-key-400", "hive.auth.401", "A key that is not shaped like one gets 400 [\"bad request\"] instead of 401."),
    Fault("auth-error-message-changed", "hive.auth.401", "The 401 body says [\"unauthorized\"], not [\"authentication required\"]."),
    Fault(PLAIN_HTTP_FAULT, "hive.auth.https-only", "The plain-HTTP port serves the full API."),
    Fault("unknown-id-500", "hive.status.allowed", "An unknown id answers 500."),
    Fault("sku-read-404", "hive.status.200-read", "GET /skus/:id answers 404 for SKUs that exist."),
    Fault("unknown-id-422", "hive.status.404-unknown", "An unknown id answers 422 instead of 404."),
    Fault("malformed-json-422", "hive.status.400-malformed", "A body that is not JSON gets 422 instead of 400 [\"bad request\"]."),
    Fault("malformed-json-parser-message", "hive.status.400-malformed", "A body that is not JSON gets 400 with the parser's message, not [\"bad request\"]."),
    Fault("blank-field-400", "hive.status.422-invalid", "A SKU's blank required field gets 400 instead of 422."),
    Fault("blank-messages-not-rails", "hive.status.422-invalid", "A SKU's blank fields are reported as \"name is missing\", not \"Name can't be blank\"."),
    Fault("order-messages-not-rails", "hive.order.422-invalid", "An order's blank fields are reported as \"merchant_order is missing\", not \"Merchant order can't be blank\"."),
    Fault("error-body-message-string", "hive.error.body", "Error bodies carry a string \"error\", not an \"errors\" array."),
    Fault("json-content-type-html", "hive.format.json", "JSON answers say Content-Type text/html."),
    Fault("created-at-unzoned", "hive.schema.resources", "SKUs' created_at lacks its UTC offset."),
    Fault("create-answers-200", "hive.verb.create-201", "Creates answer 200 instead of 201."),
    Fault("delete-is-hard", "hive.verb.soft-delete", "DELETE /skus/:id removes the SKU instead of setting status deleted."),
    Fault("delete-sticks", "hive.verb.soft-delete", "An update of a deleted SKU leaves its status deleted."),
    Fault("create-duplicates-deleted", "hive.verb.soft-delete", "Creating a deleted SKU's merchant_sku_id makes a second SKU instead of reviving it."),
    Fault("upsert-keeps-deleted", "hive.verb.soft-delete", "bulk_upsert of a deleted SKU leaves it deleted."),
    Fault("revive-keeps-old-fields", "hive.stateful.model", "A create with a deleted SKU's merchant_sku_id makes it active again but keeps the fields it had before the delete (it answers the fields sent)."),
    Fault("upsert-revival-keeps-old-fields", "hive.stateful.model", "A bulk upsert of a deleted SKU makes it active again but keeps the fields it had before the delete (it answers the fields sent)."),
    Fault("duplicate-sku-accepted", "hive.sku.duplicate", "Creating a SKU with an active SKU's merchant_sku_id makes a second one."),
    Fault("create-drops-hs-code", "hive.payload.valid-accepted", "A SKU create ignores hs_code."),
    Fault("create-stores-required-only", "hive.payload.valid-accepted", "A SKU create stores only merchant_sku_id and name, yet answers every field sent."),
    Fault("update-keeps-values", "hive.payload.valid-accepted", "A SKU update answers 200 (and reactivates) but keeps the old values."),
    Fault("blank-name-accepted", "hive.payload.constraints", "A SKU without a name is accepted."),
    Fault("negative-cost-accepted", "hive.payload.constraints", "A negative cost_in_cents or weight_in_kg is accepted."),
    Fault("bulk-upsert-always-creates", "hive.upsert.create-or-update", "bulk_upsert creates a second SKU for a known merchant_sku_id."),
    Fault("bulk-upsert-stores-required-only", "hive.upsert.create-or-update", "bulk_upsert creates a SKU with only merchant_sku_id and name stored, yet answers every field sent."),
    Fault("bulk-upsert-keeps-omitted", "hive.upsert.null-on-omit", "bulk_upsert keeps the old value of an omitted field instead of null."),
    Fault("bulk-upsert-resets-batch-tracking", "hive.upsert.null-on-omit", "bulk_upsert resets an omitted batch_tracking_enabled to false."),
    Fault("bulk-101-accepted", "hive.upsert.limit", "bulk_upsert accepts 101 items."),
    Fault("duplicate-order-accepted", "hive.order.duplicate", "A second order with a taken merchant_order_id is accepted."),
    Fault("order-currency-default-usd", "hive.order.default-currency", "An order created without currency gets \"USD\"."),
    Fault("order-status-default-unfulfillable", "hive.order.default-status", "Orders created through the API are unfulfillable."),
    Fault("order-created-at-default-wall-clock", "hive.order.default-created-at", "An order created without created_at gets the shop's wall clock labelled UTC (an hour ahead)."),
    Fault("item-ids-repeat-accepted", "hive.order.item-ids-unique", "An order whose line items repeat a merchant_item_id is accepted."),
    Fault("item-ids-repeat-stored", "hive.order.item-ids-unique", "An order whose line items repeat a merchant_item_id is refused with 422, but stored."),
    Fault("restocking-read-404", "hive.status.200-read", "GET /restocking_shipments/:id answers 404 for restocking shipments that exist."),
    Fault("returns-read-404", "hive.return.read", "GET /returns/:id answers 404 for returns that exist."),
    Fault("restocking-create-drops-supplier", "hive.restocking.create", "A restocking shipment create ignores supplier_name."),
    Fault("restocking-put-keeps-omitted", "hive.restocking.put-replaces", "PUT /restocking_shipments/:id keeps the fields the body leaves out, as a PATCH would."),
    Fault("restocking-put-answer-only", "hive.restocking.put-replaces", "PUT /restocking_shipments/:id answers the replaced record but stores nothing."),
    Fault("restocking-put-any-status", "hive.restocking.put-status", "PUT /restocking_shipments/:id replaces a restocking shipment in any status."),
    Fault("restocking-put-refused-but-applied", "hive.restocking.put-status", "PUT /restocking_shipments/:id outside shipped or created answers 422 but replaces the record."),
    Fault("include-batches-ignored", "hive.order.include-batches", "include=batches adds no batches to the orders' items."),
    Fault("created-at-lte-exclusive", "hive.page.filters", "created_at[lte] leaves out the items created at the bound."),
    Fault("created-at-gt-ignored", "hive.page.filters", "created_at[gt] is ignored."),
    Fault("sku-created-at-filters-ignored", "hive.page.filters", "The SKU list ignores the created_at[...] filters (the order list applies them)."),
    Fault("order-ignores-created-at", "hive.payload.valid-accepted", "An order's created_at is set to now, whatever was sent."),
    Fault("item-count-drops-upserted-deleted", "hive.stateful.model", "The SKU list's item_count leaves out SKUs a bulk upsert wrote and a delete then marked deleted, though the list shows them."),
    Fault("sku-ids-filter-ignored", "hive.page.sku-ids", "merchant_sku_ids[] is ignored."),
    Fault("webhook-payload-stale", "hive.webhook.payload", "A status event carries the record as it was before the change."),
    Fault("webhook-payload-wrapped", "hive.webhook.payload", "A delivery wraps the record as {event, data}."),
    *[Fault(flag, PAGE_CLAUSES[key], _sentence(what)) for flag, (key, what) in pages.FAULTS.items()],
    *[Fault(flag, HOOK_CLAUSES[key], _sentence(what)) for flag, (key, what) in webhooks.FAULTS.items()],
    *[Fault(flag, RATE_CLAUSES[key], _sentence(what)) for flag, (key, what) in RATE_FAULTS.items()],
]
