"""The endpoints: /members (list, create) and /members/{id} (get, update, delete)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox import cursor
from apiconform.sandbox.mitwirken import members
from apiconform.sandbox.mitwirken.errors import (
    ENDPOINT_MISSING,
    MEMBER_MISSING,
    NOT_JSON,
    ApiError,
    empty_response,
    endpoint_missing,
    invalid,
    json_response,
)
from apiconform.sandbox.mitwirken.members import Record, Store

RULES = cursor.CursorRules(default=20, minimum=1, maximum=100)


@dataclass
class Ctx:
    request: Request
    store: Store
    faults: frozenset[str]

    def has(self, fault: str) -> bool:
        return fault in self.faults


async def dispatch(ctx: Ctx, method: str, segments: list[str]) -> Response:
    if segments[:1] == ["members"]:
        rest = segments[1:]
        if not rest and method == "GET":
            return _list(ctx)
        if not rest and method == "POST":
            return await _create(ctx)
        if len(rest) == 1 and method == "GET":
            return _show(ctx, rest[0])
        if len(rest) == 1 and method == "PATCH":
            return await _update(ctx, rest[0])
        if len(rest) == 1 and method == "DELETE":
            return _destroy(ctx, rest[0])
    if ctx.has("unknown-endpoint-400"):
        raise invalid(ENDPOINT_MISSING)
    raise endpoint_missing()


def _find(ctx: Ctx, ident: str) -> Record:
    record = ctx.store.members.get(ident)
    if record is None:
        if ctx.has("unknown-id-500"):
            raise ApiError(500, "application_error", MEMBER_MISSING)
        if ctx.has("unknown-id-400"):
            raise invalid(MEMBER_MISSING)
        raise ApiError(404, "not_found", MEMBER_MISSING)
    return record


async def _body(ctx: Ctx) -> Any:
    raw = await ctx.request.body()
    try:
        return json.loads(raw.decode("utf-8")) if raw.strip() else {}
    except (UnicodeDecodeError, json.JSONDecodeError):
        if ctx.has("malformed-body-named-invalid-json"):
            raise ApiError(400, "invalid_json", NOT_JSON) from None
        raise invalid(NOT_JSON) from None


def _member(ctx: Ctx, record: Record) -> Response:
    return json_response(members.view(record, ctx.faults), ctx.faults)


def _list(ctx: Ctx) -> Response:
    store = ctx.store
    try:
        listed = store.listed()
        limit = ctx.request.query_params.get("limit", "")
        if limit.isdigit() and int(limit) > RULES.default and ctx.has("list-keeps-deleted-after-create"):
            listed = sorted(listed + [r for r in store.ghosts.values() if r["haunts"]], key=store.place, reverse=True)
        if ctx.has("list-shows-member-as-created"):
            listed = [store.as_created.get(r["id"], r) for r in listed]
        page = cursor.paginate(listed, ctx.request.query_params, store.place, store.places.get, RULES,
                               ctx.faults)
    except cursor.PageError as exc:
        raise invalid(str(exc)) from None
    data = [members.view(r, ctx.faults) for r in page.items]
    return json_response({"object": "list", "has_more": page.has_more, "data": data}, ctx.faults)


def _show(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ident)
    if ctx.has("member-read-404"):
        raise ApiError(404, "not_found", MEMBER_MISSING)
    return _member(ctx, record)


async def _create(ctx: Ctx) -> Response:
    values = members.validate(await _body(ctx), creating=True, faults=ctx.faults)
    record = ctx.store.add(values, datetime.now(UTC))
    for ghost in ctx.store.ghosts.values():  # fault list-keeps-deleted-after-create
        ghost["haunts"] = True
    if ctx.has("list-shows-member-as-created"):
        ctx.store.as_created[record["id"]] = dict(record)
    if ctx.has("create-answer-not-stored"):  # the answer's created_at is not the stored one
        return _member(ctx, {**record, "created_at": members.timestamp(datetime.now(UTC) - timedelta(seconds=1))})
    if ctx.has("create-drops-unsubscribed"):  # answers what it was sent, stores the default
        record["unsubscribed"] = False
        return _member(ctx, {**record, "unsubscribed": values.get("unsubscribed", False)})
    return _member(ctx, record)


async def _update(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ident)
    values = members.validate(await _body(ctx), creating=False, faults=ctx.faults)
    ctx.store.updated.add(ident)
    if not ctx.has("update-applies-nothing"):
        record.update(values)
    return empty_response() if ctx.has("update-answers-empty") else _member(ctx, record)


def _destroy(ctx: Ctx, ident: str) -> Response:
    record = _find(ctx, ident)
    del ctx.store.members[ident]
    if ctx.has("list-keeps-deleted-after-create"):
        ctx.store.ghosts[ident] = {**record, "haunts": False}
    if ctx.has("delete-answers-empty"):
        return empty_response()
    return json_response({"object": "member", "id": record["id"], "deleted": True}, ctx.faults)
