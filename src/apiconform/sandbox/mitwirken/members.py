"""The members: the in-memory store, their public view, and what a create or update may carry.

Nothing of this is documented (providers/mitwirken.md §8): the fields follow the Resend
template's contact. Ids are UUIDs; every id ever issued keeps its place in creation order, so
a list cursor still works after its member was deleted.
"""

from __future__ import annotations

import re
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from apiconform.sandbox.mitwirken.errors import MISSING_FIELDS, MISSING_FIELDS_UNNAMED, ApiError, invalid

Record = dict[str, Any]
NAME_MAX = 100
EMAIL_MAX = 100
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_CONTROL = re.compile(r"[\x00-\x1f]")
_SEED = [("Ada", "Lovelace"), ("Alan", "Turing"), ("Grace", "Hopper"), ("Edsger", "Dijkstra"),
         ("Barbara", "Liskov"), ("Donald", "Knuth"), ("Frances", "Allen"), ("John", "Backus"),
         ("Margaret", "Hamilton"), ("Ken", "Thompson"), ("Radia", "Perlman"), ("Dennis", "Ritchie"),
         ("Hedy", "Lamarr"), ("Niklaus", "Wirth"), ("Karen", "Spärck Jones"), ("Tony", "Hoare"),
         ("Sophie", "Wilson"), ("Leslie", "Lamport"), ("Shafi", "Goldwasser"), ("Robin", "Milner"),
         ("Jean", "Sammet"), ("Peter", "Naur"), ("Adele", "Goldberg"), ("Konrad", "Zuse")]


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


@dataclass
class Store:
    members: dict[str, Record] = field(default_factory=dict)
    places: dict[str, int] = field(default_factory=dict)  # every id ever issued -> its place in creation order
    ghosts: dict[str, Record] = field(default_factory=dict)  # fault list-keeps-deleted-after-create: id -> haunts?
    as_created: dict[str, Record] = field(default_factory=dict)  # fault list-shows-member-as-created
    updated: set[str] = field(default_factory=set)  # members updated once (fault restricted-write-applied-once-updated)

    def add(self, values: dict[str, Any], created: datetime) -> Record:
        ident = str(uuid.uuid4())
        self.places[ident] = len(self.places) + 1
        record = {"id": ident, "email": values["email"], "first_name": values.get("first_name"),
                  "last_name": values.get("last_name"), "unsubscribed": values.get("unsubscribed", False),
                  "created_at": timestamp(created)}
        self.members[ident] = record
        return record

    def listed(self) -> list[Record]:
        """Newest first."""
        return sorted(self.members.values(), key=lambda r: self.places[r["id"]], reverse=True)

    def place(self, record: Record) -> int:
        return self.places[record["id"]]


def seed() -> Store:
    """More members than one default page holds, with fixed names and fresh ids on every start."""
    store = Store()
    start = datetime.now(UTC) - timedelta(days=len(_SEED))
    for day, (first, last) in enumerate(_SEED):
        email = f"{first.lower()}.{last.split()[-1].lower()}@members.example"
        store.add({"email": email, "first_name": first, "last_name": last}, start + timedelta(days=day))
    return store


def view(record: Record, faults: frozenset[str]) -> Record:
    created = record["created_at"].removesuffix("Z") if "created-at-unzoned" in faults else record["created_at"]
    return {"object": "member", "id": record["id"], "email": record["email"], "first_name": record["first_name"],
            "last_name": record["last_name"], "unsubscribed": record["unsubscribed"], "created_at": created}


def validate(attrs: Any, *, creating: bool, faults: frozenset[str]) -> dict[str, Any]:
    """The fields to store; a missing field is a 422, a wrong value a 400 (unknown fields are ignored)."""
    if not isinstance(attrs, dict):
        raise invalid("The request body must be a JSON object.")
    missing = [name for name in ("email",) if creating and name not in attrs]
    if missing:
        listed = MISSING_FIELDS.format(", ".join(missing))
        if "missing-field-400" in faults:
            raise invalid(listed)
        raise ApiError(422, "missing_required_field",
                       MISSING_FIELDS_UNNAMED if "missing-field-unnamed" in faults else listed)
    values = {}
    for name, problem in (("email", _email), ("first_name", _name), ("last_name", _name),
                          ("unsubscribed", _flag)):
        if name not in attrs:
            continue
        why = problem(attrs[name], name, faults)
        if why:
            if "invalid-field-422" in faults:
                raise ApiError(422, "missing_required_field", f"`{name}` {why}.")
            raise invalid(f"`{name}` {why}.")
        values[name] = attrs[name]
    if creating and "create-ignores-last-name" in faults:
        values.pop("last_name", None)
    return values


def _email(value: Any, name: str, faults: frozenset[str]) -> str:
    if not isinstance(value, str) or not _EMAIL.fullmatch(value) or len(value) > EMAIL_MAX:
        return f"must be an email address of at most {EMAIL_MAX} characters"
    return ""


def _name(value: Any, name: str, faults: frozenset[str]) -> str:
    if not isinstance(value, str) or _CONTROL.search(value):
        return "must be text without control characters"
    if len(value) > NAME_MAX and not (name == "first_name" and "long-name-accepted" in faults):
        return f"must be at most {NAME_MAX} characters"
    return ""


def _flag(value: Any, name: str, faults: frozenset[str]) -> str:
    return "" if isinstance(value, bool) else "must be true or false"
