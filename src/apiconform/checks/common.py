"""Creating and removing resources for a check, and reading an id out of a response."""
from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from apiconform.checks.expect import body_data, expect, expect_status, violation
from apiconform.contract.model import ContractError, Resource
from apiconform.contract.schemas import load_schema, problems
from apiconform.http import writes
from apiconform.http.client import Api
from apiconform.http.exchange import Exchange
from apiconform.http.targets import RUN_DIR_ENV
from apiconform.verdict import HarnessError

Ident = int | str  # what the resource's schema says an id is


def resource(api: Api, name: str) -> Resource:
    return api.contract.resources[name]


def sample(api: Api, res: Resource) -> dict[str, Any]:
    """Attributes of a valid record, for checks that only need one to exist."""
    if not res.sample:
        raise ContractError(f"{api.contract.path}: [resources.{res.name}] has no sample")
    return dict(res.sample)


def _ident(api: Api, res: Resource, item: Any) -> Ident | None:
    """The item's id, if it is one by the resource schema's ``id`` (an integer unless it says otherwise)."""
    if not isinstance(item, dict) or "id" not in item:
        return None
    shape = load_schema(api.contract.provider, res.schema).get("properties", {}).get("id", {"type": "integer"})
    return None if problems(item["id"], shape) else item["id"]


def create(api: Api, res: Resource, attrs: dict[str, Any], *, fmt: str | None = None,
           clause: str = "") -> tuple[Ident, dict[str, Any], Exchange]:
    """POST a resource; the contract's create status expected. Returns (id, resource data, exchange)."""
    clause = clause or api.contract.writes["create_clause"]
    ex = api.post(res.path, res.wrap(attrs), fmt=fmt)
    expect_status(ex, api.contract.writes.get("create_status", 201), clause, f"create {res.name}")
    item = res.unwrap(body_data(ex, clause))
    ident = _ident(api, res, item)
    if ident is None:
        violation(clause, f"created {res.name} carries no valid id", ex, actual=ex.text[:200])
    note_write(api, "created", res, ident)
    return ident, item, ex


def note_write(api: Api, event: str, res: Resource, ident: Ident) -> None:
    """On a real account, note what this run made and removed: the run cleans up what is left (http/writes.py)."""
    if api.target.kind == "url" and res.deletable:
        writes.note(os.environ.get(RUN_DIR_ENV), event, writes.entry(api, res.name, res.path, ident, res.unlock))


def read_item(api: Api, res: Resource, ident: Ident, clause: str) -> dict[str, Any]:
    """GET one record as the read clause demands and return it; a body without one fails ``clause``."""
    path = f"{res.path}/{ident}"
    ex = api.get(path)
    expect_status(ex, 200, api.contract.writes["read_clause"], f"GET {path}")
    item = res.unwrap(body_data(ex, clause))
    expect(isinstance(item, dict), clause, f"GET {path} does not carry a {res.root or res.name}", ex,
           actual=ex.text[:200])
    return item


def discard(api: Api, res: Resource, ident: Ident) -> None:
    """Cleanup: unlock (if it can), then delete, with no contract checks on the answers.

    Called from ``finally`` blocks: when a check is already on its way out with a verdict, a
    cleanup that cannot reach the target must not replace that verdict with a harness error, so
    the cleanup's error is attached to it as a note instead. Without one, it is the check's error.
    """
    in_flight = sys.exception()
    try:
        if res.unlock:
            api.patch(f"{res.path}/{ident}", res.wrap(dict(res.unlock)), invariants=False)
        ex = api.delete(f"{res.path}/{ident}", invariants=False)
        if ex.status < 300 or ex.status == api.contract.writes.get("missing_status", 404):
            note_write(api, "removed", res, ident)
    except HarnessError as exc:
        if in_flight is None:
            raise
        in_flight.add_note(f"cleanup of {res.name} {ident} failed too: {exc}")


@contextmanager
def created(api: Api, res: Resource, attrs: dict[str, Any], **kw: Any) -> Iterator[tuple[Ident, dict[str, Any]]]:
    ident, item, _ = create(api, res, attrs, **kw)
    try:
        yield ident, item
    finally:
        discard(api, res, ident)


def created_id(ex: Exchange, res: Resource) -> Ident | None:
    """The id of a resource a response created by mistake, so a check can clean up after it."""
    if ex.status >= 300 or not ex.body:
        return None
    try:
        item = res.unwrap(ex.data())
    except ValueError:
        return None
    return item.get("id") if isinstance(item, dict) else None


def still_listed(api: Api, res: Resource, items: list[dict[str, Any]], params: dict[str, Any]) -> Exchange | None:
    """GET a single item of ``items`` (just listed with ``params``), trying the lowest id first.

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
            entries = api.contract.list_entries(again.data()) if again.status == 200 else [{"id": ident}]
            listed = {res.unwrap(entry)["id"] for entry in entries}
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
    variant = next(a for a in api.contract.auth if a.credential and a.kind in ("header", "bearer"))
    return {"auth": variant.name, "credentials": {variant.credential: key}}
