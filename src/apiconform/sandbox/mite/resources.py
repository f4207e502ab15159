"""What mite's resources look like from outside: views, who sees what, write validation.

Views add the derived attributes (names of linked records, the running tracker) in mite's
documented field order. Validation turns a request's attributes into stored values or an
ApiError(422) with mite's messages.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from apiconform.sandbox.mite import state
from apiconform.sandbox.mite.errors import NAME_REQUIRED, ApiError
from apiconform.sandbox.mite.state import Record, Store

ROOTS = {
    "users": "user",
    "customers": "customer",
    "projects": "project",
    "services": "service",
    "time_entries": "time_entry",
}
NAMED = ("users", "customers", "projects", "services")
WRITABLE = ("customers", "projects", "services", "time_entries")
MANAGERS = ("owner", "admin")  # may see and change every user's time entries, and force locks


# ---------------------------------------------------------------- views

def view(store: Store, collection: str, record: Record, faults: frozenset[str]) -> dict[str, Any]:
    """The public rendering of a stored record (fresh objects: callers may mutate them)."""
    r = record
    if collection == "users":
        keys = ("id", "name", "email", "note", "archived", "language", "role", "created_at", "updated_at")
        return {k: r[k] for k in keys}
    if collection == "customers":
        rate = str(r["hourly_rate"]) if "hourly-rate-string" in faults else r["hourly_rate"]
        return {"id": r["id"], "name": r["name"], "note": r["note"], "hourly_rate": rate,
                "archived": r["archived"], "active_hourly_rate": r["active_hourly_rate"],
                "hourly_rates_per_service": copy.deepcopy(r["hourly_rates_per_service"]),
                "created_at": r["created_at"], "updated_at": r["updated_at"]}
    if collection == "projects":
        customer = store.customers.get(r["customer_id"]) if r["customer_id"] is not None else None
        return {"id": r["id"], "name": r["name"], "note": r["note"], "customer_id": r["customer_id"],
                "customer_name": customer["name"] if customer else None, "budget": r["budget"],
                "budget_type": r["budget_type"], "hourly_rate": r["hourly_rate"], "archived": r["archived"],
                "active_hourly_rate": r["active_hourly_rate"],
                "hourly_rates_per_service": copy.deepcopy(r["hourly_rates_per_service"]),
                "created_at": r["created_at"], "updated_at": r["updated_at"]}
    if collection == "services":
        keys = ("id", "name", "note", "hourly_rate", "archived", "billable", "created_at", "updated_at")
        return {k: r[k] for k in keys}
    if collection == "time_entries":
        return time_entry_view(store, r)
    raise KeyError(collection)


def _name_of(records: dict[int, Record], record_id: int | None) -> str | None:
    record = records.get(record_id) if record_id is not None else None
    return record["name"] if record else None


def entry_customer_id(store: Store, entry: Record) -> int | None:
    project = store.projects.get(entry["project_id"]) if entry["project_id"] is not None else None
    return project["customer_id"] if project else None


def time_entry_view(store: Store, r: Record) -> dict[str, Any]:
    customer_id = entry_customer_id(store, r)
    result: dict[str, Any] = {
        "id": r["id"], "minutes": r["minutes"], "date_at": r["date_at"], "note": r["note"],
        "billable": r["billable"], "locked": r["locked"], "revenue": r["revenue"],
        "hourly_rate": r["hourly_rate"], "user_id": r["user_id"],
        "user_name": _name_of(store.users, r["user_id"]), "project_id": r["project_id"],
        "project_name": _name_of(store.projects, r["project_id"]), "customer_id": customer_id,
        "customer_name": _name_of(store.customers, customer_id), "service_id": r["service_id"],
        "service_name": _name_of(store.services, r["service_id"]),
        "created_at": r["created_at"], "updated_at": r["updated_at"],
    }
    running = store.tracking_of_entry(r["id"])
    if running is not None:
        tracking = running[1]
        result["tracking"] = {"since": state.timestamp(tracking.since),
                              "minutes": r["minutes"] + tracking.elapsed_minutes()}
    return result


# ---------------------------------------------------------------- access

def visible(store: Store, user: Record, collection: str, record: Record) -> bool:
    """Whether `user` may know the record exists (otherwise mite answers 404)."""
    role = user["role"]
    if collection == "time_entries":
        return role in MANAGERS or record["user_id"] == user["id"]
    if role != "time_tracker":
        return True
    granted = store.grants.get(user["id"], set())
    if collection == "projects":
        return record["id"] in granted
    if collection == "customers":
        return any(store.projects[p]["customer_id"] == record["id"] for p in granted if p in store.projects)
    return True


# ---------------------------------------------------------------- validation

class Invalid(Exception):
    """A value of the wrong shape; becomes 422 '<Attribute> is invalid.'"""


Coerce = Callable[[Any, bool], Any]


def _int(value: Any, lenient: bool) -> int:
    if isinstance(value, bool):
        raise Invalid
    if isinstance(value, int):
        return value
    if lenient and isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value):
        return int(value)
    raise Invalid


def _opt_int(value: Any, lenient: bool) -> int | None:
    if value is None or (lenient and value == ""):
        return None
    return _int(value, lenient)


def _bool(value: Any, lenient: bool) -> bool:
    if isinstance(value, bool):
        return value
    if lenient and isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise Invalid


def _str(value: Any, lenient: bool) -> str:
    if isinstance(value, str):
        return value
    if lenient and value is None:  # XML <note nil="true"/> or an empty element
        return ""
    raise Invalid


def _choice(*allowed: str | None) -> Coerce:
    def coerce(value: Any, lenient: bool) -> Any:
        if lenient and value == "" and None in allowed:
            return None
        if value in allowed and (value is None or isinstance(value, str)):
            return value
        raise Invalid
    return coerce


def _date(value: Any, lenient: bool) -> str:
    if isinstance(value, str):
        match = re.fullmatch(r"(\d{4})-(\d{1,2})-(\d{1,2})", value.strip())
        if match:
            try:
                return date(*map(int, match.groups())).isoformat()
            except ValueError:
                pass
    raise Invalid


def _rates(value: Any, lenient: bool) -> list[dict[str, int]]:
    if not isinstance(value, list):
        raise Invalid
    rates = []
    for item in value:
        if not isinstance(item, dict):
            raise Invalid
        rates.append({"service_id": _int(item.get("service_id"), lenient),
                      "hourly_rate": _int(item.get("hourly_rate"), lenient)})
    return rates


_RATE_MODE = _choice(None, "hourly_rate", "hourly_rates_per_service")
FIELDS: dict[str, dict[str, Coerce]] = {
    "customers": {"name": _str, "note": _str, "hourly_rate": _int, "archived": _bool,
                  "active_hourly_rate": _RATE_MODE, "hourly_rates_per_service": _rates},
    "projects": {"name": _str, "note": _str, "customer_id": _opt_int, "budget": _int,
                 "budget_type": _choice("minutes", "minutes_per_month", "cents", "cents_per_month"),
                 "hourly_rate": _int, "archived": _bool, "active_hourly_rate": _RATE_MODE,
                 "hourly_rates_per_service": _rates},
    "services": {"name": _str, "note": _str, "hourly_rate": _opt_int, "archived": _bool, "billable": _bool},
    "time_entries": {"minutes": _int, "date_at": _date, "note": _str, "billable": _bool, "locked": _bool,
                     "project_id": _opt_int, "service_id": _opt_int, "user_id": _int},
}


def _label(attribute: str) -> str:
    return attribute.replace("_", " ").capitalize()


@dataclass
class Change:
    """Validated attributes ready to be stored."""

    values: dict[str, Any]


def validate(store: Store, user: Record, collection: str, attrs: dict[str, Any], *, creating: bool,
             lenient: bool, faults: frozenset[str]) -> Change:
    """Check the attributes of a create or update; unknown attributes are ignored, as mite does."""
    fields = FIELDS[collection]
    values: dict[str, Any] = {}
    for attribute, coerce in fields.items():
        if attribute not in attrs:
            continue
        try:
            values[attribute] = coerce(attrs[attribute], lenient)
        except Invalid:
            if attribute == "name" and attrs[attribute] is None:
                raise ApiError(422, NAME_REQUIRED[collection]) from None
            raise ApiError(422, f"{_label(attribute)} is invalid.") from None

    if collection in NAME_REQUIRED:
        _check_name(collection, values, creating=creating, faults=faults)
    if collection == "projects" and values.get("customer_id") is not None:
        customer = store.customers.get(values["customer_id"])
        if customer is None or not visible(store, user, "customers", customer):
            raise ApiError(422, "The customer does not exist.")
    if collection == "time_entries":
        _check_time_entry(store, user, values, faults)
    if creating and "create-drops-note" in faults:
        values.pop("note", None)
    return Change(values)


def _check_name(collection: str, values: dict[str, Any], *, creating: bool, faults: frozenset[str]) -> None:
    if "name" not in values:
        if creating and "name-not-required" not in faults:
            raise ApiError(422, NAME_REQUIRED[collection])
        if creating:
            values["name"] = ""
        return
    if not values["name"].strip() and not (creating and "blank-name-accepted" in faults):
        raise ApiError(422, NAME_REQUIRED[collection])


def _check_time_entry(store: Store, user: Record, values: dict[str, Any], faults: frozenset[str]) -> None:
    if values.get("minutes", 0) < 0 and "negative-minutes-accepted" not in faults:
        raise ApiError(422, "Minutes must be a whole number of 0 or more.")
    for attribute, collection in (("project_id", "projects"), ("service_id", "services")):
        target_id = values.get(attribute)
        if target_id is None:
            continue
        target = store.collection(collection).get(target_id)
        if target is None or not visible(store, user, collection, target):
            raise ApiError(422, f"The {ROOTS[collection]} does not exist.")
    if "user_id" in values and values["user_id"] != user["id"]:
        if user["role"] not in MANAGERS:
            raise ApiError(403, "You are not allowed to perform this request.")
        target_user = store.users.get(values["user_id"])
        if target_user is None:
            raise ApiError(422, "The user does not exist.")
