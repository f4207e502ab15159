"""The mite endpoints: routing of /{collection}[/{id}|/archived] and one handler per action."""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import Response

from apiconform.sandbox.mite import bodies, listing, render, state
from apiconform.sandbox.mite.errors import LOCKED, NOT_ALLOWED, RECORD_MISSING, ApiError, uri_missing
from apiconform.sandbox.mite.resources import MANAGERS, ROOTS, WRITABLE, validate, view, visible
from apiconform.sandbox.mite.state import Record, Store, Tracking


@dataclass
class Ctx:
    """Everything one request needs; `fmt` is the response format, `suffix` the URL's."""

    request: Request
    store: Store
    faults: frozenset[str]
    fmt: str
    suffix: str
    user: Record
    base_url: str

    def has(self, fault: str) -> bool:
        return fault in self.faults


async def dispatch(ctx: Ctx, method: str, segments: list[str]) -> Response:
    """`method` is normalised: HEAD arrives as GET, PUT as PATCH."""
    collection, rest = segments[0], segments[1:]
    if collection in ("account", "myself") and not rest and method == "GET":
        return _singleton(ctx, collection)
    if collection == "tracker":
        if not rest and method == "GET":
            return _tracker_show(ctx)
        if len(rest) == 1 and method == "PATCH":
            return _tracker_start(ctx, rest[0])
        if len(rest) == 1 and method == "DELETE":
            return _tracker_stop(ctx, rest[0])
    if collection in ROOTS:
        if collection == "users" and ctx.user["role"] == "time_tracker" and method == "GET" and len(rest) <= 1:
            if not ctx.has("users-visible-to-time-tracker"):
                raise ApiError(403, NOT_ALLOWED)
        writable = collection in WRITABLE
        if not rest and method == "GET":
            return _list(ctx, collection, archived=False)
        if not rest and method == "POST" and writable:
            return await _create(ctx, collection)
        if rest == ["archived"] and collection != "time_entries":
            if method == "GET":
                return _list(ctx, collection, archived=True)
        elif len(rest) == 1:
            if method == "GET":
                return _show(ctx, collection, rest[0])
            if method == "PATCH" and writable:
                return await _update(ctx, collection, rest[0])
            if method == "DELETE" and writable:
                return await _destroy(ctx, collection, rest[0])
    raise ApiError(404, uri_missing(ctx.request.url.path))


# ---------------------------------------------------------------- helpers

def _find(ctx: Ctx, collection: str, raw_id: str) -> Record:
    record = ctx.store.collection(collection).get(int(raw_id)) if raw_id.isdigit() else None
    if record is None:
        if ctx.has("unknown-id-500"):
            raise ApiError(500, RECORD_MISSING)
        raise ApiError(400 if ctx.has("missing-as-400") else 404, RECORD_MISSING)
    if not visible(ctx.store, ctx.user, collection, record):
        if collection == "time_entries" and ctx.has("hidden-entry-403"):
            raise ApiError(403, NOT_ALLOWED)
        raise ApiError(404, RECORD_MISSING)  # hide that it exists
    return record


def _require_writer(ctx: Ctx, collection: str) -> None:
    if (
        collection in ("customers", "projects", "services")
        and ctx.user["role"] == "time_tracker"
        and not ctx.has("time-tracker-can-write")
    ):
        raise ApiError(403, NOT_ALLOWED)


def _check_lock(ctx: Ctx, entry: Record, force: bool) -> None:
    if not entry["locked"] or ctx.has("locked-entry-editable"):
        return
    if not force:
        raise ApiError(423, LOCKED)
    if ctx.user["role"] not in MANAGERS:
        raise ApiError(403, NOT_ALLOWED)


def _single(ctx: Ctx, collection: str, record: Record, status: int = 200,
            extra: dict[str, str] | None = None) -> Response:
    body = render.body_single(ctx.fmt, ROOTS[collection], view(ctx.store, collection, record, ctx.faults),
                              ctx.faults)
    identity = f"{collection}/{record['id']}"
    return render.data_response(ctx.request, ctx.fmt, body, identity, ctx.faults, status=status, extra=extra)


# ---------------------------------------------------------------- reads

