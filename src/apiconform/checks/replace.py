"""Replacing writes (``[replace]``, Hive's PUT /restocking_shipments/{id}): the write replaces the whole record,
and is allowed only while the record's ``field`` is one of ``allowed``.

Every claim is proven by a separate read: the create by a read of every field sent (and the ``initial``
status), the replacement by a read showing each field of ``body`` and every field the sample had but ``body``
leaves out gone (null or empty), and a refused replacement by a read equal to the one taken before it. To
leave the allowed statuses the check moves the record with the ``[webhooks.events.<move>]`` trigger (its body
``{"id": <id>, **move_body}``), which only the sandbox (or a target whose ``trigger_env`` says so) has; elsewhere
that check is unsupported.
"""
from __future__ import annotations

import os
from typing import Any

from apiconform.checks.common import Ident, create, read_item, resource, sample
from apiconform.checks.expect import expect, expect_status, unsupported
from apiconform.checks.payloads import echoes
from apiconform.contract.model import ContractError, Resource
from apiconform.http.client import Api

GONE = (None, "", [], {})


def _table(api: Api) -> dict[str, Any]:
    table = api.contract.raw.get("replace")
    if not table:
        raise ContractError(f"{api.contract.path}: no [replace] table")
    return dict(table)


def _created(api: Api, res: Resource, t: dict[str, Any]) -> tuple[Ident, dict[str, Any], dict[str, Any]]:
    """The sample, created, and read back: every field as sent, ``field`` the ``initial`` value."""
    clause = t["clauses"]["create"]
    attrs = sample(api, res)
    ident, _, _ = create(api, res, attrs)
    item = read_item(api, res, ident, clause)
    for key, value in attrs.items():
        expect(echoes(value, item.get(key)), clause, f"{res.name} {ident} read back does not carry {key} as created",
               expected=value, actual=item.get(key))
    expect(item.get(t["field"]) == t["initial"], clause, f"a new {res.name} is not {t['initial']}",
           expected=t["initial"], actual=item.get(t["field"]))
    return ident, attrs, item


def replaces(api: Api) -> None:
    """A replacement in an allowed status: 200, then the read shows ``body`` and nothing of what it left out."""
    t = _table(api)
    clause = t["clauses"]["replaces"]
    api.verifies(t["clauses"]["create"], clause)
    res = resource(api, t["resource"])
    ident, attrs, _ = _created(api, res, t)
    left_out = [k for k in attrs if k not in t["body"]]
    if not left_out or set(t["body"]) - set(attrs):
        raise ContractError(f"{api.contract.path}: [replace] body must leave out a field of the sample, and hold "
                            "only fields of it")
    ex = api.request(t["method"], f"{res.path}/{ident}", body=res.wrap(dict(t["body"])))
    expect_status(ex, 200, clause, f"{t['method']} {res.name} {ident} while {t['initial']}")
    after = read_item(api, res, ident, clause)
    for key, value in t["body"].items():
        expect(echoes(value, after.get(key)), clause, f"{res.name} {ident} read back after the {t['method']} does "
               f"not carry {key} as sent", ex, expected=value, actual=after.get(key))
    kept = {k: after.get(k) for k in left_out if after.get(k) not in GONE}
    expect(not kept, clause, f"{res.name} {ident} read back after the {t['method']} keeps fields it left out", ex,
           expected={k: None for k in left_out}, actual=kept)


def status_guarded(api: Api) -> None:
    """A replacement once ``field`` has left ``allowed``: refused (any 4xx), and the read after it equals
    the read before it."""
    t = _table(api)
    clause = t["clauses"]["status"]
    api.verifies(t["clauses"]["create"], clause)
    hooks = api.contract.raw.get("webhooks", {})
    if api.target.kind == "url" and os.environ.get(hooks.get("trigger_env", "")) != "1":
        unsupported(f"this target cannot move a record's {t['field']}: the check needs the sandbox's trigger")
    res = resource(api, t["resource"])
    ident, _, item = _created(api, res, t)
    trigger = hooks["events"][t["move"]]["trigger"]
    for _ in range(len(t["allowed"]) + 1):  # each trigger moves it one step: out of `allowed` within as many
        if item.get(t["field"]) not in t["allowed"]:
            break
        expect_status(api.post(trigger, {"id": ident, **t.get("move_body", {})}), 202, clause,
                      f"move {res.name} {ident} on")
        item = read_item(api, res, ident, clause)
    expect(item.get(t["field"]) not in t["allowed"], clause, f"{res.name} {ident} stays {item.get(t['field'])}",
           expected=f"not {t['allowed']}", actual=item.get(t["field"]))
    ex = api.request(t["method"], f"{res.path}/{ident}", body=res.wrap(dict(t["body"])))
    expect(400 <= ex.status < 500, clause, f"{t['method']} of {res.name} {ident} while {item.get(t['field'])} was "
           "not refused", ex, expected="4xx", actual=ex.status)
    after = read_item(api, res, ident, clause)
    expect(after == item, clause, f"the refused {t['method']} changed {res.name} {ident}", ex, expected=item,
           actual=after)
