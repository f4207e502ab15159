"""The mite sandbox's in-memory account: records, credentials, tracker, and the seed data.

Records are plain dicts holding only stored attributes; derived ones (customer_name,
user_name, tracking, ...) are added when rendering, so renames show up everywhere at once.
Credentials are kept apart from the user records so they can never be rendered by accident.
"""

from __future__ import annotations

import itertools
import secrets
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from typing import Any

ACCOUNT_TZ = timezone(timedelta(hours=1))  # the account's zone: every timestamp says +01:00
ACCOUNT_NAME = "demo"
EMAIL_DOMAIN = "demo.example"

Record = dict[str, Any]


def now() -> datetime:
    return datetime.now(ACCOUNT_TZ).replace(microsecond=0)


def timestamp(moment: datetime | None = None) -> str:
    """ISO 8601 with the account offset and no fractional seconds, as mite renders them."""
    return (moment or now()).isoformat()


def today() -> str:
    return now().date().isoformat()


@dataclass
class Credential:
    """How one user can sign in; api_enabled=False is mite's switched-off API access."""

    user_id: int
    email: str
    password: str
    api_key: str
    api_enabled: bool = True


@dataclass
class Tracking:
    entry_id: int
    since: datetime

    def elapsed_minutes(self) -> int:
        return int((now() - self.since).total_seconds() // 60)


@dataclass
class Store:
    account: Record
    users: dict[int, Record] = field(default_factory=dict)
    customers: dict[int, Record] = field(default_factory=dict)
    projects: dict[int, Record] = field(default_factory=dict)
    services: dict[int, Record] = field(default_factory=dict)
    time_entries: dict[int, Record] = field(default_factory=dict)
    credentials: dict[int, Credential] = field(default_factory=dict)
    grants: dict[int, set[int]] = field(default_factory=dict)  # time tracker id -> project ids
    trackers: dict[int, Tracking] = field(default_factory=dict)  # user id -> running tracker
    ghosts: dict[str, list[Record]] = field(default_factory=dict)  # fault list-keeps-deleted-after-create
    created_as: dict[int, Record] = field(default_factory=dict)  # fault list-shows-record-as-created
    _ids: itertools.count = field(default_factory=lambda: itertools.count(101))

    def next_id(self) -> int:
        """One id sequence for all collections, so an id never matches in the wrong one."""
        return next(self._ids)

    def collection(self, name: str) -> dict[int, Record]:
        return getattr(self, name)

    def user_by_api_key(self, key: str) -> Credential | None:
        for credential in self.credentials.values():
            if secrets.compare_digest(credential.api_key, key):
                return credential
        return None

    def user_by_email(self, email: str) -> Credential | None:
        for credential in self.credentials.values():
            if credential.email.lower() == email.lower():
                return credential
        return None

    def owner(self) -> Record:
        return next(u for u in self.users.values() if u["role"] == "owner")

    def tracking_of_entry(self, entry_id: int) -> tuple[int, Tracking] | None:
        for user_id, tracking in self.trackers.items():
            if tracking.entry_id == entry_id:
                return user_id, tracking
        return None


# name, role, archived, api access enabled
_SEED_USERS = [
    ("Olivia Owner", "owner", False, True),
    ("Adam Admin", "admin", False, True),
    ("Cora Coworker", "coworker", False, True),
    ("Tim Tracker", "time_tracker", False, True),
    ("Rita Revoked", "coworker", False, False),
    ("Arno Archived", "coworker", True, True),
]


def _add(store: Store, collection: str, record: Record, created: datetime) -> Record:
    record_id = store.next_id()
    stamp = timestamp(created)
    full = {"id": record_id, **record, "created_at": stamp, "updated_at": stamp}
    store.collection(collection)[record_id] = full
    return full


def seed() -> Store:
    """A small account: fresh secrets on every start, fixed names so tests can find things."""
    created = now() - timedelta(days=30)
    store = Store(
        account={
            "id": 1,
            "name": ACCOUNT_NAME,
            "title": "Demo GmbH",
            "currency": "EUR",
            "created_at": timestamp(created),
            "updated_at": timestamp(created),
        }
    )
    keys: set[str] = set()
    by_role: dict[str, Record] = {}
    for name, role, archived, api_enabled in _SEED_USERS:
        first = name.split()[0].lower()
        user = _add(
            store,
            "users",
            {"name": name, "email": f"{first}@{EMAIL_DOMAIN}", "note": "", "archived": archived,
             "language": "en", "role": role},
            created,
        )
        key = secrets.token_hex(8)
        while key in keys:
            key = secrets.token_hex(8)
        keys.add(key)
        store.credentials[user["id"]] = Credential(
            user_id=user["id"], email=user["email"], password=secrets.token_urlsafe(18),
            api_key=key, api_enabled=api_enabled,
        )
        by_role.setdefault(role if api_enabled else "revoked", user)

    acme = _add(store, "customers", _customer("Acme Corp", "Our oldest customer.", 6000), created)
    globex = _add(store, "customers", _customer("Globex", "", 0), created)
    website = _add(store, "projects", _project("Website Relaunch", acme["id"]), created)
    tools = _add(store, "projects", _project("Internal Tools", globex["id"]), created)
    coding = _add(store, "services", _service("Coding", 5500, True), created)
    meetings = _add(store, "services", _service("Meetings", None, False), created)

    tim = by_role["time_tracker"]
    olivia = by_role["owner"]
    store.grants[tim["id"]] = {website["id"]}
    day = now().date()
    for user, project, service, minutes, ago, note, locked in [
        (olivia, website, coding, 90, 1, "Homepage layout", False),
        (olivia, tools, meetings, 30, 2, "Weekly planning", True),
        (tim, website, coding, 120, 1, "Contact form", False),
        (tim, website, meetings, 15, 3, "Kick-off", False),
    ]:
        _add(store, "time_entries", _time_entry(user["id"], project["id"], service["id"], minutes,
                                                day - timedelta(days=ago), note, locked), created)
    return store


def _customer(name: str, note: str, hourly_rate: int) -> Record:
    return {"name": name, "note": note, "hourly_rate": hourly_rate, "archived": False,
            "active_hourly_rate": None, "hourly_rates_per_service": []}


def _project(name: str, customer_id: int | None) -> Record:
    return {"name": name, "note": "", "customer_id": customer_id, "budget": 0, "budget_type": "minutes",
            "hourly_rate": 0, "archived": False, "active_hourly_rate": None, "hourly_rates_per_service": []}


def _service(name: str, hourly_rate: int | None, billable: bool) -> Record:
    return {"name": name, "note": "", "hourly_rate": hourly_rate, "archived": False, "billable": billable}


def _time_entry(user_id: int, project_id: int | None, service_id: int | None, minutes: int,
                date_at: date, note: str, locked: bool) -> Record:
    return {"minutes": minutes, "date_at": date_at.isoformat(), "note": note, "billable": True,
            "locked": locked, "revenue": None, "hourly_rate": 0, "user_id": user_id,
            "project_id": project_id, "service_id": service_id}


def new_record(collection: str) -> Record:
    """Defaults for a created record, before the request's attributes are applied."""
    if collection == "customers":
        return _customer("", "", 0)
    if collection == "projects":
        return _project("", None)
    if collection == "services":
        return _service("", None, True)
    return _time_entry(0, None, None, 0, now().date(), "", False)


def insert(store: Store, collection: str, record: Record) -> Record:
    return _add(store, collection, record, now())