def _singleton(ctx: Ctx, collection: str) -> Response:
    if collection == "account":
        root, item = "account", dict(ctx.store.account)
    else:
        root, item = "user", view(ctx.store, "users", ctx.user, ctx.faults)
    body = render.body_single(ctx.fmt, root, item, ctx.faults)
    identity = f"{collection}/{ctx.user['id']}"
    return render.data_response(ctx.request, ctx.fmt, body, identity, ctx.faults)


def _show(ctx: Ctx, collection: str, raw_id: str) -> Response:
    if (collection == "users" and ctx.has("user-read-404")) or (collection == "services"
                                                                and ctx.has("service-read-404")):
        raise ApiError(404, RECORD_MISSING)
    return _single(ctx, collection, _find(ctx, collection, raw_id))


def _list(ctx: Ctx, collection: str, *, archived: bool) -> Response:
    params = ctx.request.query_params
    records = [
        r for r in ctx.store.collection(collection).values()
        if (r.get("archived", False) is archived or (not archived and ctx.has("archived-in-active-list")))
        and visible(ctx.store, ctx.user, collection, r)
    ]
    if not archived and "name" in params and ctx.has("list-keeps-deleted-after-create"):
        records += [r for r in ctx.store.ghosts.get(collection, []) if r["haunts"]]
    records = listing.select(ctx.store, collection, records, params, ctx.user, ctx.faults)
    records = listing.paginate(listing.order(collection, records, ctx.faults), params, ctx.faults)
    if ctx.has("list-shows-record-as-created"):
        records = [ctx.store.created_as.get(r["id"], r) for r in records]
    views = [view(ctx.store, collection, r, ctx.faults) for r in records]
    body = render.body_list(ctx.fmt, collection, ROOTS[collection], views, ctx.faults)
    identity = f"{ctx.request.url.path}?{ctx.request.url.query}"
    return render.data_response(ctx.request, ctx.fmt, body, identity, ctx.faults)


# ---------------------------------------------------------------- writes

async def _create(ctx: Ctx, collection: str) -> Response:
    _require_writer(ctx, collection)
    body = await bodies.read(ctx.request, ROOTS[collection], ctx.faults)
    change = validate(ctx.store, ctx.user, collection, body.attrs, creating=True, lenient=body.lenient,
                      faults=ctx.faults)
    record = state.new_record(collection)
    if collection == "time_entries":
        record["user_id"] = ctx.user["id"]
    record.update(change.values)
    record = state.insert(ctx.store, collection, record)
    shown = record
    if collection == "customers" and "hourly_rate" in change.values and ctx.has("create-drops-hourly-rate"):
        shown, record["hourly_rate"] = dict(record), 0  # answers what it was sent, stores the default
    if ctx.fmt == "xml" and ctx.has("xml-create-name-unstored"):
        shown, record["name"] = dict(record), ""  # answers what it was sent, stores no name
    for ghost in ctx.store.ghosts.get(collection, []):  # fault list-keeps-deleted-after-create
        ghost["haunts"] = True
    if ctx.has("list-shows-record-as-created") and collection in _NAMED:
        ctx.store.created_as[record["id"]] = dict(record)
    extra = {}
    if not ctx.has("create-no-location"):
        extra["Location"] = f"{ctx.base_url}/{collection}/{record['id']}.{ctx.suffix}"
    return _single(ctx, collection, shown, status=201, extra=extra)


async def _update(ctx: Ctx, collection: str, raw_id: str) -> Response:
    _require_writer(ctx, collection)
    record = _find(ctx, collection, raw_id)
    body = await bodies.read(ctx.request, ROOTS[collection], ctx.faults)
    if collection == "time_entries":
        if record["locked"] and not body.force and ctx.has("locked-update-applied"):  # refused below, applied first
            record.update(validate(ctx.store, ctx.user, collection, body.attrs, creating=False, lenient=body.lenient,
                                   faults=ctx.faults).values)
        _check_lock(ctx, record, body.force)
    change = validate(ctx.store, ctx.user, collection, body.attrs, creating=False, lenient=body.lenient,
                      faults=ctx.faults)
    record.update(change.values)
    record["updated_at"] = state.timestamp()
    if ctx.has("update-echoes-body"):
        return _single(ctx, collection, record)
    return render.empty_response()


