"""The endpoints the sandbox serves, by method and path (all under /v2).

Writes validate their body against the request schema extracted from the official document
(schemas/mstudio/*.create.json, *.update.json) and refuse with 400 commons.ValidationErrors, one
entry per problem with the JS property path the spec describes (".roles"; for a missing property its object's
path and context.missingProperty, as ajv names it) and the keyword as type.
"""
from __future__ import annotations

import copy
import json
import time
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from typing import Any

from jsonschema import Draft202012Validator
from starlette.requests import Request
from starlette.responses import Response

from apiconform.contract.schemas import load_schema
from apiconform.sandbox import offset
from apiconform.sandbox.events import Events
from apiconform.sandbox.mstudio import store as st
from apiconform.sandbox.mstudio.errors import ApiError, empty, forbidden, invalid, json_response, not_found

NEW_PATH = "/v2/users/self/api-tokens"
PROJECT_LIMIT = 10000  # the spec's default limit of project-list-projects
SORTS = ("createdAt", "description")  # project-list-projects' sort fields
ROLES = ("api_read", "api_write")  # an API token's roles (the create schema's enum)
# Faults only a sequence of writes shows (the stateful check): a token delete leaves a tombstone in the token
# list's index until the next token create compacts it, and either the pages or the total count the tombstones.
TOMBS_COUNTED = "token-page-counts-deleted"
TOMBS_IN_TOTAL = "token-total-counts-deleted"
TOTAL = "X-Pagination-TotalCount"


@dataclass
class Ctx:
    request: Request
    store: st.Store
    events: Events
    faults: frozenset[str]
    token: st.Record  # the authenticated token

    def has(self, fault: str) -> bool:
        return fault in self.faults


#: fault -> (property, keyword path) of the request schemas' constraint it drops
LOOSENED = {"roles-duplicates-accepted": ("roles", "uniqueItems"), "roles-enum-accepted": ("roles", "items.enum"),
            "expiry-format-accepted": ("expiresAt", "format")}


@cache
def _validator(name: str, loosen: tuple[tuple[str, str], ...]) -> Draft202012Validator:
    schema = copy.deepcopy(load_schema("mstudio", name))
    for prop, keyword in loosen:  # a fault that drops one constraint
        *within, last = keyword.split(".")
        target = schema.get("properties", {}).get(prop, {})
        for step in within:
            target = target.get(step, {})
        target.pop(last, None)
    return Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)


def _expiry(value: Any) -> str | None:
    """An expiresAt to store: a moment, or nothing (what a fault let through that is none)."""
    try:
        return value if value and datetime.fromisoformat(str(value).replace("Z", "+00:00")) else None
    except ValueError:
        return None


async def _body(ctx: Ctx, schema: str) -> dict[str, Any]:
    raw = await ctx.request.body()
    try:
        data = json.loads(raw.decode("utf-8")) if raw.strip() else None
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise invalid([{"message": "body is not valid JSON", "path": "", "type": "parse"}]) from None
    loosen = tuple(dropped for fault, dropped in LOOSENED.items() if ctx.has(fault))
    found = sorted(_validator(schema, loosen).iter_errors(data), key=lambda e: list(e.absolute_path))
    if found:
        if ctx.has("invalid-answers-403"):
            raise forbidden("request refused")
        problems = []
        for err in found:
            path = "".join(f"[{p}]" if isinstance(p, int) else f".{p}" for p in err.absolute_path)
            problem = {"message": err.message, "path": path, "type": str(err.validator)}
            if err.validator == "required":  # the spec's form: the object's path, the property in the context
                problem["context"] = {"missingProperty": str(err.message.split("'")[1])}
            problems.append(problem)
        raise invalid(problems)
    return data


def _visible(ctx: Ctx, record: st.Record, what: str) -> st.Record:
    """A record the read models know already; inside the lag the documented 403 or 404."""
    if not ctx.events.applied(record.get("event")):
        status = ctx.events.lag_status(404)
        raise ApiError(status, {400: "ValidationError", 403: "Forbidden"}.get(status, "NotFound"),
                       f"{what} not found", [] if status == 400 else None)
    if "before" in record and time.monotonic() < record["stale_until"]:  # consistency-wait-stale only
        return record["before"]
    return record


def _mutated(ctx: Ctx, status: int = 204, data: Any = None) -> tuple[str, Response]:
    event = ctx.events.emit()
    headers = ctx.events.mutation_headers(event)
    if data is None:
        return event, empty(status, headers)
    return event, json_response(data, ctx.faults, status, headers)


def _lazy_deletes(ctx: Ctx) -> bool:
    return ctx.has(TOMBS_COUNTED) or ctx.has(TOMBS_IN_TOTAL)


