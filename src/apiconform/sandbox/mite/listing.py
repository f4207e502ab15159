"""List requests: filters, mite's sort orders, and limit/page pagination (with its faults)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import timedelta

from apiconform.sandbox.mite import state
from apiconform.sandbox.mite.errors import ApiError
from apiconform.sandbox.mite.resources import entry_customer_id
from apiconform.sandbox.mite.state import Record, Store

_TEXT_FILTERS = {
    "users": ("name", "email"),
    "customers": ("name",),
    "projects": ("name",),
    "services": ("name",),
    "time_entries": ("note",),
}


def _bad(param: str) -> ApiError:
    return ApiError(400, f"The parameter {param} has an invalid value.")


def positive_int(params: Mapping[str, str], name: str) -> int | None:
    raw = params.get(name)
    if raw is None:
        return None
    if not re.fullmatch(r"\s*\d+\s*", raw) or int(raw) < 1:
        raise _bad(name)
    return int(raw)


def _ids(params: Mapping[str, str], name: str, current_user: int | None = None) -> set[int] | None:
    raw = params.get(name)
    if raw is None:
        return None
    ids: set[int] = set()
    for part in raw.split(","):
        part = part.strip()
        if part == "current" and current_user is not None:
            ids.add(current_user)
        elif part.isdigit():
            ids.add(int(part))
        else:
            raise _bad(name)
    return ids


def _flag(params: Mapping[str, str], name: str) -> bool | None:
    raw = params.get(name)
    if raw is None:
        return None
    if raw.lower() not in ("true", "false"):
        raise _bad(name)
    return raw.lower() == "true"


def _day(params: Mapping[str, str], name: str) -> str | None:
    raw = params.get(name)
    if raw is None:
        return None
    today = state.now().date()
    if raw == "today":
        return today.isoformat()
    if raw == "yesterday":
        return (today - timedelta(days=1)).isoformat()
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", raw):
        return raw
    raise _bad(name)


def select(store: Store, collection: str, records: list[Record], params: Mapping[str, str],
           user: Record, faults: frozenset[str] = frozenset()) -> list[Record]:
    """Apply the list filters mite documents for the collection."""
    for attribute in _TEXT_FILTERS[collection]:
        wanted = params.get(attribute)
        if wanted is not None:
            records = [r for r in records if wanted.lower() in str(r[attribute]).lower()]
    if collection == "projects":
        customers = _ids(params, "customer_id")
        if customers is not None:
            records = [r for r in records if r["customer_id"] in customers]
    if collection != "time_entries":
        return records
    for attribute in ("user_id", "project_id", "service_id"):
        wanted_ids = _ids(params, attribute, user["id"] if attribute == "user_id" else None)
        if wanted_ids is not None:
            records = [r for r in records if r[attribute] in wanted_ids]
    customers = _ids(params, "customer_id")
    if customers is not None:
        records = [r for r in records if entry_customer_id(store, r) in customers]
    for attribute in ("locked", "billable"):
        flag = _flag(params, attribute)
        if flag is not None:
            records = [r for r in records if r[attribute] is flag]
    at, since, until = _day(params, "at"), _day(params, "from"), _day(params, "to")
    if at is not None and "at-filter-ignored" not in faults:
        records = [r for r in records if r["date_at"] == at]
    if since is not None:
        records = [r for r in records if r["date_at"] >= since]
    if until is not None:
        records = [r for r in records if r["date_at"] <= until]
    return records


def order(collection: str, records: list[Record], faults: frozenset[str]) -> list[Record]:
    """By name (case-insensitive) for named resources; time entries newest first."""
    if "unsorted-lists" in faults:
        return sorted(records, key=lambda r: r["id"], reverse=True)
    if collection == "time_entries":
        return sorted(records, key=lambda r: (r["date_at"], r["id"]), reverse=True)
    return sorted(records, key=lambda r: (r["name"].casefold(), r["id"]))


def paginate(records: list[Record], params: Mapping[str, str], faults: frozenset[str]) -> list[Record]:
    """limit/page: without limit everything; a page past the end is empty."""
    limit = positive_int(params, "limit")
    page = positive_int(params, "page") or 1
    if limit is None:
        return records[:5] if "default-limit-5" in faults else records
    start = (page - 1) * limit
    if start >= len(records):
        if "beyond-end-last-page" in faults and records:
            start = (len(records) - 1) // limit * limit
        else:
            return []
    elif page > 1 and "page-overlap" in faults:
        start -= 1
    return records[start:start + limit]
