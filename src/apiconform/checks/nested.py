"""Nested lists (``[[unique_within]]``): a field unique among the entries of one record's list (Hive's
``merchant_item_id`` among an order's line items).

A create whose list repeats the field is refused, and nothing of it is stored: the record is sent with
``created`` at the fixed moment ``at`` and the list narrowed to that moment (``created[gte]`` and
``created[lte]``, the range filters) must not hold it. Any 4xx is a refusal: what status the target
gives is not documented.
"""
from __future__ import annotations

from typing import Any

from apiconform.checks.common import create, created_id, discard, resource, sample
from apiconform.checks.expect import expect
from apiconform.checks.pages import all_items
from apiconform.checks.payloads import unique
from apiconform.contract.model import ContractError
from apiconform.http.client import Api


def repeat_refused(api: Api, spec: dict[str, Any]) -> None:
    """Create ``resource`` whose ``list`` holds its first entry twice: refused, not listed afterwards, and
    accepted once the repeat is gone (so a target that refuses every create does not pass)."""
    clause, nested, field = spec["clause"], spec["list"], spec["field"]
    api.verifies(clause)
    res = resource(api, spec["resource"])
    attrs = unique(res, sample(api, res))
    entries = attrs.get(nested)
    if not (isinstance(entries, list) and entries and field in entries[0] and res.unique):
        raise ContractError(f"{api.contract.path}: [resources.{res.name}] sample needs a {nested} entry with "
                            f"{field}, and a unique field to find the record by")
    created, key = api.contract.pagination["created"], res.unique[0]
    attrs = {**attrs, nested: [entries[0], dict(entries[0])], created: spec["at"]}
    ex = api.post(res.path, res.wrap(attrs))
    stray = created_id(ex, res)
    expect(400 <= ex.status < 500, clause, f"{res.name}: a record whose {nested} repeat {field} "
           f"{entries[0][field]!r} was not refused", ex, expected="4xx", actual=ex.status)
    expect(stray is None, clause, f"the refusal carries a created {res.name}", ex, actual=stray)
    window = {f"{created}[gte]": spec["at"], f"{created}[lte]": spec["at"]}
    listed = [i for i in all_items(api, res, window, clause) if i.get(key) == attrs[key]]
    expect(not listed, clause, f"{res.name}: the refused record with {key} {attrs[key]!r} was stored (listed at "
           f"{spec['at']})", expected=[], actual=[i.get("id") for i in listed])
    # The same record without the repeat is accepted: the refusal was the repeat's, not every create's.
    ident, _, _ = create(api, res, {k: v for k, v in attrs.items() if k != created} | {nested: [entries[0]]})
    if res.deletable:
        discard(api, res, ident)