def _record(ctx: Ctx, records: dict[str, st.Record], ident: str, kind: str, noun: str, id_field: str,
            may_crash: bool = False) -> st.Record:
    """The record ``ident`` once the read models know it; an unknown id is a 404 NotFound of ``kind``, or the
    400 the fault unknown-id-400 answers, or (``may_crash``: SSH keys only) the 500 of unknown-id-500."""
    record = records.get(ident)
    if record is None:
        if ctx.has("unknown-id-400"):
            raise invalid([{"message": f"no such {noun}", "path": f".{id_field}", "type": "notFound"}])
        if may_crash and ctx.has("unknown-id-500"):
            raise ApiError(500, "InternalServerError", "Something went wrong")
        if ctx.has("unknown-id-untyped"):
            raise ApiError(404, "ResourceNotFound", f"{kind} not found")
        raise not_found(kind)
    return _visible(ctx, record, kind)


async def _edit(ctx: Ctx, record: st.Record, schema: str, field: str, ignored: str) -> Response:
    """PUT of both editable resources: ``field`` and an optional expiresAt from the validated body (unless the
    fault ``ignored`` drops the edit); the read models lag behind an edit too."""
    data = await _body(ctx, schema)
    stale_until = ctx.events.stale_until()
    if stale_until is not None:
        record["before"], record["stale_until"] = {k: v for k, v in record.items() if k != "before"}, stale_until
    if not ctx.has(ignored):
        record[field] = data[field]
        if _expiry(data.get("expiresAt")):
            record["expiresAt"] = data["expiresAt"]
    record["event"], response = _mutated(ctx)
    return response


def _page(ctx: Ctx, items: list[Any], default: int | None) -> tuple[list[Any], dict[str, str]]:
    try:
        page = offset.paginate(items, ctx.request.query_params, default, ctx.faults)
    except offset.PageError as exc:
        raise invalid([{"message": str(exc), "path": f".{exc.param}", "type": "type"}]) from None
    return page.items, page.headers


# -- users ----------------------------------------------------------------------------
def get_user(ctx: Ctx, user_id: str) -> Response:
    if user_id not in ("self", ctx.store.user["userId"]):
        raise forbidden("permission denied for this user")
    return json_response(ctx.store.user, ctx.faults)


def session_status(ctx: Ctx) -> Response:
    user = ctx.store.user["userId"]
    if ctx.has("session-user-mismatch"):
        user = ctx.token["apiTokenId"]
    return json_response({"userId": user, "tokenId": ctx.token["apiTokenId"], "isImpersonated": False,
                          "isEmployee": False}, ctx.faults)


# -- api tokens -----------------------------------------------------------------------
async def create_token(ctx: Ctx) -> Response:
    data = await _body(ctx, "api-token.create.json")
    expires = None if ctx.has("expiry-dropped") else _expiry(data.get("expiresAt"))
    roles = [r for r in data["roles"] if r in ROLES] or ["api_read"]  # what roles-enum-accepted stores
    record = ctx.store.add_token(data["description"], roles, expires)
    if _lazy_deletes(ctx):  # a create compacts the list's index: the tombstones go
        ctx.store.tokens = {k: r for k, r in ctx.store.tokens.items() if not r.get("tomb")}
    event, response = _mutated(ctx, 201, {"token": record["secret"] if not ctx.has("created-token-unusable")
                                          else st.new_secret(record["apiTokenId"])})
    record["event"] = event
    return response


def _token_view(ctx: Ctx, record: st.Record) -> st.Record:
    view = st.token_view(record)
    if ctx.has("token-roles-string"):
        view["roles"] = ",".join(view["roles"])
    return view


def list_tokens(ctx: Ctx) -> Response:
    applied = [r for r in ctx.store.tokens.values() if ctx.events.applied(r.get("event"))]
    visible = [r for r in applied if not r.get("tomb")]
    items, headers = _page(ctx, visible, None)
    if "limit" in ctx.request.query_params and ctx.has(TOMBS_COUNTED):  # limit and skip count the tombs
        items = [r for r in _page(ctx, applied, None)[0] if not r.get("tomb")]
    if ctx.has(TOMBS_IN_TOTAL) and TOTAL in headers:  # the count is the index's, tombstones and all
        headers[TOTAL] = str(len(applied))
    views = [_token_view(ctx, r) | ({"token": r["secret"]} if ctx.has("token-secret-listed") else {}) for r in items]
    return json_response(views, ctx.faults, headers=headers)


def _token(ctx: Ctx, ident: str) -> st.Record:
    live = {k: r for k, r in ctx.store.tokens.items() if not r.get("tomb")}
    return _record(ctx, live, ident, "ApiToken", "ApiToken", "apiTokenId")


def get_token(ctx: Ctx, ident: str) -> Response:
    view = _token_view(ctx, _token(ctx, ident))
    if ctx.has("token-secret-in-get"):
        view["token"] = ctx.store.tokens[ident]["secret"]
    return json_response(view, ctx.faults)


async def edit_token(ctx: Ctx, ident: str) -> Response:
    return await _edit(ctx, _token(ctx, ident), "api-token.update.json", "description", "token-edit-ignored")


def delete_token(ctx: Ctx, ident: str) -> Response:
    record = _token(ctx, ident)
    if ctx.has("token-delete-keeps"):
        record["revoked"] = True  # no longer authenticates, but stays listed and readable
    elif _lazy_deletes(ctx):
        record["revoked"] = record["tomb"] = True  # gone for every read, but kept in the list's index
    else:
        del ctx.store.tokens[ident]
    return _mutated(ctx)[1]