_NAMED = ("customers", "projects", "services")  # what the list faults of stateful checks touch

_DELETE_BLOCKERS = {
    "customers": ("projects", "customer_id", "The customer still has projects and cannot be deleted."),
    "projects": ("time_entries", "project_id", "The project still has time entries and cannot be deleted."),
    "services": ("time_entries", "service_id", "The service still has time entries and cannot be deleted."),
}


async def _destroy(ctx: Ctx, collection: str, raw_id: str) -> Response:
    _require_writer(ctx, collection)
    record = _find(ctx, collection, raw_id)
    if collection == "time_entries":
        _check_lock(ctx, record, await bodies.read_force(ctx.request))
    if collection in _DELETE_BLOCKERS:
        dependants, key, message = _DELETE_BLOCKERS[collection]
        if any(r[key] == record["id"] for r in ctx.store.collection(dependants).values()):
            raise ApiError(422, message)
    if ctx.has("list-keeps-deleted-after-create") and collection in _NAMED:
        ctx.store.ghosts.setdefault(collection, []).append(dict(record, haunts=False))
    if not ctx.has("delete-keeps-record"):
        del ctx.store.collection(collection)[record["id"]]
        if collection == "time_entries":
            running = ctx.store.tracking_of_entry(record["id"])
            if running is not None:
                del ctx.store.trackers[running[0]]
    return render.empty_response()


# ---------------------------------------------------------------- tracker

def _tracker_response(ctx: Ctx, tracker: dict) -> Response:
    body = render.body_single(ctx.fmt, "tracker", tracker, ctx.faults)
    identity = f"tracker/{ctx.user['id']}"
    return render.data_response(ctx.request, ctx.fmt, body, identity, ctx.faults)


def _tracking_time_entry(ctx: Ctx, tracking: Tracking) -> dict:
    entry = ctx.store.time_entries[tracking.entry_id]
    return {"id": entry["id"], "minutes": entry["minutes"] + tracking.elapsed_minutes(),
            "since": state.timestamp(tracking.since)}


def _stop(ctx: Ctx) -> dict:
    tracking = ctx.store.trackers.pop(ctx.user["id"])
    entry = ctx.store.time_entries[tracking.entry_id]
    entry["minutes"] += tracking.elapsed_minutes()
    entry["updated_at"] = state.timestamp()
    return {"id": entry["id"], "minutes": entry["minutes"]}


def _tracker_show(ctx: Ctx) -> Response:
    tracking = ctx.store.trackers.get(ctx.user["id"])
    tracker = {} if tracking is None else {"tracking_time_entry": _tracking_time_entry(ctx, tracking)}
    return _tracker_response(ctx, tracker)


def _tracker_start(ctx: Ctx, raw_id: str) -> Response:
    entry = _find(ctx, "time_entries", raw_id)
    if entry["user_id"] != ctx.user["id"]:
        raise ApiError(403, NOT_ALLOWED)  # every user has only their own tracker
    if entry["locked"] and not ctx.has("locked-entry-editable"):
        raise ApiError(423, LOCKED)
    current = ctx.store.trackers.get(ctx.user["id"])
    stopped = None
    if current is None or current.entry_id != entry["id"]:
        if current is not None:
            stopped = _stop(ctx)
        ctx.store.trackers[ctx.user["id"]] = Tracking(entry["id"], state.now())
    tracker = {"tracking_time_entry": _tracking_time_entry(ctx, ctx.store.trackers[ctx.user["id"]])}
    if stopped is not None:
        tracker["stopped_time_entry"] = stopped
    return _tracker_response(ctx, tracker)


def _tracker_stop(ctx: Ctx, raw_id: str) -> Response:
    entry = _find(ctx, "time_entries", raw_id)
    current = ctx.store.trackers.get(ctx.user["id"])
    if current is None or current.entry_id != entry["id"]:
        raise ApiError(404, "The tracker is not running on this time entry.")
    stopped = _stop(ctx)
    return _tracker_response(ctx, {} if ctx.has("tracker-stop-empty") else {"stopped_time_entry": stopped})
