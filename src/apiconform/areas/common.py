"""Creating and removing resources for a check, and reading an id out of a response."""
from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apiconform.checks import body_data, expect_status, violation
from apiconform.client import Api
from apiconform.contract import Resource
from apiconform.exchange import Exchange
from apiconform.verdict import HarnessError


def resource(api: Api, name: str) -> Resource:
    return api.contract.resources[name]


def create(api: Api, res: Resource, attrs: dict[str, Any], *, fmt: str | None = None,
           clause: str = "") -> tuple[int, dict[str, Any], Exchange]:
    """POST a wrapped resource; 201 expected. Returns (id, resource data, exchange)."""
    clause = clause or api.contract.writes["create_clause"]
    ex = api.post(res.path, {res.root: attrs}, fmt=fmt)
    expect_status(ex, api.contract.writes.get("create_status", 201), clause, f"create {res.name}")
    data = body_data(ex, clause)
    item = data[1] if isinstance(data, tuple) else (data or {}).get(res.root)
    if not isinstance(item, dict) or not isinstance(item.get("id"), int):
        violation(clause, f"created {res.name} carries no integer id", ex, actual=ex.text[:200])
    return item["id"], item, ex


def discard(api: Api, res: Resource, ident: int) -> None:
    """Cleanup: unlock (if it can), then delete, with no contract checks on the answers.

    Called from ``finally`` blocks: when a check is already on its way out with a verdict, a
    cleanup that cannot reach the target must not replace that verdict with a harness error, so
    the cleanup's error is attached to it as a note instead. Without one, it is the check's error.
    """
    in_flight = sys.exception()
    try:
        if res.unlock:
            api.patch(f"{res.path}/{ident}", {res.root: dict(res.unlock)}, invariants=False)
        api.delete(f"{res.path}/{ident}", invariants=False)
    except HarnessError as exc:
        if in_flight is None:
            raise
        in_flight.add_note(f"cleanup of {res.name} {ident} failed too: {exc}")


@contextmanager
def created(api: Api, res: Resource, attrs: dict[str, Any], **kw: Any) -> Iterator[tuple[int, dict[str, Any]]]:
    ident, item, _ = create(api, res, attrs, **kw)
    try:
        yield ident, item
    finally:
        discard(api, res, ident)


def created_id(ex: Exchange, res: Resource) -> int | None:
    """The id of a resource a response created by mistake, so a check can clean up after it."""
    if ex.status >= 300 or not ex.body:
        return None
    try:
        data = ex.data()
    except ValueError:
        return None
    item = data[1] if isinstance(data, tuple) else (data or {}).get(res.root) if isinstance(data, dict) else None
    return item.get("id") if isinstance(item, dict) else None


def still_listed(api: Api, res: Resource, items: list[dict[str, Any]], params: dict[str, Any]) -> Exchange | None:
    """GET a single item of ``items`` (just listed with ``params``), trying the oldest first.

    The checks of one run share the target and create and delete their own records in
    parallel, so a listed record can vanish before it is read. A 404 for a record that has left
    the list too is that race, and the next record is tried; a 404 for a record that is still
    listed is returned for the caller to fail. ``None``: every listed record vanished.
    """
    missing = api.contract.writes.get("missing_status", 404)
    for ident in sorted(item["id"] for item in items):
        ex = api.get(f"{res.path}/{ident}")
        if ex.status != missing:
            return ex
        again = api.get(res.path, params=params)
        try:
            listed = {entry[res.root]["id"] for entry in again.data()} if again.status == 200 else {ident}
        except (ValueError, TypeError, KeyError):
            listed = {ident}  # an unreadable list cannot show that the record left it
        if ident in listed:
            return ex
    return None


def as_credential(api: Api, credential: str) -> dict[str, str]:
    """Credentials of a second user, or skip when the target did not provide them."""
    key = api.target.credentials.get(credential)
    if not key:
        pytest.skip(f"{api.contract.credentials[credential].env} is not set")
    variant = next(a for a in api.contract.auth if a.credential and a.kind == "header")
    return {"auth": variant.name, "credentials": {variant.credential: key}}