def redirect(ctx: Ctx) -> Response:
    """The deprecated /v2/signup/token/api: 308 to the new path, same method and body."""
    headers = {} if ctx.has("redirect-without-location") else {"location": NEW_PATH}
    return empty(308, headers)


# -- ssh keys -------------------------------------------------------------------------
async def create_ssh_key(ctx: Ctx) -> Response:
    data = await _body(ctx, "ssh-key.create.json")
    expires = None if ctx.has("expiry-dropped") else _expiry(data.get("expiresAt"))
    event = ctx.events.emit()
    ctx.store.add_ssh_key(data["publicKey"], expires, event)
    return json_response({}, ctx.faults, 201, ctx.events.mutation_headers(event))


def list_ssh_keys(ctx: Ctx) -> Response:
    visible = [r for r in ctx.store.ssh_keys.values() if ctx.events.applied(r.get("event"))]
    items, headers = _page(ctx, visible, None)
    views = [st.ssh_view(r) for r in items]
    return json_response(views if ctx.has("ssh-list-unwrapped") else {"sshKeys": views}, ctx.faults, headers=headers)


def _ssh_key(ctx: Ctx, ident: str) -> st.Record:
    return _record(ctx, ctx.store.ssh_keys, ident, "SshKey", "ssh-key", "sshKeyId", may_crash=True)


def get_ssh_key(ctx: Ctx, ident: str) -> Response:
    return json_response({"sshKey": st.ssh_view(_ssh_key(ctx, ident))}, ctx.faults)


async def edit_ssh_key(ctx: Ctx, ident: str) -> Response:
    return await _edit(ctx, _ssh_key(ctx, ident), "ssh-key.update.json", "comment", "ssh-edit-ignored")


def delete_ssh_key(ctx: Ctx, ident: str) -> Response:
    _ssh_key(ctx, ident)
    del ctx.store.ssh_keys[ident]
    return _mutated(ctx)[1]


# -- projects -------------------------------------------------------------------------
def _sorted_projects(ctx: Ctx) -> list[st.Record]:
    """The spec's sort (createdAt or description, default createdAt) and order (asc or desc, default asc)."""
    query = ctx.request.query_params
    field = query.get("sort", "createdAt")
    order = query.get("order") or ("desc" if ctx.has("projects-default-desc") else "asc")
    for param, value, allowed in (("sort", field, SORTS), ("order", order, ("asc", "desc"))):
        if value not in allowed:
            raise invalid([{"message": f"{param} must be one of {', '.join(allowed)}", "path": f".{param}",
                            "type": "enum"}])
    desc = order == "desc" and not ctx.has("projects-desc-ignored")
    return sorted(ctx.store.projects, key=lambda p: p[field], reverse=desc)


def list_projects(ctx: Ctx) -> Response:
    items, headers = _page(ctx, _sorted_projects(ctx), PROJECT_LIMIT)
    return json_response([st.project_list_item(p) for p in items], ctx.faults, headers=headers)


def get_project(ctx: Ctx, ident: str) -> Response:
    at = next((i for i, p in enumerate(ctx.store.projects) if p["id"] == ident), None)
    found = None if at is None else ctx.store.projects[at]
    if found is None or ctx.has("project-get-403") or (at >= 3 and ctx.has("project-get-403-beyond-third")):
        raise forbidden("permission denied for this project")  # the spec declares 403, no 404 (§10.4)
    return json_response(st.project_view(found), ctx.faults)


async def dispatch(ctx: Ctx, method: str, segments: list[str]) -> Response:
    """``segments`` after ``v2``."""
    match (method, segments):
        case ("GET", ["users", "self", "sessions", "current", "status"]):
            return session_status(ctx)
        case ("GET", ["users", user_id]):
            return get_user(ctx, user_id)
        case ("POST", ["users", "self", "api-tokens"]):
            return await create_token(ctx)
        case ("GET", ["users", "self", "api-tokens"]):
            return list_tokens(ctx)
        case ("GET", ["users", "self", "api-tokens", ident]):
            return get_token(ctx, ident)
        case ("PUT", ["users", "self", "api-tokens", ident]):
            return await edit_token(ctx, ident)
        case ("DELETE", ["users", "self", "api-tokens", ident]):
            return delete_token(ctx, ident)
        case ("GET" | "POST", ["signup", "token", "api"]):
            return redirect(ctx)
        case ("POST", ["users", "self", "ssh-keys"]):
            return await create_ssh_key(ctx)
        case ("GET", ["users", "self", "ssh-keys"]):
            return list_ssh_keys(ctx)
        case ("GET", ["users", "self", "ssh-keys", ident]):
            return get_ssh_key(ctx, ident)
        case ("PUT", ["users", "self", "ssh-keys", ident]):
            return await edit_ssh_key(ctx, ident)
        case ("DELETE", ["users", "self", "ssh-keys", ident]):
            return delete_ssh_key(ctx, ident)
        case ("GET", ["projects"]):
            return list_projects(ctx)
        case ("GET", ["projects", ident]):
            return get_project(ctx, ident)
    raise not_found("route")
